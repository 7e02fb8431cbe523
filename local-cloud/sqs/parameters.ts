import { dict } from '../core/dict.ts';
import { sqsErrors } from './errors.ts';

/** Checks on request parameters shared by several operations. */

const MAX_TAGS = 50;

/** An integer parameter in [min, max], or undefined when absent; `reason` completes AWS's message. */
export function optionalInteger(
  name: string,
  value: unknown,
  min: number,
  max: number,
  reason: string,
): number | undefined {
  if (value === undefined || value === null) return undefined;
  return integerParameter(name, value, min, max, reason);
}

export function integerParameter(name: string, value: unknown, min: number, max: number, reason: string): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw sqsErrors.invalidParameterValue(name, value, reason);
  return n;
}

/** Tags after adding `added` to `current`, checked against AWS's limits (50 tags, key 1–128, value 0–256). */
export function validateTags(
  queueName: string,
  current: Record<string, string>,
  added: Record<string, unknown> | undefined,
): Record<string, string> {
  const next = dict(current);
  for (const [key, raw] of Object.entries(added ?? {})) {
    const value = raw === undefined || raw === null ? '' : String(raw);
    if (key.length < 1 || key.length > 128) {
      throw sqsErrors.invalidParameter(`Tag key ${key} is invalid: a tag key must be 1 to 128 characters long.`);
    }
    if (value.length > 256) {
      throw sqsErrors.invalidParameter(`Tag value for key ${key} is invalid: a tag value can be up to 256 characters long.`);
    }
    next[key] = value;
  }
  if (Object.keys(next).length > MAX_TAGS) throw sqsErrors.tooManyTags(queueName);
  return next;
}
