import { iamErrors } from './errors.ts';

/**
 * IAM's request constraints (from its API model), checked the way IAM checks them and reported
 * with its ValidationError wording. `member` is the lowerCamel name AWS prints ("roleName").
 */
const NAME_PATTERN = /^[\w+=,.@-]+$/;
const PATH_PATTERN = /^(\/|\/[\u0021-\u007F]+\/)$/;
const PATH_PREFIX_PATTERN = /^\/[\u0021-\u007F]*$/;
const POLICY_PATH_PATTERN = /^((\/[A-Za-z0-9.,+@=_-]+)*)\/$/;
const TAG_KEY_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u;
const TAG_VALUE_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

export function required(value: string | undefined, member: string): string {
  if (value === undefined) throw iamErrors.validation(null, member, 'Member must not be null');
  return value;
}

function length(value: string, member: string, min: number, max: number): void {
  if (value.length < min) throw iamErrors.validation(value, member, `Member must have length greater than or equal to ${min}`);
  if (value.length > max) throw iamErrors.validation(value, member, `Member must have length less than or equal to ${max}`);
}

function pattern(value: string, member: string, re: RegExp, shown: string): void {
  if (!re.test(value)) throw iamErrors.validation(value, member, `Member must satisfy regular expression pattern: ${shown}`);
}

export function roleName(value: string | undefined, member = 'roleName'): string {
  const name = required(value, member);
  length(name, member, 1, 64);
  pattern(name, member, NAME_PATTERN, '[\\w+=,.@-]+');
  return name;
}

export function policyName(value: string | undefined, member = 'policyName'): string {
  const name = required(value, member);
  length(name, member, 1, 128);
  pattern(name, member, NAME_PATTERN, '[\\w+=,.@-]+');
  return name;
}

export function rolePath(value: string | undefined): string {
  if (value === undefined) return '/';
  length(value, 'path', 1, 512);
  pattern(value, 'path', PATH_PATTERN, '(\\u002F)|(\\u002F[\\u0021-\\u007F]+\\u002F)');
  return value;
}

export function policyPath(value: string | undefined): string {
  if (value === undefined) return '/';
  length(value, 'path', 1, 512);
  pattern(value, 'path', POLICY_PATH_PATTERN, '((/[A-Za-z0-9\\.,\\+@=_-]+)*)/');
  return value;
}

export function pathPrefix(value: string | undefined): string {
  if (value === undefined) return '/';
  length(value, 'pathPrefix', 1, 512);
  pattern(value, 'pathPrefix', PATH_PREFIX_PATTERN, '\\u002F[\\u0021-\\u007F]*');
  return value;
}

export function description(value: string | undefined): string | undefined {
  if (value !== undefined) length(value, 'description', 0, 1000);
  return value;
}

export function maxSessionDuration(value: number | undefined): number {
  if (value === undefined) return 3600;
  if (value < 3600) throw iamErrors.validation(String(value), 'maxSessionDuration', 'Member must have value greater than or equal to 3600');
  if (value > 43200) throw iamErrors.validation(String(value), 'maxSessionDuration', 'Member must have value less than or equal to 43200');
  return value;
}

export function maxItems(value: number | undefined): number {
  if (value === undefined) return 100;
  if (value < 1) throw iamErrors.validation(String(value), 'maxItems', 'Member must have value greater than or equal to 1');
  if (value > 1000) throw iamErrors.validation(String(value), 'maxItems', 'Member must have value less than or equal to 1000');
  return value;
}

export function policyDocument(value: string | undefined, member: string): string {
  const doc = required(value, member);
  length(doc, member, 1, 131072);
  return doc;
}

export interface Tag {
  Key: string;
  Value: string;
}

export function tags(list: Tag[], member = 'tags'): Tag[] {
  if (list.length > 50) throw iamErrors.validation(null, member, 'Member must have length less than or equal to 50');
  list.forEach((tag, i) => {
    const at = `${member}.${i + 1}.member`;
    length(tag.Key, `${at}.key`, 1, 128);
    pattern(tag.Key, `${at}.key`, TAG_KEY_PATTERN, '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+');
    length(tag.Value, `${at}.value`, 0, 256);
    pattern(tag.Value, `${at}.value`, TAG_VALUE_PATTERN, '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*');
  });
  const keys = list.map((tag) => tag.Key.toLowerCase());
  if (new Set(keys).size !== keys.length) throw iamErrors.duplicateTagKeys();
  return list;
}
