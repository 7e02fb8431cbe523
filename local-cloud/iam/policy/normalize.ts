import { dict } from '../../core/dict.ts';
import type { ConditionBlock, Effect, Policy, PrincipalElement, Statement } from './types.ts';

/**
 * Turns a policy document (JSON text or parsed object) into the normalized `Policy` shape.
 * Lenient on purpose: it only fails on input that has no sensible reading. Strict checking with
 * AWS's error messages is document.ts's job, at the moment a learner stores a policy.
 */
export function normalizePolicy(input: unknown): Policy {
  const doc = typeof input === 'string' ? (JSON.parse(input) as unknown) : input;
  if (!isObject(doc)) throw new TypeError('A policy document must be a JSON object.');
  const rawStatements = doc.Statement;
  const list = Array.isArray(rawStatements) ? rawStatements : rawStatements === undefined ? [] : [rawStatements];
  return {
    version: typeof doc.Version === 'string' ? doc.Version : undefined,
    id: typeof doc.Id === 'string' ? doc.Id : undefined,
    // A statement without a valid Effect can neither allow nor deny anything.
    statements: list.filter(isObject).filter((raw) => effectOf(raw.Effect) !== undefined).map(normalizeStatement),
  };
}

export function normalizeStatement(raw: Record<string, unknown>): Statement {
  const statement: Statement = { effect: effectOf(raw.Effect) ?? 'Deny' };
  if (typeof raw.Sid === 'string') statement.sid = raw.Sid;
  if (raw.Action !== undefined) statement.action = strings(raw.Action);
  if (raw.NotAction !== undefined) statement.notAction = strings(raw.NotAction);
  if (raw.Resource !== undefined) statement.resource = strings(raw.Resource);
  if (raw.NotResource !== undefined) statement.notResource = strings(raw.NotResource);
  if (raw.Principal !== undefined) statement.principal = principalElement(raw.Principal);
  if (raw.NotPrincipal !== undefined) statement.notPrincipal = principalElement(raw.NotPrincipal);
  if (raw.Condition !== undefined) statement.condition = conditionBlock(raw.Condition);
  return statement;
}

/** A value or an array of values, as strings (condition values may be numbers or booleans). */
export function strings(value: unknown): string[] {
  const list = Array.isArray(value) ? value : [value];
  return list.filter((v) => v !== null && v !== undefined).map((v) => String(v));
}

function principalElement(value: unknown): PrincipalElement {
  if (value === '*') return '*';
  const out = dict<string[]>();
  if (isObject(value)) {
    for (const [type, ids] of Object.entries(value)) out[type] = strings(ids);
  }
  return out;
}

function conditionBlock(value: unknown): ConditionBlock {
  const out: ConditionBlock = dict();
  if (!isObject(value)) return out;
  for (const [operator, keys] of Object.entries(value)) {
    const entry = dict<string[]>();
    if (isObject(keys)) {
      for (const [key, values] of Object.entries(keys)) entry[key] = strings(values);
    }
    out[operator] = entry;
  }
  return out;
}

/** IAM accepts "Allow"/"Deny" in any letter case. */
export function effectOf(value: unknown): Effect | undefined {
  if (typeof value !== 'string') return undefined;
  const lower = value.toLowerCase();
  return lower === 'allow' ? 'Allow' : lower === 'deny' ? 'Deny' : undefined;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
