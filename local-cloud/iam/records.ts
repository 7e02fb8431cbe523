import { randomInt } from 'node:crypto';
import type { Tag } from './validation.ts';

/** A role as IAM keeps it. Documents are stored exactly as the caller sent them. */
export interface RoleRecord {
  name: string;
  id: string;
  arn: string;
  path: string;
  createDate: string;
  assumeRolePolicyDocument: string;
  description?: string;
  maxSessionDuration: number;
  tags: Tag[];
  /** Inline policies, in the order they were first put. */
  inlinePolicies: InlinePolicyRecord[];
  /** ARNs of attached managed policies, in attachment order. */
  attachedPolicyArns: string[];
}

export interface InlinePolicyRecord {
  name: string;
  document: string;
}

export interface PolicyVersionRecord {
  versionId: string;
  document: string;
  createDate: string;
}

/** A customer managed policy (CreatePolicy). */
export interface CustomerPolicyRecord {
  name: string;
  id: string;
  arn: string;
  path: string;
  description?: string;
  createDate: string;
  updateDate: string;
  defaultVersionId: string;
  versions: PolicyVersionRecord[];
  tags: Tag[];
}

/** What persists: one document for all of IAM. */
export interface IamSnapshot {
  roles: RoleRecord[];
  policies: CustomerPolicyRecord[];
}

// IAM unique ids: a 4-letter type prefix and 17 characters of AWS's base32 alphabet.
const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function uniqueId(prefix: 'AROA' | 'ANPA'): string {
  let id = prefix;
  for (let i = 0; i < 17; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return id;
}

/** IAM answers dates to the second: 2024-05-01T12:00:00Z. */
export function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export interface Page<T> {
  items: T[];
  isTruncated: boolean;
  /** Present when truncated: pass it back as Marker for the next page. */
  marker?: string;
}

/**
 * Marker/MaxItems paging over a list sorted by `keyOf`. The marker is the last key returned
 * (opaque to the caller), so a page boundary survives items being added or removed meanwhile.
 */
export function paginate<T>(sorted: T[], keyOf: (item: T) => string, marker: string | undefined, maxItems: number): Page<T> {
  const after = marker === undefined ? undefined : Buffer.from(marker, 'base64url').toString('utf8');
  const rest = after === undefined ? sorted : sorted.filter((item) => keyOf(item) > after);
  const items = rest.slice(0, maxItems);
  const isTruncated = rest.length > items.length;
  return {
    items,
    isTruncated,
    marker: isTruncated ? Buffer.from(keyOf(items[items.length - 1]), 'utf8').toString('base64url') : undefined,
  };
}

export function byKey<T>(keyOf: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0);
}

/** Policy size as IAM counts it against its quotas: whitespace does not count. */
export function policySize(document: string): number {
  return document.replace(/\s+/g, '').length;
}
