import { arnMatches, wildcardMatch } from './wildcard.ts';
import type { ConditionBlock, ContextValue } from './types.ts';

/** Condition keys by lower-cased name (keys are case-insensitive), values as strings. */
export type ConditionContext = ReadonlyMap<string, readonly string[]>;

export function conditionContext(context: Record<string, ContextValue | undefined> | undefined): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [key, value] of Object.entries(context ?? {})) {
    if (value === undefined) continue;
    const values = (Array.isArray(value) ? value : [value]).map((v) => String(v));
    out.set(key.toLowerCase(), values);
  }
  return out;
}

/** Compares one request value with one policy value. */
type Comparison = (requestValue: string, policyValue: string) => boolean;

interface BaseOperator {
  compare: Comparison;
  /** A "Not" operator holds when no policy value compares true, and when the key is absent. */
  negated: boolean;
}

const stringEquals: Comparison = (r, p) => r === p;
const stringEqualsIgnoreCase: Comparison = (r, p) => r.toLowerCase() === p.toLowerCase();
const stringLike: Comparison = (r, p) => wildcardMatch(p, r);
const numeric = (test: (r: number, p: number) => boolean): Comparison => (r, p) => {
  const rn = Number(r);
  const pn = Number(p);
  return r.trim() !== '' && p.trim() !== '' && !Number.isNaN(rn) && !Number.isNaN(pn) && test(rn, pn);
};
const date = (test: (r: number, p: number) => boolean): Comparison => (r, p) => {
  const rt = parseDate(r);
  const pt = parseDate(p);
  return rt !== undefined && pt !== undefined && test(rt, pt);
};
const bool: Comparison = (r, p) => r.toLowerCase() === p.toLowerCase();

/** The operators, keyed by lower-cased name: AWS spells them in PascalCase, we accept any case. */
const OPERATORS = new Map<string, BaseOperator>(
  Object.entries<BaseOperator>({
    StringEquals: { compare: stringEquals, negated: false },
    StringNotEquals: { compare: stringEquals, negated: true },
    StringEqualsIgnoreCase: { compare: stringEqualsIgnoreCase, negated: false },
    StringNotEqualsIgnoreCase: { compare: stringEqualsIgnoreCase, negated: true },
    StringLike: { compare: stringLike, negated: false },
    StringNotLike: { compare: stringLike, negated: true },
    // AWS documents ArnEquals and ArnLike as the same test (both take wildcards per ARN part).
    ArnEquals: { compare: (r, p) => arnMatches(p, r), negated: false },
    ArnLike: { compare: (r, p) => arnMatches(p, r), negated: false },
    ArnNotEquals: { compare: (r, p) => arnMatches(p, r), negated: true },
    ArnNotLike: { compare: (r, p) => arnMatches(p, r), negated: true },
    NumericEquals: { compare: numeric((r, p) => r === p), negated: false },
    NumericNotEquals: { compare: numeric((r, p) => r === p), negated: true },
    NumericLessThan: { compare: numeric((r, p) => r < p), negated: false },
    NumericLessThanEquals: { compare: numeric((r, p) => r <= p), negated: false },
    NumericGreaterThan: { compare: numeric((r, p) => r > p), negated: false },
    NumericGreaterThanEquals: { compare: numeric((r, p) => r >= p), negated: false },
    DateEquals: { compare: date((r, p) => r === p), negated: false },
    DateNotEquals: { compare: date((r, p) => r === p), negated: true },
    DateLessThan: { compare: date((r, p) => r < p), negated: false },
    DateLessThanEquals: { compare: date((r, p) => r <= p), negated: false },
    DateGreaterThan: { compare: date((r, p) => r > p), negated: false },
    DateGreaterThanEquals: { compare: date((r, p) => r >= p), negated: false },
    Bool: { compare: bool, negated: false },
  }).map(([name, op]) => [name.toLowerCase(), op]),
);

export interface ParsedOperator {
  set?: 'ForAnyValue' | 'ForAllValues';
  /** Lower-cased base name without prefix or IfExists, e.g. "stringlike" or "null". */
  base: string;
  ifExists: boolean;
}

/** Splits "ForAnyValue:StringLikeIfExists" into its qualifier, base operator and IfExists flag. */
export function parseOperator(name: string): ParsedOperator {
  let rest = name;
  let set: ParsedOperator['set'];
  const colon = rest.indexOf(':');
  if (colon !== -1) {
    const prefix = rest.slice(0, colon).toLowerCase();
    if (prefix === 'foranyvalue') set = 'ForAnyValue';
    else if (prefix === 'forallvalues') set = 'ForAllValues';
    else return { base: `unknown:${name}`, ifExists: false };
    rest = rest.slice(colon + 1);
  }
  let ifExists = false;
  if (rest.toLowerCase().endsWith('ifexists')) {
    ifExists = true;
    rest = rest.slice(0, -'IfExists'.length);
  }
  return { set, base: rest.toLowerCase(), ifExists };
}

/** True when `name` is a condition operator this evaluator knows (document validation asks). */
export function isKnownOperator(name: string): boolean {
  const op = parseOperator(name);
  if (op.base === 'null') return !op.set && !op.ifExists;
  return OPERATORS.has(op.base);
}

/**
 * Every operator must hold (AND); within an operator every key must hold (AND); for one key,
 * any of the listed values may match (OR), except for the "Not" operators, which require that
 * none does.
 */
export function conditionsMatch(block: ConditionBlock | undefined, context: ConditionContext): boolean {
  if (!block) return true;
  for (const [operatorName, keys] of Object.entries(block)) {
    const operator = parseOperator(operatorName);
    for (const [key, policyValues] of Object.entries(keys)) {
      if (!keyMatches(operator, context.get(key.toLowerCase()), policyValues)) return false;
    }
  }
  return true;
}

function keyMatches(operator: ParsedOperator, requestValues: readonly string[] | undefined, policyValues: string[]): boolean {
  const present = requestValues !== undefined && requestValues.length > 0;

  if (operator.base === 'null') {
    // "Null": "true" requires the key to be absent, "false" requires it to be present.
    return policyValues.some((value) => (value.toLowerCase() === 'true' ? !present : present));
  }
  const base = OPERATORS.get(operator.base);
  if (!base) return false; // an operator we do not know never grants or denies anything

  if (!present) {
    if (operator.ifExists) return true;
    if (operator.set === 'ForAllValues') return true; // vacuously: every one of no values matches
    if (operator.set === 'ForAnyValue') return false;
    return base.negated;
  }
  const holdsFor = (requestValue: string): boolean => {
    const anyMatch = policyValues.some((policyValue) => base.compare(requestValue, policyValue));
    return base.negated ? !anyMatch : anyMatch;
  };
  if (operator.set === 'ForAllValues') return requestValues.every(holdsFor);
  if (operator.set === 'ForAnyValue') return requestValues.some(holdsFor);
  // A single-valued operator given several request values: a "Not" operator must hold for all
  // of them, a positive one for any.
  return base.negated ? requestValues.every(holdsFor) : requestValues.some(holdsFor);
}

/** Dates in conditions: ISO 8601 or epoch seconds. */
function parseDate(value: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}
