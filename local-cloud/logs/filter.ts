import { own } from '../core/dict.ts';
import { logsErrors } from './errors.ts';

/**
 * CloudWatch Logs filter patterns, the two kinds a learner uses:
 * - terms: `ERROR`, `"Task timed out"` (a quoted phrase), `ERROR -retry` (exclude), `?ERROR ?WARN`
 *   (any of); plain terms must all appear; matching is case-sensitive, as in AWS;
 * - JSON: `{ $.level = "ERROR" }`, `{ $.count > 3 && $.user.id = "u-*" }` on events that are JSON
 *   objects (Powertools Logger writes those).
 * An empty pattern matches every event.
 */
export type EventMatcher = (message: string) => boolean;

export function compileFilterPattern(pattern: string | undefined): EventMatcher {
  const text = (pattern ?? '').trim();
  if (text === '' || text === '""') return () => true;
  if (text.startsWith('{')) return compileJsonPattern(text);
  if (text.startsWith('[')) throw logsErrors.invalidFilterPattern();
  return compileTermsPattern(text);
}

function compileTermsPattern(text: string): EventMatcher {
  const required: string[] = [];
  const anyOf: string[] = [];
  const excluded: string[] = [];
  const tokens = text.match(/[?-]?"(?:[^"\\]|\\.)*"|\S+/g) ?? [];
  for (const token of tokens) {
    const prefix = token[0] === '?' || token[0] === '-' ? token[0] : '';
    let term = token.slice(prefix.length);
    if (term.startsWith('"')) {
      if (term.length < 2 || !term.endsWith('"')) throw logsErrors.invalidFilterPattern();
      term = term.slice(1, -1).replace(/\\(.)/g, '$1');
    }
    if (term === '') continue;
    (prefix === '?' ? anyOf : prefix === '-' ? excluded : required).push(term);
  }
  return (message) =>
    required.every((t) => message.includes(t)) &&
    (anyOf.length === 0 || anyOf.some((t) => message.includes(t))) &&
    !excluded.some((t) => message.includes(t));
}

interface Comparison {
  path: string[];
  op: '=' | '!=' | '>' | '<' | '>=' | '<=';
  value: string | number;
}

function compileJsonPattern(text: string): EventMatcher {
  if (!text.endsWith('}')) throw logsErrors.invalidFilterPattern();
  const body = text.slice(1, -1).trim();
  const disjuncts = body.split('||').map((part) => part.split('&&').map((c) => parseComparison(c.trim())));
  return (message) => {
    let doc: unknown;
    try {
      doc = JSON.parse(message);
    } catch {
      return false;
    }
    return disjuncts.some((all) => all.every((c) => compare(c, lookup(doc, c.path))));
  };
}

function parseComparison(text: string): Comparison {
  const match = /^\(?\s*\$((?:\.[A-Za-z0-9_$-]+)+)\s*(!=|>=|<=|=|>|<)\s*(.+?)\s*\)?$/.exec(text);
  if (!match) throw logsErrors.invalidFilterPattern();
  const [, path, op, raw] = match;
  let value: string | number;
  if (raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2) value = raw.slice(1, -1);
  else if (raw !== '' && !Number.isNaN(Number(raw))) value = Number(raw);
  else value = raw;
  return { path: path.slice(1).split('.'), op: op as Comparison['op'], value };
}

function lookup(doc: unknown, path: string[]): unknown {
  let current = doc;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = own(current as Record<string, unknown>, key);
  }
  return current;
}

function compare({ op, value }: Comparison, actual: unknown): boolean {
  if (actual === undefined) return op === '!=' ? true : false;
  if (typeof value === 'number') {
    const n = typeof actual === 'number' ? actual : Number(actual);
    if (Number.isNaN(n)) return op === '!=';
    switch (op) {
      case '=': return n === value;
      case '!=': return n !== value;
      case '>': return n > value;
      case '<': return n < value;
      case '>=': return n >= value;
      case '<=': return n <= value;
    }
  }
  const equal = wildcard(String(value)).test(String(actual));
  if (op === '=') return equal;
  if (op === '!=') return !equal;
  return false;
}

function wildcard(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}
