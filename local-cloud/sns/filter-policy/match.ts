import { own } from '../../core/dict.ts';
import { isIP } from 'node:net';
import { ipToBigInt, type CompiledPolicy, type Condition, type Leaf, type Literal } from './policy.ts';

/**
 * Applies a compiled filter policy to one message, before delivery. With the MessageAttributes
 * scope the keys name message attributes: a String attribute offers its text, a Number its
 * value, a String.Array each element; Binary attributes can only be tested for existence.
 * With the MessageBody scope the keys follow the JSON body (a body that is not a JSON object
 * matches nothing); arrays offer each element.
 */
export interface AttributeValue {
  DataType: string;
  StringValue?: string;
  BinaryValue?: Buffer;
}

/** What a key found in the message: whether it is there, and the values it offers. */
interface Found {
  present: boolean;
  values: Literal[];
}

export function matchesAttributes(policy: CompiledPolicy, attributes: Record<string, AttributeValue>): boolean {
  return matches(policy, (leaf) => attributeValues(own(attributes, leaf.path[0])));
}

export function matchesBody(policy: CompiledPolicy, message: string): boolean {
  let body: unknown;
  try {
    body = JSON.parse(message);
  } catch {
    return false;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  return matches(policy, (leaf) => bodyValues(body, leaf.path));
}

function matches(policy: CompiledPolicy, lookup: (leaf: Leaf) => Found): boolean {
  return policy.alternatives.some((leaves) => leaves.every((leaf) => leafMatches(leaf, lookup(leaf))));
}

function leafMatches(leaf: Leaf, found: Found): boolean {
  return leaf.conditions.some((condition) => {
    if (condition.type === 'exists') return condition.value === found.present;
    return found.values.some((value) => conditionMatches(condition, value));
  });
}

function attributeValues(attribute: AttributeValue | undefined): Found {
  if (!attribute) return { present: false, values: [] };
  const type = attribute.DataType.split('.')[0];
  const text = attribute.StringValue ?? '';
  if (attribute.DataType === 'String.Array') {
    try {
      const list: unknown = JSON.parse(text);
      if (Array.isArray(list)) return { present: true, values: list.filter(isLiteral) };
    } catch {
      // not a JSON array: matches no value condition
    }
    return { present: true, values: [] };
  }
  if (type === 'Number') return { present: true, values: [Number(text)] };
  if (type === 'String') return { present: true, values: [text] };
  return { present: true, values: [] };
}

function bodyValues(body: object, path: string[]): Found {
  let level: unknown[] = [body];
  for (const key of path) {
    const next: unknown[] = [];
    for (const node of level) {
      for (const item of Array.isArray(node) ? node : [node]) {
        if (typeof item === 'object' && item !== null && !Array.isArray(item) && Object.hasOwn(item, key)) {
          next.push((item as Record<string, unknown>)[key]);
        }
      }
    }
    level = next;
  }
  const values = level.flatMap((v) => (Array.isArray(v) ? v : [v])).filter(isLiteral);
  return { present: level.length > 0, values };
}

function isLiteral(value: unknown): value is Literal {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

function conditionMatches(condition: Condition, value: Literal): boolean {
  switch (condition.type) {
    case 'equals':
      return value === condition.value;
    case 'prefix':
      return typeof value === 'string' && value.startsWith(condition.value);
    case 'suffix':
      return typeof value === 'string' && value.endsWith(condition.value);
    case 'equals-ignore-case':
      return typeof value === 'string' && value.toLowerCase() === condition.value.toLowerCase();
    case 'anything-but':
      return (typeof value === 'string' || typeof value === 'number') && !condition.values.includes(value);
    case 'anything-but-prefix':
      return typeof value === 'string' && !value.startsWith(condition.value);
    case 'anything-but-equals-ignore-case':
      return typeof value === 'string' && value.toLowerCase() !== condition.value.toLowerCase();
    case 'numeric':
      return typeof value === 'number' && Number.isFinite(value) && inRange(condition, value);
    case 'cidr':
      return typeof value === 'string' && inNetwork(condition, value);
    case 'exists':
      return false; // decided per key, not per value
  }
}

function inRange(condition: Extract<Condition, { type: 'numeric' }>, value: number): boolean {
  if (condition.equals !== undefined) return value === condition.equals;
  const { lower, upper } = condition;
  if (lower && (lower.inclusive ? value < lower.value : value <= lower.value)) return false;
  if (upper && (upper.inclusive ? value > upper.value : value >= upper.value)) return false;
  return true;
}

function inNetwork(condition: Extract<Condition, { type: 'cidr' }>, value: string): boolean {
  if (isIP(value) !== condition.family) return false;
  const width = condition.family === 4 ? 32 : 128;
  return ipToBigInt(value) >> BigInt(width - condition.bits) === condition.network;
}
