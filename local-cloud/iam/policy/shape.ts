import { isKnownOperator } from './conditions.ts';
import { isObject } from './normalize.ts';

/**
 * The shapes a policy document's elements may take, shared by IAM's own documents and the
 * resource policies other services check (an SNS topic's, say).
 */

export function isScalar(value: unknown): boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** A string, or a non-empty list of strings. */
export function isStringOrStrings(value: unknown): boolean {
  if (typeof value === 'string') return true;
  return Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string');
}

/**
 * { Operator: { key: value or [values] } } with known operators. IAM takes an empty list of
 * values; SNS refuses one (`nonEmptyLists`).
 */
export function isConditionBlock(value: unknown, options: { nonEmptyLists?: boolean } = {}): boolean {
  if (!isObject(value)) return false;
  return Object.entries(value).every(
    ([operator, keys]) =>
      isKnownOperator(operator) &&
      isObject(keys) &&
      Object.values(keys).every(
        (v) => isScalar(v) || (Array.isArray(v) && (!options.nonEmptyLists || v.length > 0) && v.every(isScalar)),
      ),
  );
}
