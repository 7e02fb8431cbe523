import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { APIGatewayClient, GetRestApisCommand, UpdateStageCommand } from '@aws-sdk/client-api-gateway';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { invokeUrl } from '../../lib/api.ts';
import { aimAt, deploy } from './steps-2-3-support.ts';

/**
 * Property-based fuzzing of POST /orders, over real HTTP, on steps 1–3 from solutions/.
 *
 * fast-check makes request bodies: valid orders, orders with one rule broken, and garbage. Each
 * goes to the deployed API, and the answer must be what an oracle written here from the rules in
 * steps/02-intake-lambda/README.md calls for: 202 {orderId} for a valid order, 400 with the
 * reason for anything else; never a 5xx, never no answer. The oracle shares no code with
 * order.ts, so a rule that order.ts gets wrong shows up as a wrong answer.
 *
 * The monitor (step 5) is not deployed, so every accepted order stays on the queue; the test then
 * takes them all off: one message per 202, each the order that was sent, nothing else.
 *
 *   FUZZ_SEED=7 FUZZ_BODIES=10000 npx vitest run test/workbook/orders-fuzz.test.ts
 */
const SEED = wholeNumber('FUZZ_SEED', 20_613);
const BODIES = wholeNumber('FUZZ_BODIES', 2_400);
/** Requests in flight at once: a little more than the 10 sandboxes the local Lambda runs per function. */
const IN_FLIGHT = 12;
/** Bodies per property run, sent over IN_FLIGHT connections: a slow body holds up only its own. */
const BODIES_PER_RUN = 4 * IN_FLIGHT;
/** Intake times out after 5 s; an answer later than this is a hang. */
const ANSWER_WITHIN_MS = 15_000;

function wholeNumber(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value)) throw new Error(`${name} must be a whole number, not "${value}"`);
  return Number(value);
}

// ---------------------------------------------------------------------------------------------
// The oracle: the documented rules, written out again.

/** The README's limits, restated rather than imported: a changed limit in order.ts must show. */
const RULES = { maxBodyBytes: 16 * 1024, maxItems: 50, maxQuantity: 1000, maxIdLength: 64, maxNoteLength: 500 };
const ID_CHARACTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-';
const ID_CHARACTER_SET = new Set(ID_CHARACTERS);

type RefusalCode = 'UnsupportedContentType' | 'BodyTooLarge' | 'InvalidJson' | 'InvalidOrder';
interface SentOrder {
  customerId: string;
  items: { sku: string; quantity: number }[];
  note?: string;
}
type Expected = { status: 202; order: SentOrder } | { status: 400; error: RefusalCode };

/** What the API must answer, checked in the README's order: content type, size, JSON, order. */
function expectedAnswer(contentType: string | undefined, body: Uint8Array): Expected {
  if (contentType?.split(';')[0].trim().toLowerCase() !== 'application/json') return { status: 400, error: 'UnsupportedContentType' };
  // API Gateway hands the function the body as text: bytes that are not UTF-8 arrive as U+FFFD.
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(body);
  if (new TextEncoder().encode(text).length > RULES.maxBodyBytes) return { status: 400, error: 'BodyTooLarge' };
  let value: unknown;
  try {
    value = JSON.parse(text); // duplicate keys: the last one counts, as in every JSON.parse
  } catch {
    return { status: 400, error: 'InvalidJson' };
  }
  const order = asValidOrder(value);
  return order ? { status: 202, order } : { status: 400, error: 'InvalidOrder' };
}

/** The order as the handler queues it (only its three fields), or undefined when a rule is broken. */
function asValidOrder(value: unknown): SentOrder | undefined {
  if (!isPlainObject(value) || !hasOnlyFields(value, ['customerId', 'items', 'note'], ['customerId', 'items'])) return undefined;
  const { customerId, items, note } = value;
  if (!isId(customerId) || !Array.isArray(items) || items.length < 1 || items.length > RULES.maxItems) return undefined;
  const lines: SentOrder['items'] = [];
  for (const item of items) {
    if (!isPlainObject(item) || !hasOnlyFields(item, ['sku', 'quantity'], ['sku', 'quantity'])) return undefined;
    const { sku, quantity } = item;
    if (!isId(sku) || typeof quantity !== 'number' || !Number.isInteger(quantity)) return undefined;
    if (quantity < 1 || quantity > RULES.maxQuantity) return undefined;
    lines.push({ sku, quantity });
  }
  if (new Set(lines.map((line) => line.sku)).size !== lines.length) return undefined;
  if (Object.hasOwn(value, 'note') && !isNote(note)) return undefined;
  return { customerId, items: lines, ...(Object.hasOwn(value, 'note') ? { note: note as string } : {}) };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Own keys only (so a "__proto__" member counts as the unknown field it is). */
function hasOnlyFields(value: Record<string, unknown>, allowed: string[], required: string[]): boolean {
  return Object.keys(value).every((key) => allowed.includes(key)) && required.every((key) => Object.hasOwn(value, key));
}

/** 1–64 letters, digits and . _ : - */
function isId(value: unknown): value is string {
  if (typeof value !== 'string' || value.length < 1 || value.length > RULES.maxIdLength) return false;
  for (const character of value) if (!ID_CHARACTER_SET.has(character)) return false;
  return true;
}

/**
 * At most 500 characters (code points: an emoji is one) of text: tab and line breaks but no
 * other control character, no U+FFFE or U+FFFF, no unpaired surrogate.
 */
function isNote(value: unknown): boolean {
  if (typeof value !== 'string' || [...value].length > RULES.maxNoteLength) return false;
  for (const character of value) {
    const code = character.codePointAt(0)!;
    const text = code === 0x09 || code === 0x0a || code === 0x0d || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || code >= 0x10000;
    if (!text) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Request bodies: JSON written out by hand, so it can hold what JSON.stringify never writes
// (duplicate keys, "2.0" or "1e400" as numbers, escaped letters, any spacing).

/** An object's members in the order written; a key may repeat. */
class Members {
  constructor(readonly list: [string, Json][]) {}
}
/** Written exactly as given, e.g. the number text "2.0", "1e400" or "-0". */
class Raw {
  constructor(readonly text: string) {}
}
type Json = null | boolean | number | string | Json[] | Members | Raw;

interface Layout {
  /** Between every two tokens. */
  space: string;
  /** Every ASCII letter in strings as \u00XX: the parsed text must be the same. */
  escapeLetters: boolean;
  /** Members backwards: field order must not matter. */
  reversed: boolean;
  numbers: 'plain' | 'decimal' | 'exponent' | 'scaled' | 'long-fraction';
}

function write(value: Json, layout: Layout): string {
  const s = layout.space;
  if (value instanceof Raw) return value.text;
  if (value instanceof Members) {
    const members = value.list.map(([key, v]) => `${quote(key, layout)}${s}:${s}${write(v, layout)}`);
    return `{${s}${members.join(`${s},${s}`)}${s}}`;
  }
  if (Array.isArray(value)) return `[${s}${value.map((v) => write(v, layout)).join(`${s},${s}`)}${s}]`;
  if (typeof value === 'string') return quote(value, layout);
  return JSON.stringify(value);
}

function quote(text: string, layout: Layout): string {
  let quoted = '';
  for (const character of text) {
    quoted += layout.escapeLetters && /^[A-Za-z]$/.test(character)
      ? `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`
      : JSON.stringify(character).slice(1, -1); // escapes quotes, controls and lone surrogates
  }
  return `"${quoted}"`;
}

/** A whole number written in one of the ways JSON allows. */
function numberText(n: number, style: Layout['numbers']): string {
  switch (style) {
    case 'plain':
      return String(n);
    case 'decimal':
      return `${n}.0`;
    case 'exponent':
      return `${n}e0`;
    case 'scaled':
      return `${n * 10}E-1`;
    case 'long-fraction':
      return `${n}.000000000000000001`; // closer to n than any other double: still n
  }
}

/** Plain values (from fast-check's JSON arbitraries) as members, keeping keys such as "__proto__". */
function fromValue(value: unknown): Json {
  if (Array.isArray(value)) return value.map(fromValue);
  if (isPlainObject(value)) return new Members(Object.entries(value).map(([k, v]) => [k, fromValue(v)]));
  return value as Json;
}

const utf8 = (text: string) => new TextEncoder().encode(text);
const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((part) => [...part]));

interface Draft {
  customerId: string;
  items: { sku: string; quantity: number }[];
  note?: string;
}

function orderMembers(draft: Draft, layout: Layout): Members {
  const members = (list: [string, Json][]) => new Members(layout.reversed ? list.reverse() : list);
  const items = draft.items.map(({ sku, quantity }) => members([['sku', sku], ['quantity', new Raw(numberText(quantity, layout.numbers))]]));
  const fields: [string, Json][] = [['customerId', draft.customerId], ['items', items]];
  if (draft.note !== undefined) fields.push(['note', draft.note]);
  return members(fields);
}

function member(members: Members, key: string): Json | undefined {
  return members.list.findLast(([k]) => k === key)?.[1];
}
function setMember(members: Members, key: string, value: Json): void {
  const at = members.list.findIndex(([k]) => k === key);
  if (at >= 0) members.list[at] = [key, value];
  else members.list.push([key, value]);
}
function dropMember(members: Members, key: string): void {
  for (let i = members.list.length - 1; i >= 0; i--) if (members.list[i][0] === key) members.list.splice(i, 1);
}
/** One of the order's items, picked by a generated number. */
function itemOf(order: Members, pick: number): Members {
  const items = member(order, 'items') as Members[];
  return items[pick % items.length];
}

interface Case {
  /** "valid", "near-valid: …" or "garbage: …" (what the generator meant; the oracle decides). */
  kind: string;
  contentType: string | undefined;
  body: Uint8Array;
}

/** A case that fast-check prints as text in a counterexample, not as a list of bytes. */
function makeCase(kind: string, contentType: string | undefined, body: Uint8Array): Case {
  const made: Case = { kind, contentType, body };
  return Object.assign(made, { [fc.toStringMethod]: () => describeCase(made) });
}

// ---------------------------------------------------------------------------------------------
// Arbitraries.

const idArb = fc.string({ unit: fc.constantFrom(...ID_CHARACTERS), minLength: 1, maxLength: RULES.maxIdLength });
const itemArb = fc.record({ sku: idArb, quantity: fc.integer({ min: 1, max: RULES.maxQuantity }) });
const itemsArb = (minLength: number, maxLength: number) => fc.uniqueArray(itemArb, { minLength, maxLength, selector: (item) => item.sku });
const noteArb = fc.oneof(
  fc.string({ maxLength: RULES.maxNoteLength }),
  fc.string({ unit: 'grapheme', maxLength: 100 }),
  fc.string({ unit: 'binary', maxLength: 250 }),
);
const draftArb: fc.Arbitrary<Draft> = fc.record(
  { customerId: idArb, items: itemsArb(1, RULES.maxItems), note: noteArb },
  { requiredKeys: ['customerId', 'items'] },
);
const layoutArb: fc.Arbitrary<Layout> = fc.record({
  space: fc.constantFrom('', '', '', ' ', '\n  ', '\r\n\t'),
  escapeLetters: fc.constantFrom(false, false, false, false, true),
  reversed: fc.boolean(),
  numbers: fc.constantFrom('plain', 'plain', 'plain', 'plain', 'decimal', 'exponent', 'scaled', 'long-fraction'),
});

const JSON_CONTENT_TYPES = [
  'application/json',
  'application/json',
  'application/json',
  'application/json; charset=utf-8',
  'application/json;charset=UTF-8',
  'Application/JSON',
  'application/json ; charset=utf-8',
];
const OTHER_CONTENT_TYPES = [
  undefined,
  '',
  'text/plain',
  'text/plain; charset=utf-8',
  'text/json',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/jsonp',
  'application/json-patch+json',
  'application/vnd.api+json',
  'application/json, text/plain',
  'application/ json',
  'application',
  'json',
  '*/*',
];
const contentTypeArb = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...JSON_CONTENT_TYPES) },
  { weight: 1, arbitrary: fc.constantFrom(...OTHER_CONTENT_TYPES) },
);

/** Characters no id may hold, each a way an id goes wrong in practice. */
const ODD_CHARACTERS = [
  ' ', '\t', '\n', '\u0000', '\u007f', '/', '\\', '"', '<', '%', '+', '@', '#', ',', '*',
  '\u00e9', 'e\u0301', '\u200b', '\u00a0', '\ufeff', '\uff43', '\u0130', '\u017f', '\u212a',
  '\u{1F600}', '\ud800', '\udfff', '\ufffd', '\uffff',
];
const badIdArb: fc.Arbitrary<Json> = fc.oneof(
  fc.constant(''),
  fc.string({ unit: fc.constantFrom(...ID_CHARACTERS), minLength: RULES.maxIdLength + 1, maxLength: RULES.maxIdLength + 1 }),
  fc.string({ unit: fc.constantFrom(...ID_CHARACTERS), minLength: RULES.maxIdLength + 1, maxLength: 2_000 }),
  fc
    .tuple(idArb, fc.constantFrom(...ODD_CHARACTERS), fc.nat())
    .map(([id, odd, at]) => id.slice(0, at % (id.length + 1)) + odd + id.slice(at % (id.length + 1))),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 70 }),
  fc.constantFrom<Json>(null, true, 0, 42, -1, [], ['c-1'], new Members([]), new Members([['id', 'c-1']]), new Raw('1e400')),
);
const badQuantityArb: fc.Arbitrary<Json> = fc.oneof(
  fc.constant(0),
  fc.integer({ min: -RULES.maxQuantity, max: -1 }),
  fc.integer({ min: RULES.maxQuantity + 1, max: 1_000_000 }),
  fc.integer({ min: RULES.maxQuantity + 1 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.double({ min: 0, max: RULES.maxQuantity + 1, noNaN: true }),
  fc.constantFrom(
    ...['1e400', '-1e400', '-0', '0.0', '0.5e1', '1e3', '1000.0000000000001', '1000.00000000000001', '9007199254740993', '1.5', '-1', '1001'].map(
      (text) => new Raw(text),
    ),
  ),
  fc.constantFrom<Json>('2', '1', '', 'one', null, true, false, [1], new Members([['value', 1]])),
);
const anyJsonArb = fc.jsonValue({ maxDepth: 3 }).map(fromValue);
const unknownKeyArb = fc.oneof(
  fc.constantFrom(
    'quantiy', 'price', 'customerID', 'CustomerId', 'Items', 'notes', ' customerId', 'customerId ', 'customerId\u0000', '',
    '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'isAdmin',
  ),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
/** A member that tries to reach the prototype of what the handler builds. */
const pollutingArb = fc.constantFrom<[string, Json]>(
  ['__proto__', new Members([['isAdmin', true], ['note', 'polluted'], ['quantity', 1]])],
  ['__proto__', null],
  ['constructor', new Members([['prototype', new Members([['isAdmin', true]])]])],
);

interface Mutation {
  label: string;
  apply(order: Members): void;
}
const mutation = (label: string, apply: (order: Members) => void): Mutation => ({ label, apply });

/** One rule broken at a time (or, for a few, a case the rules allow that looks broken). */
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constant(mutation('no customerId', (o) => dropMember(o, 'customerId'))),
  badIdArb.map((id) => mutation('bad customerId', (o) => setMember(o, 'customerId', id))),
  fc.nat().map((pick) => mutation('no sku', (o) => dropMember(itemOf(o, pick), 'sku'))),
  fc.tuple(badIdArb, fc.nat()).map(([id, pick]) => mutation('bad sku', (o) => setMember(itemOf(o, pick), 'sku', id))),
  fc.nat().map((pick) => mutation('no quantity', (o) => dropMember(itemOf(o, pick), 'quantity'))),
  fc.tuple(badQuantityArb, fc.nat()).map(([q, pick]) => mutation('bad quantity', (o) => setMember(itemOf(o, pick), 'quantity', q))),
  fc.constant(mutation('no items', (o) => dropMember(o, 'items'))),
  fc.constant(mutation('empty items', (o) => setMember(o, 'items', []))),
  fc.constantFrom<Json>(null, 'tea', 1, true, new Members([])).map((v) => mutation('items not a list', (o) => setMember(o, 'items', v))),
  itemsArb(RULES.maxItems - 1, RULES.maxItems + 10).map((items) =>
    mutation('items near the limit', (o) => setMember(o, 'items', items.map(({ sku, quantity }) => new Members([['sku', sku], ['quantity', quantity]])))),
  ),
  fc.tuple(fc.nat(), fc.boolean(), fc.boolean()).map(([pick, sameQuantity, otherCase]) =>
    mutation('a sku twice', (o) => {
      const items = member(o, 'items') as Members[];
      const sku = member(items[pick % items.length], 'sku') as string;
      items.push(new Members([['sku', otherCase ? sku.toUpperCase() : sku], ['quantity', sameQuantity ? member(items[pick % items.length], 'quantity')! : 1]]));
    }),
  ),
  fc.tuple(fc.constantFrom<Json>(null, 1, 'tea', [], ['tea', 1]), fc.nat()).map(([v, pick]) =>
    mutation('item not an object', (o) => {
      const items = member(o, 'items') as Json[];
      items[pick % items.length] = v;
    }),
  ),
  fc.tuple(unknownKeyArb, anyJsonArb, fc.boolean(), fc.nat()).map(([key, value, inItem, pick]) =>
    mutation('an unknown field', (o) => (inItem ? itemOf(o, pick) : o).list.push([key, value])),
  ),
  fc.tuple(pollutingArb, fc.boolean(), fc.nat()).map(([entry, inItem, pick]) =>
    mutation('__proto__ / constructor', (o) => (inItem ? itemOf(o, pick) : o).list.push(entry)),
  ),
  fc.constantFrom<Json>(null, 1, true, [], new Members([]), ['gift wrap']).map((v) => mutation('note not a string', (o) => setMember(o, 'note', v))),
  fc.tuple(fc.integer({ min: RULES.maxNoteLength - 2, max: RULES.maxNoteLength + 2 }), fc.constantFrom('x', 'é', '\u{1F381}')).map(([n, c]) =>
    mutation('note near the limit', (o) => setMember(o, 'note', c.repeat(n).slice(0, n))),
  ),
  fc.tuple(fc.string({ maxLength: 40 }), fc.constantFrom('\uffff', '\ufffe', '\ud800', '\udc00', '\u0000', '\u001b', '\u0085', '\u2028', '\ufeff', '\t', '\n'), fc.string({ maxLength: 40 })).map(
    ([before, odd, after]) => mutation('note with an odd character', (o) => setMember(o, 'note', before + odd + after)),
  ),
  // Duplicate keys: JSON.parse keeps the last, so the order of the two decides.
  fc.tuple(badIdArb, fc.boolean()).map(([id, badLast]) =>
    mutation('customerId twice', (o) => (badLast ? o.list.push(['customerId', id]) : o.list.unshift(['customerId', id]))),
  ),
  fc.boolean().map((emptyLast) => mutation('items twice', (o) => (emptyLast ? o.list.push(['items', []]) : o.list.unshift(['items', []])))),
  fc.tuple(badQuantityArb, fc.boolean(), fc.nat()).map(([q, badLast, pick]) =>
    mutation('quantity twice', (o) => {
      const item = itemOf(o, pick);
      if (badLast) item.list.push(['quantity', q]);
      else item.list.unshift(['quantity', q]);
    }),
  ),
);

const validArb: fc.Arbitrary<Case> = fc
  .tuple(draftArb, layoutArb, contentTypeArb)
  .map(([draft, layout, contentType]) => ({ kind: 'valid', contentType, body: utf8(write(orderMembers(draft, layout), layout)) }));

const nearValidArb: fc.Arbitrary<Case> = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(draftArb, layoutArb, mutationArb, contentTypeArb).map(([draft, layout, change, contentType]) => {
    const order = orderMembers(draft, layout);
    change.apply(order);
    return { kind: `near-valid: ${change.label}`, contentType, body: utf8(write(order, layout)) };
  }) },
  // Several things at once, any of them possibly wrong.
  { weight: 1, arbitrary: fc
    .tuple(
      fc.record(
        {
          customerId: fc.oneof(idArb, fc.jsonValue({ maxDepth: 1 })),
          items: fc.array(
            fc.record(
              { sku: fc.oneof(idArb, fc.jsonValue({ maxDepth: 1 })), quantity: fc.oneof(fc.integer({ min: -2, max: RULES.maxQuantity + 2 }), fc.jsonValue({ maxDepth: 1 })) },
              { requiredKeys: [] },
            ),
            { maxLength: 4 },
          ),
          note: fc.oneof(noteArb, fc.jsonValue({ maxDepth: 1 })),
        },
        { requiredKeys: [] },
      ),
      contentTypeArb,
    )
    .map(([value, contentType]) => ({ kind: 'near-valid: mixed', contentType, body: utf8(JSON.stringify(value)) })) },
);

/** Bytes that are not UTF-8: a lone continuation byte, 0xFF, an overlong NUL, an encoded surrogate, a cut-off sequence. */
const NOT_UTF8 = [[0x80], [0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80], [0xfe]].map((b) => Uint8Array.from(b));
const plainOrderText = (draft: Draft) => JSON.stringify(draft);

const garbageArb: fc.Arbitrary<Case> = fc.oneof(
  fc.tuple(fc.oneof(fc.string(), fc.string({ unit: 'binary', maxLength: 300 })), contentTypeArb).map(([text, contentType]) => ({
    kind: 'garbage: text',
    contentType,
    body: utf8(text),
  })),
  fc.tuple(fc.oneof(fc.json(), fc.jsonValue().map((v) => JSON.stringify(Array.isArray(v) || !isPlainObject(v) ? v : [v]))), contentTypeArb).map(
    ([text, contentType]) => ({ kind: 'garbage: JSON, not an order', contentType, body: utf8(text) }),
  ),
  fc.tuple(fc.uint8Array({ maxLength: 600 }), contentTypeArb).map(([body, contentType]) => ({ kind: 'garbage: random bytes', contentType, body })),
  fc.tuple(draftArb, fc.constantFrom(...NOT_UTF8), fc.nat(), contentTypeArb).map(([draft, bad, at, contentType]) => {
    const text = utf8(plainOrderText(draft));
    const cut = at % (text.length + 1);
    return { kind: 'garbage: not UTF-8', contentType, body: concat(text.subarray(0, cut), bad, text.subarray(cut)) };
  }),
  fc.tuple(draftArb, fc.constantFrom(...NOT_UTF8), contentTypeArb).map(([draft, bad, contentType]) => ({
    kind: 'garbage: not UTF-8 in the note',
    contentType,
    body: concat(utf8(plainOrderText({ ...draft, note: 'gift ' }).slice(0, -2)), bad, utf8('"}')),
  })),
  fc.tuple(draftArb, fc.nat(), contentTypeArb).map(([draft, at, contentType]) => {
    const text = plainOrderText(draft);
    return { kind: 'garbage: cut short', contentType, body: utf8(text.slice(0, at % text.length)) };
  }),
  fc.tuple(draftArb, contentTypeArb).map(([draft, contentType]) => ({
    kind: 'garbage: byte order mark',
    contentType,
    body: concat(Uint8Array.from([0xef, 0xbb, 0xbf]), utf8(plainOrderText(draft))),
  })),
  fc.tuple(fc.constantFrom('', ' ', '\n', '\t\r\n ', 'null', '""', '[]', '{}', '0', 'true', '"{}"'), contentTypeArb).map(([text, contentType]) => ({
    kind: 'garbage: empty or nearly',
    contentType,
    body: utf8(text),
  })),
  fc.tuple(draftArb, fc.constantFrom('in a list', 'in an object', 'as a string'), contentTypeArb).map(([draft, wrapping, contentType]) => ({
    kind: `garbage: the order ${wrapping}`,
    contentType,
    body: utf8(JSON.stringify({ 'in a list': [draft], 'in an object': { order: draft }, 'as a string': JSON.stringify(draft) }[wrapping])),
  })),
  // The size limit, to the byte: the function reads up to 16 KB.
  fc.tuple(draftArb, fc.integer({ min: -3, max: 3 }), fc.boolean(), contentTypeArb).map(([draft, off, before, contentType]) => {
    const text = plainOrderText(draft);
    const padding = ' '.repeat(Math.max(0, RULES.maxBodyBytes + off - utf8(text).length));
    return { kind: 'garbage: at the size limit', contentType, body: utf8(before ? padding + text : text + padding) };
  }),
  fc.tuple(draftArb, fc.integer({ min: 400, max: 17_000 }), contentTypeArb).map(([draft, length, contentType]) => ({
    kind: 'garbage: a huge note',
    contentType,
    body: utf8(plainOrderText({ ...draft, note: 'x'.repeat(length) })),
  })),
  fc.tuple(fc.integer({ min: 15_000, max: 1 << 20 }), fc.constantFrom('x', ' ', '[', '"', '\u00e9', '0'), contentTypeArb).map(([length, fill, contentType]) => ({
    kind: 'garbage: a huge body',
    contentType,
    body: utf8(fill.repeat(length)),
  })),
  fc.tuple(fc.oneof(fc.integer({ min: 1, max: 8_000 }), fc.integer({ min: 8_000, max: 200_000 })), fc.constantFrom('arrays', 'objects', 'unclosed', 'as the items', 'as the note', 'in an unknown field'), contentTypeArb).map(
    ([depth, shape, contentType]) => {
      const nested = '['.repeat(depth) + ']'.repeat(depth);
      const order = (field: string) => `{"customerId":"c-1","items":${field === 'items' ? nested : '[{"sku":"tea","quantity":1}]'}${field === 'note' ? `,"note":${nested}` : ''}${field === 'extra' ? `,"extra":${nested}` : ''}}`;
      const text = {
        arrays: nested,
        objects: '{"a":'.repeat(depth) + '1' + '}'.repeat(depth),
        unclosed: '['.repeat(depth),
        'as the items': order('items'),
        'as the note': order('note'),
        'in an unknown field': order('extra'),
      }[shape];
      return { kind: `garbage: nested ${shape}`, contentType, body: utf8(text) };
    },
  ),
);

const caseArb: fc.Arbitrary<Case> = fc
  .oneof({ weight: 35, arbitrary: validArb }, { weight: 40, arbitrary: nearValidArb }, { weight: 25, arbitrary: garbageArb })
  .map(({ kind, contentType, body }) => makeCase(kind, contentType, body));

// ---------------------------------------------------------------------------------------------
// Sending, and judging the answer.

interface Answer {
  /** 0 when no answer came. */
  status: number;
  contentType: string | null;
  text: string;
}

async function send(url: string, c: Case): Promise<Answer> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: c.contentType === undefined ? {} : { 'Content-Type': c.contentType },
      body: c.body,
      signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
    });
    return { status: response.status, contentType: response.headers.get('content-type'), text: await response.text() };
  } catch (err) {
    return { status: 0, contentType: null, text: `no answer: ${(err as Error).message}` };
  }
}

/** The answers to all the cases, in their order, with at most IN_FLIGHT requests open at once. */
async function sendAll(url: string, cases: Case[]): Promise<Answer[]> {
  const answers: Answer[] = new Array(cases.length);
  let next = 0;
  const sender = async () => {
    while (next < cases.length) {
      const at = next++;
      answers[at] = await send(url, cases[at]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, cases.length) }, sender));
  return answers;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What is wrong with the answer, or undefined when it is the one the rules call for. */
function wrongAnswer(expected: Expected, answer: Answer): string | undefined {
  const got = `got ${answer.status} ${answer.text.slice(0, 300)}`;
  const wanted = expected.status === 202 ? '202' : `400 ${expected.error}`;
  if (answer.status !== expected.status) return `expected ${wanted}, ${got}`;
  if (!/^application\/json\b/.test(answer.contentType ?? '')) return `expected a JSON answer, got Content-Type ${answer.contentType}`;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(answer.text) as Record<string, unknown>;
  } catch {
    return `expected a JSON answer, ${got}`;
  }
  if (expected.status === 202) {
    if (typeof body.orderId !== 'string' || !UUID.test(body.orderId) || body.status !== 'accepted') return `expected {orderId, status: "accepted"}, ${got}`;
    return undefined;
  }
  if (body.error !== expected.error) return `expected ${wanted}, ${got}`;
  if (typeof body.message !== 'string' || body.message === '') return `expected a message with the reason, ${got}`;
  if (expected.error === 'InvalidOrder') {
    const problems = body.problems;
    const listed = Array.isArray(problems) && problems.length > 0 && problems.every((p) => typeof p?.path === 'string' && typeof p?.message === 'string');
    if (!listed) return `expected the problems, each with its path and message, ${got}`;
  }
  return undefined;
}

function shorten(text: string): string {
  return text.length > 300 ? `${text.slice(0, 300)}… (${text.length} characters)` : text;
}

function describeCase(c: Case): string {
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(c.body.subarray(0, 400));
  const shown = text.length > 240 ? `${JSON.stringify(text.slice(0, 240))}… (${c.body.length} bytes)` : JSON.stringify(text);
  return `${c.kind}, ${c.contentType === undefined ? 'no Content-Type' : `Content-Type "${c.contentType}"`}, body ${shown}`;
}

// ---------------------------------------------------------------------------------------------

let cloud: TestCloud;
let sqs: SQSClient;
let apiUrl: string;
let restApiId: string;
let queueUrl: string;

beforeAll(async () => {
  cloud = await startTestCloud();
  aimAt(cloud);
  await deploy(1);
  await deploy(2);
  await deploy(3);
  const apigw = new APIGatewayClient(cloud.clientConfig);
  const [api, ...others] = (await apigw.send(new GetRestApisCommand({}))).items ?? [];
  expect(others).toEqual([]);
  restApiId = api.id!;
  apiUrl = invokeUrl(restApiId, 'v1', '/orders');
  // Step 3 throttles the stage to 5 requests/s, as a learner's public API should be; here every body
  // must reach the function, so the stage takes far more for this run.
  await apigw.send(
    new UpdateStageCommand({
      restApiId,
      stageName: 'v1',
      patchOperations: [
        { op: 'replace', path: '/*/*/throttling/rateLimit', value: '100000' },
        { op: 'replace', path: '/*/*/throttling/burstLimit', value: '100000' },
      ],
    }),
  );
  sqs = new SQSClient(cloud.clientConfig); // test/test: the account's own key pair
  queueUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: 'workbook-orders' }))).QueueUrl!;
}, 60_000);
afterAll(() => cloud?.close());

/** Every 202 the API gave: its orderId, and the order the oracle says was sent. */
const accepted: { orderId: string; order: SentOrder | undefined; sent: Case }[] = [];

describe('POST /orders, fuzzed (fast-check)', () => {
  it(`answers every body as the rules say: 202 {orderId} for a valid order, 400 with the reason otherwise`, async () => {
    const runs = Math.ceil(BODIES / BODIES_PER_RUN);
    console.log(`orders fuzz: seed ${SEED} (FUZZ_SEED), ${runs * BODIES_PER_RUN} bodies (FUZZ_BODIES), ${IN_FLIGHT} in flight`);
    const tally = { bodies: 0, byKind: new Map<string, number>(), byAnswer: new Map<string, number>() };
    const count = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
    const started = performance.now();

    await fc.assert(
      fc.asyncProperty(fc.array(caseArb, { minLength: BODIES_PER_RUN, maxLength: BODIES_PER_RUN }), async (batch) => {
        const answers = await sendAll(apiUrl, batch);
        const wrong: string[] = [];
        batch.forEach((c, i) => {
          const answer = answers[i];
          const expected = expectedAnswer(c.contentType, c.body);
          tally.bodies++;
          count(tally.byKind, c.kind.split(':')[0]);
          count(tally.byAnswer, answer.status === 400 ? `400 ${safeError(answer.text)}` : String(answer.status));
          if (answer.status === 202) {
            accepted.push({ orderId: safeOrderId(answer.text), order: expected.status === 202 ? expected.order : undefined, sent: c });
          }
          const problem = wrongAnswer(expected, answer);
          if (problem) wrong.push(`${describeCase(c)}\n    ${problem}`);
        });
        if (wrong.length > 0) throw new Error(`${wrong.length} wrong answer(s):\n  ${wrong.slice(0, 5).join('\n  ')}`);
      }),
      // A failure is shrunk to simpler bodies, each attempt a batch over HTTP: bounded in time.
      { seed: SEED, numRuns: runs, interruptAfterTimeLimit: 150_000 },
    );

    const seconds = (performance.now() - started) / 1000;
    console.log(
      `orders fuzz: ${tally.bodies} bodies in ${seconds.toFixed(1)} s (${Math.round(tally.bodies / seconds)} bodies/s); ` +
        `sent ${[...tally.byKind].map(([k, n]) => `${k} ${n}`).join(', ')}; ` +
        `answers ${[...tally.byAnswer].sort().map(([k, n]) => `${k} ×${n}`).join(', ')}`,
    );
    expect(tally.bodies).toBeGreaterThanOrEqual(BODIES);
    // The mix reached every answer, so no branch went untested.
    for (const answer of ['202', '400 UnsupportedContentType', '400 BodyTooLarge', '400 InvalidJson', '400 InvalidOrder']) {
      expect(tally.byAnswer.get(answer) ?? 0, answer).toBeGreaterThan(0);
    }
  }, 200_000);

  it('puts exactly the accepted orders on the queue: one message each, as sent, nothing else', async () => {
    expect(accepted.length).toBeGreaterThan(0);
    expect(new Set(accepted.map((a) => a.orderId)).size, 'each 202 has its own orderId').toBe(accepted.length);
    const messages = await takeAllMessages();
    const byOrderId = new Map(accepted.map((a) => [a.orderId, a]));
    const seen = new Set<string>();
    const wrong: string[] = [];
    for (const message of messages) {
      const { orderId, times, ...order } = JSON.parse(message.Body!) as Record<string, unknown>;
      const sent = byOrderId.get(orderId as string);
      if (!sent) wrong.push(`a message no 202 announced: ${shorten(message.Body!)}`);
      else if (seen.has(sent.orderId)) wrong.push(`order ${sent.orderId} is queued twice`);
      else if (!asValidOrder(order)) wrong.push(`an invalid order was queued: ${shorten(message.Body!)} (sent as ${describeCase(sent.sent)})`);
      else if (!isDeepStrictEqual(order, sent.order)) wrong.push(`order ${sent.orderId} was queued as ${shorten(JSON.stringify(order))}, sent as ${shorten(JSON.stringify(sent.order))}`);
      else if (!isTimes(times)) wrong.push(`order ${sent.orderId} has times ${JSON.stringify(times)}`);
      else {
        const attributes = message.MessageAttributes ?? {};
        if (attributes.orderId?.StringValue !== sent.orderId || attributes.acceptedAt?.StringValue !== String(times.acceptedAt)) {
          wrong.push(`order ${sent.orderId} has the attributes ${JSON.stringify(attributes)}`);
        }
      }
      if (typeof orderId === 'string') seen.add(orderId);
    }
    const missing = accepted.filter((a) => !seen.has(a.orderId)).map((a) => `${a.orderId} (${describeCase(a.sent)})`);
    expect(wrong.slice(0, 10), `${wrong.length} wrong message(s), the first 10:`).toEqual([]);
    expect(missing.slice(0, 10), `${missing.length} accepted order(s) missing from the queue, the first 10:`).toEqual([]);
    expect(messages).toHaveLength(accepted.length);
    console.log(`orders fuzz: the queue held ${messages.length} messages for ${accepted.length} orders accepted`);

    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
      }),
    );
    expect(Attributes).toEqual({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0', ApproximateNumberOfMessagesDelayed: '0' });
  }, 60_000);

  it("malformed requests get API Gateway's own 4xx, and never reach the function", async () => {
    const paths = ['/orders%', '/orders%zz', '/%ff', '/orders/%E0%A4%A', '/%00', '/orders%2F..%2F', '/../orders'];
    const order = JSON.stringify({ customerId: 'c-1', items: [{ sku: 'tea', quantity: 1 }] });
    for (const path of paths) {
      const answer = await rawPost(`/restapis/${restApiId}/v1/_user_request_${path}`, Buffer.from(order));
      expect(answer.status, `${path}: ${answer.text}`).toBeGreaterThanOrEqual(400);
      expect(answer.status, `${path}: ${answer.text}`).toBeLessThan(500);
      expect(JSON.parse(answer.text), path).toEqual({ message: expect.any(String) });
    }
    // Over API Gateway's 10 MB payload limit: refused before any function runs.
    const huge = await rawPost(`/restapis/${restApiId}/v1/_user_request_/orders`, Buffer.alloc(10 * 1024 * 1024 + 1, 0x20));
    expect(huge).toMatchObject({ status: 413, text: '{"message":"Request Too Long"}' });
    expect(await takeAllMessages()).toEqual([]);
  }, 60_000);
});

/** The error code of a 400 answer, for the tally. */
function safeError(text: string): string {
  try {
    return String((JSON.parse(text) as { error?: unknown }).error);
  } catch {
    return '(not JSON)';
  }
}

function safeOrderId(text: string): string {
  try {
    return String((JSON.parse(text) as { orderId?: unknown }).orderId);
  } catch {
    return '(not JSON)';
  }
}

function isTimes(value: unknown): value is { acceptedAt: number; queuedAt: number } {
  if (!isPlainObject(value) || Object.keys(value).sort().join() !== 'acceptedAt,queuedAt') return false;
  const { acceptedAt, queuedAt } = value;
  return Number.isInteger(acceptedAt) && Number.isInteger(queuedAt) && (acceptedAt as number) <= (queuedAt as number);
}

/** Everything on the orders queue, received and deleted, with the real SDK client. */
async function takeAllMessages(): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageAttributeNames: ['All'] }),
    );
    if (Messages.length === 0) return all;
    all.push(...Messages);
    const { Failed = [] } = await sqs.send(
      new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }),
    );
    if (Failed.length > 0) throw new Error(`could not delete ${Failed.length} message(s): ${JSON.stringify(Failed)}`);
  }
}

/** A POST with the path sent byte for byte (fetch would tidy some of it). */
function rawPost(path: string, body: Buffer): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(cloud.url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, method: 'POST', path, headers: { 'Content-Type': 'application/json', 'Content-Length': body.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.setTimeout(ANSWER_WITHIN_MS, () => req.destroy(new Error(`no answer to POST ${path} within ${ANSWER_WITHIN_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
