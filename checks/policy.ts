/**
 * Reading IAM policy documents (identity, trust and resource policies) in checks: enough to
 * tell whether a statement grants what a step needs, and whether it grants more.
 */

export interface Statement {
  Sid?: string;
  Effect?: string;
  Principal?: '*' | Record<string, string | string[]>;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

/**
 * The statements of a policy document. IAM returns documents URL-encoded
 * (GetRole, GetRolePolicy, GetPolicyVersion); Lambda's GetPolicy returns plain JSON.
 */
export function statementsOf(document: string | undefined): Statement[] {
  if (!document) return [];
  const text = document.trimStart().startsWith('{') ? document : decodeURIComponent(document);
  const parsed = JSON.parse(text) as { Statement?: Statement | Statement[] };
  return list(parsed.Statement);
}

/** IAM lets a single value stand for a list of one. */
export function list<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** IAM's wildcards: `*` any run of characters, `?` any one. Actions compare case-insensitively. */
export function matches(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

export const hasWildcard = (value: string): boolean => /[*?]/.test(value);

/** The service principals a statement names (Principal: { Service: … }). */
export function servicePrincipals(statement: Statement): string[] {
  if (!statement.Principal || statement.Principal === '*') return [];
  return list(statement.Principal.Service);
}

/** A condition value, whatever the case of its key (Lambda writes AWS:SourceArn, people write aws:SourceArn). */
export function conditionValues(statement: Statement, operator: string, key: string): string[] {
  const block = statement.Condition?.[operator];
  if (!block) return [];
  const found = Object.entries(block).find(([k]) => k.toLowerCase() === key.toLowerCase());
  return found ? list(found[1]) : [];
}
