import { effectOf, isObject, normalizePolicy } from './normalize.ts';
import { failsLegacyParsing, resourceFormatProblem } from './resource-format.ts';
import { isConditionBlock, isStringOrStrings } from './shape.ts';
import type { Policy } from './types.ts';

/**
 * Strict checking of a policy document at the moment it is stored, with the messages IAM gives
 * in its MalformedPolicyDocument errors. Two kinds:
 * - "identity": inline and managed permission policies (no Principal; Resource required);
 * - "trust": a role's AssumeRolePolicyDocument (Principal required; no Resource; sts actions only).
 */
export type DocumentKind = 'identity' | 'trust';

/** The document is malformed; `message` is IAM's text for it. */
export class PolicyDocumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyDocumentError';
  }
}

export interface DocumentOptions {
  /** Whether an IAM principal ARN (role or user) of this account exists; IAM rejects unknown ones. */
  principalExists?: (arn: string) => boolean;
  /** This account's id: only its principals are checked for existence. */
  accountId?: string;
  /** The account's partition: a Resource ARN must name it (or "*"). Default "aws". */
  partition?: string;
}

export const MESSAGES = {
  invalidJson: 'This policy contains invalid Json',
  syntax: 'Syntax errors in policy.',
  principalInIdentityPolicy: 'Policy document should not specify a principal.',
  duplicateSid: 'Statement IDs (SID) in a single policy must be unique.',
  noActions: 'Policy statement must contain actions.',
  noResources: 'Policy statement must contain resources.',
  noPrincipals:
    'Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!',
  trustActions: 'AssumeRole policy may only specify STS AssumeRole actions.',
  actionVendor: 'Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.',
  actionColons: 'Actions/Condition can contain only one colon.',
  legacyParsing: 'The policy failed legacy parsing',
} as const;

const TOP_LEVEL = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_ELEMENTS = new Set([
  'Sid',
  'Effect',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Principal',
  'NotPrincipal',
  'Condition',
]);
const VERSIONS = new Set(['2008-10-17', '2012-10-17']);
const PRINCIPAL_TYPES = new Set(['AWS', 'Service', 'Federated', 'CanonicalUser']);
const TRUST_ACTIONS = new Set(
  ['AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity', 'TagSession', 'SetSourceIdentity', 'SetContext', '*'].map(
    (a) => `sts:${a}`.toLowerCase(),
  ),
);

/** Parses and checks a document; returns it normalized, or throws PolicyDocumentError. */
export function parsePolicyDocument(text: string, kind: DocumentKind, options: DocumentOptions = {}): Policy {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new PolicyDocumentError(MESSAGES.invalidJson);
  }
  const statements = checkSyntax(doc);

  if (kind === 'identity' && statements.some((s) => 'Principal' in s || 'NotPrincipal' in s)) {
    throw new PolicyDocumentError(MESSAGES.principalInIdentityPolicy);
  }
  if (kind === 'trust') {
    for (const field of ['Resource', 'NotResource']) {
      if (statements.some((s) => field in s)) throw new PolicyDocumentError(`Has prohibited field ${field}`);
    }
  }
  const resourceProblem = kind === 'identity' ? checkResources(statements, options.partition ?? 'aws') : undefined;
  const sids = statements.map((s) => s.Sid).filter((sid): sid is string => typeof sid === 'string' && sid !== '');
  if (new Set(sids).size !== sids.length) throw new PolicyDocumentError(MESSAGES.duplicateSid);

  for (const statement of statements) {
    if (!('Action' in statement) && !('NotAction' in statement)) throw new PolicyDocumentError(MESSAGES.noActions);
    if (kind === 'identity' && !('Resource' in statement) && !('NotResource' in statement)) {
      throw new PolicyDocumentError(MESSAGES.noResources);
    }
    if (kind === 'trust' && !('Principal' in statement) && !('NotPrincipal' in statement)) {
      throw new PolicyDocumentError(MESSAGES.noPrincipals);
    }
  }
  if (resourceProblem) throw new PolicyDocumentError(resourceProblem);
  for (const statement of statements) {
    for (const action of [...list(statement.Action), ...list(statement.NotAction)]) checkActionFormat(action);
    if (kind === 'trust') {
      if (!list(statement.Action).every((action) => TRUST_ACTIONS.has(action.toLowerCase())) || 'NotAction' in statement) {
        throw new PolicyDocumentError(MESSAGES.trustActions);
      }
      checkPrincipals(statement.Principal ?? statement.NotPrincipal, options);
    }
  }
  return normalizePolicy(doc);
}

/**
 * IAM's resource checks, in its order: a format problem is reported once the statements are
 * known to have actions and resources (before the actions' format), but a statement without one
 * that fails the legacy parser is refused at once.
 */
function checkResources(statements: Record<string, unknown>[], partition: string): string | undefined {
  let first: string | undefined;
  for (const statement of statements) {
    const resources = resourcesOf(statement);
    for (const resource of resources) first ??= resourceFormatProblem(resource, partition);
    if (first === undefined && resources.some(failsLegacyParsing)) throw new PolicyDocumentError(MESSAGES.legacyParsing);
  }
  return first;
}

/** Everything that makes IAM answer "Syntax errors in policy."; returns the statements. */
function checkSyntax(doc: unknown): Record<string, unknown>[] {
  const fail = (): never => {
    throw new PolicyDocumentError(MESSAGES.syntax);
  };
  if (!isObject(doc)) return fail();
  if (Object.keys(doc).some((key) => !TOP_LEVEL.has(key))) fail();
  if ('Version' in doc && !(typeof doc.Version === 'string' && VERSIONS.has(doc.Version))) fail();
  if ('Id' in doc && typeof doc.Id !== 'string') fail();
  const raw = doc.Statement;
  const statements = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  if (statements.length === 0 || !statements.every(isObject)) fail();

  for (const statement of statements as Record<string, unknown>[]) {
    if (Object.keys(statement).some((key) => !STATEMENT_ELEMENTS.has(key))) fail();
    if (effectOf(statement.Effect) === undefined) fail();
    if ('Sid' in statement && typeof statement.Sid !== 'string') fail();
    for (const [a, b] of [
      ['Action', 'NotAction'],
      ['Resource', 'NotResource'],
      ['Principal', 'NotPrincipal'],
    ]) {
      if (a in statement && b in statement) fail();
    }
    for (const field of ['Action', 'NotAction', 'Resource', 'NotResource']) {
      if (field in statement && !isStringOrStrings(statement[field])) fail();
    }
    for (const field of ['Principal', 'NotPrincipal']) {
      if (field in statement && !isPrincipalElement(statement[field])) fail();
    }
    if ('Condition' in statement && !isConditionBlock(statement.Condition)) fail();
  }
  return statements as Record<string, unknown>[];
}

function isPrincipalElement(value: unknown): boolean {
  if (value === '*') return true;
  if (!isObject(value) || Object.keys(value).length === 0) return false;
  return Object.entries(value).every(([type, ids]) => PRINCIPAL_TYPES.has(type) && isStringOrStrings(ids));
}

function checkActionFormat(action: string): void {
  if (action === '*') return;
  const parts = action.split(':');
  if (parts.length === 1) throw new PolicyDocumentError(MESSAGES.actionVendor);
  if (parts.length > 2) throw new PolicyDocumentError(MESSAGES.actionColons);
  if (!/^[a-zA-Z0-9.-]+$/.test(parts[0]) && parts[0] !== '*') throw new PolicyDocumentError(`Vendor ${parts[0]} is not valid`);
}

/** Trust policies name real principals: a well-formed service name, an account, or an existing role/user. */
function checkPrincipals(element: unknown, options: DocumentOptions): void {
  if (element === '*' || !isObject(element)) return;
  for (const [type, ids] of Object.entries(element)) {
    for (const id of list(ids)) {
      if (!principalIsValid(type, id, options)) {
        throw new PolicyDocumentError(`Invalid principal in policy: "${type.toUpperCase()}":"${id}"`);
      }
    }
  }
}

function principalIsValid(type: string, id: string, options: DocumentOptions): boolean {
  if (type === 'Service') return /^[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com(\.cn)?$/.test(id);
  if (type !== 'AWS') return id.length > 0;
  if (id === '*' || /^\d{12}$/.test(id)) return true;
  const arn = /^arn:aws:(iam|sts)::(\d{12}):(.+)$/.exec(id);
  if (!arn) return false;
  const [, service, account, resource] = arn;
  if (resource === 'root') return service === 'iam';
  const local = account === options.accountId && options.principalExists;
  if (service === 'iam' && /^(role|user)\//.test(resource)) return !local || options.principalExists!(id);
  return service === 'sts' && resource.startsWith('assumed-role/');
}

function resourcesOf(statement: Record<string, unknown>): string[] {
  return [...list(statement.Resource), ...list(statement.NotResource)];
}

function list(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}
