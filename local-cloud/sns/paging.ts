import { snsErrors } from './errors.ts';
import type { SubscriptionRecord } from './model.ts';

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

const PAGE_SIZE = 100;

/** Subscriptions list oldest first; the key makes a page boundary survive deletions. */
export function orderKey(sub: SubscriptionRecord): string {
  return `${String(sub.createdAt).padStart(15, '0')}|${sub.arn}`;
}

/** 100 per page; NextToken is the key of the last item returned. */
export function page<T>(items: T[], nextToken: string | undefined, key: (item: T) => string): Page<T> {
  const sorted = [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  let start = 0;
  if (nextToken) {
    let after: string;
    try {
      after = Buffer.from(nextToken, 'base64url').toString('utf8');
    } catch {
      throw snsErrors.invalidParameter('NextToken');
    }
    start = sorted.findIndex((item) => key(item) > after);
    if (start === -1) start = sorted.length;
  }
  const slice = sorted.slice(start, start + PAGE_SIZE);
  const more = start + PAGE_SIZE < sorted.length;
  return { items: slice, ...(more ? { nextToken: Buffer.from(key(slice.at(-1)!)).toString('base64url') } : {}) };
}
