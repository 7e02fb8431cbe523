import { authorizeCall } from '../core/authorize.ts';
import type { CallContext } from '../core/context.ts';
import { isObject } from '../iam/policy/normalize.ts';
import { isConditionBlock, isStringOrStrings } from '../iam/policy/shape.ts';
import { arnMatches, normalizePolicy, type ContextValue, type Policy } from '../iam/policy/index.ts';
import { snsErrors } from './errors.ts';
import type { TopicRecord } from './model.ts';

/**
 * A topic's access policy (the `Policy` attribute): the default SNS gives every topic, the checks
 * SetTopicAttributes / CreateTopic make on a new one, and its part in deciding a call.
 *
 * How a call is decided, as on AWS:
 * - within the account, the caller's identity policies OR the topic policy may allow it, and an
 *   explicit Deny in either refuses it. The default policy's statement only applies to requests
 *   that carry `AWS:SourceOwner` (a service publishing for a resource of this account), so a role
 *   still needs its own grant;
 * - a topic of another account can only be reached through that account's topic policy, which
 *   the local cloud does not hold: the call is refused ("no resource-based policy allows…").
 * The learner's own credentials are the account's root user and are not evaluated here.
 */

/** SNS's policy quota: 30 KB. */
export const MAX_POLICY_BYTES = 30 * 1024;
const MAX_STATEMENTS = 100;
const MAX_PRINCIPALS = 200;

/** The policy every new topic gets, as SNS writes it (Version 2008-10-17, Id __default_policy_ID). */
export function defaultTopicPolicy(topicArn: string, account: string): string {
  return JSON.stringify({
    Version: '2008-10-17',
    Id: '__default_policy_ID',
    Statement: [
      {
        Sid: '__default_statement_ID',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: [
          'SNS:GetTopicAttributes',
          'SNS:SetTopicAttributes',
          'SNS:AddPermission',
          'SNS:RemovePermission',
          'SNS:DeleteTopic',
          'SNS:Subscribe',
          'SNS:ListSubscriptionsByTopic',
          'SNS:Publish',
        ],
        Resource: topicArn,
        Condition: { StringEquals: { 'AWS:SourceOwner': account } },
      },
    ],
  });
}

// ---- deciding calls ----

const parsed = new WeakMap<TopicRecord, { text: string; policy: Policy }>();

/** The topic's policy as the evaluator reads it (its own, or the default); parsed once per change. */
function policyInForce(topic: TopicRecord, account: string): Policy {
  const text = topic.attributes.Policy ?? defaultTopicPolicy(topic.arn, account);
  const cached = parsed.get(topic);
  if (cached?.text === text) return cached.policy;
  let policy: Policy;
  try {
    policy = normalizePolicy(text);
  } catch {
    policy = { statements: [] }; // checked when it was set; an unreadable stored one grants and denies nothing
  }
  parsed.set(topic, { text, policy });
  return policy;
}

/** Authorizes a call on a topic of this account: identity policies and the topic policy together. */
export function authorizeOnTopic(
  ctx: CallContext,
  action: string,
  topic: TopicRecord,
  context: Record<string, ContextValue | undefined> = {},
): void {
  authorizeCall(ctx.cloud, ctx, action, topic.arn, context, { policy: policyInForce(topic, ctx.accountId) });
}

/** A topic ARN of another account: AWS answers AuthorizationError, not NotFound. */
export function refuseOtherAccount(ctx: CallContext, action: string, topicArn: string): never {
  authorizeCall(ctx.cloud, ctx, action, topicArn, {}, { otherAccount: true });
  throw new Error('refuseOtherAccount: a call on another account’s topic was not refused.');
}

// ---- checking a new policy ----

export interface PolicyCheck {
  topicArn: string;
  account: string;
  /** Whether a role of this account exists, by ARN (a policy naming an unknown one is refused). */
  roleExists: (arn: string) => boolean;
  /** The same by name, for a role session's ARN (which does not show the role's path). */
  roleNamed: (name: string) => boolean;
  /** "Attributes Reason: " for CreateTopic, "" for SetTopicAttributes. */
  prefix: string;
}

/** Actions a topic policy may name (SNS's "Valid Amazon SNS policy actions", plus the legacy Receive). */
const TOPIC_ACTIONS = new Set(
  [
    'AddPermission',
    'DeleteTopic',
    'GetDataProtectionPolicy',
    'GetTopicAttributes',
    'ListSubscriptionsByTopic',
    'ListTagsForResource',
    'Publish',
    'PutDataProtectionPolicy',
    'RemovePermission',
    'SetTopicAttributes',
    'Subscribe',
    'Receive',
  ].map((a) => `sns:${a}`.toLowerCase()),
);
const TOP_LEVEL = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_ELEMENTS = new Set(['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Principal', 'NotPrincipal', 'Condition']);
const PRINCIPAL_TYPES = new Set(['AWS', 'Service', 'Federated', 'CanonicalUser']);

/**
 * Checks a Policy value with SNS's messages: "Policy Error: null" for a document it cannot read
 * (bad JSON, missing Principal, Action or Resource, a Resource that is not this topic…),
 * "Policy statement action out of service scope!" for an action that is not a topic action, and
 * "Policy Error: PrincipalNotFound" for an AWS principal that does not exist.
 */
export function checkTopicPolicy(text: string, check: PolicyCheck): void {
  const fail = (reason: string) => snsErrors.invalidParameter(`${check.prefix}${reason}`);
  const malformed = () => fail('Policy Error: null');
  if (Buffer.byteLength(text) > MAX_POLICY_BYTES) throw fail(`Policy Error: the policy is larger than the ${MAX_POLICY_BYTES / 1024} KB limit`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw malformed();
  }
  if (!isObject(doc) || Object.keys(doc).some((key) => !TOP_LEVEL.has(key))) throw malformed();
  if ('Version' in doc && doc.Version !== '2008-10-17' && doc.Version !== '2012-10-17') throw malformed();
  if ('Id' in doc && typeof doc.Id !== 'string') throw malformed();
  const statements = Array.isArray(doc.Statement) ? doc.Statement : doc.Statement === undefined ? [] : [doc.Statement];
  if (statements.length === 0 || statements.length > MAX_STATEMENTS || !statements.every(isObject)) throw malformed();

  for (const statement of statements as Record<string, unknown>[]) {
    if (Object.keys(statement).some((key) => !STATEMENT_ELEMENTS.has(key))) throw malformed();
    if (typeof statement.Effect !== 'string' || !/^(allow|deny)$/i.test(statement.Effect)) throw malformed();
    if ('Sid' in statement && typeof statement.Sid !== 'string') throw malformed();
    const actions = either(statement, 'Action', 'NotAction');
    const resources = either(statement, 'Resource', 'NotResource');
    const principal = 'Principal' in statement ? statement.Principal : statement.NotPrincipal;
    if (!actions || !resources || ('Principal' in statement && 'NotPrincipal' in statement)) throw malformed();
    if (!isPrincipalElement(principal) || principalCount(principal) > MAX_PRINCIPALS) throw malformed();
    if ('Condition' in statement && !isConditionBlock(statement.Condition, { nonEmptyLists: true })) throw malformed();
    if (!resources.every((resource) => resource === '*' || arnMatches(resource, check.topicArn))) throw malformed();
    if (!actions.every(isTopicAction)) throw fail('Policy statement action out of service scope!');
    if (isObject(principal)) checkAwsPrincipals(principal.AWS, check, fail);
  }
}

/** Action / NotAction (or Resource / NotResource): exactly one of the two, a string or strings. */
function either(statement: Record<string, unknown>, a: string, b: string): string[] | undefined {
  if ((a in statement) === (b in statement)) return undefined;
  const value = statement[a in statement ? a : b];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')) return value as string[];
  return undefined;
}

function isTopicAction(action: string): boolean {
  const lower = action.toLowerCase();
  if (lower === '*' || lower === 'sns:*') return true;
  if (!lower.startsWith('sns:')) return false;
  if (!/[*?]/.test(lower)) return TOPIC_ACTIONS.has(lower);
  // A wildcard must cover at least one topic action ("sns:Get*", "sns:Publish?"…).
  const pattern = new RegExp(`^${lower.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return [...TOPIC_ACTIONS].some((name) => pattern.test(name));
}

function isPrincipalElement(value: unknown): boolean {
  if (value === '*') return true;
  if (!isObject(value) || Object.keys(value).length === 0) return false;
  return Object.entries(value).every(([type, ids]) => {
    if (!PRINCIPAL_TYPES.has(type) || !isStringOrStrings(ids)) return false;
    return type !== 'Service' || strings(ids).every((id) => /^[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com(\.cn)?$/.test(id));
  });
}

function principalCount(value: unknown): number {
  if (!isObject(value)) return 1;
  return Object.values(value).reduce<number>((sum, ids) => sum + strings(ids).length, 0);
}

/**
 * AWS principals must exist: "*", an account (12 digits or its root ARN), or a role / user /
 * role session ARN. Roles of this account are looked up; the local cloud has no IAM users, so a
 * user of this account never exists. Other accounts cannot be looked up and are taken as given.
 */
function checkAwsPrincipals(ids: unknown, check: PolicyCheck, fail: (reason: string) => Error): void {
  for (const id of strings(ids)) {
    if (id === '*' || /^\d{12}$/.test(id)) continue;
    const arn = /^arn:aws[a-z-]*:(iam|sts)::(\d{12}):(.+)$/.exec(id);
    const [, service, account, resource] = arn ?? [];
    const wellFormed =
      arn !== null &&
      ((service === 'iam' && (resource === 'root' || /^(role|user)\/./.test(resource))) ||
        (service === 'sts' && /^assumed-role\/[^/]+\/./.test(resource)));
    const known =
      wellFormed &&
      (account !== check.account ||
        resource === 'root' ||
        (service === 'iam' && resource.startsWith('role/') && check.roleExists(id)) ||
        (service === 'sts' && check.roleNamed(resource.split('/')[1])));
    if (!known) throw fail('Policy Error: PrincipalNotFound');
  }
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
