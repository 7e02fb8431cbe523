import { evaluate, normalizePolicy, type EvaluationResult, type Policy } from '../iam/policy/index.ts';
import { lambdaErrors } from './errors.ts';
import type { PolicyStatement } from './model.ts';

/** What AddPermission takes (the API's members). */
export interface PermissionInput {
  StatementId: string;
  Action: string;
  Principal: string;
  SourceArn?: string;
  SourceAccount?: string;
  EventSourceToken?: string;
  PrincipalOrgID?: string;
  FunctionUrlAuthType?: string;
}

const SERVICE_PRINCIPAL = /^[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?$/;
const ACCOUNT = /^\d{12}$/;
const IAM_PRINCIPAL = /^arn:aws[a-zA-Z-]*:iam::\d{12}:(root|role\/.+|user\/.+)$/;

/** The statement AddPermission stores, in the JSON form AWS returns from AddPermission and GetPolicy. */
export function permissionStatement(input: PermissionInput, resourceArn: string): PolicyStatement {
  const statement: PolicyStatement = {
    Sid: input.StatementId,
    Effect: 'Allow',
    Principal: principalElement(input.Principal),
    Action: input.Action,
    Resource: resourceArn,
  };
  const condition: Record<string, Record<string, string>> = {};
  const stringEquals: Record<string, string> = {};
  if (input.SourceAccount) stringEquals['AWS:SourceAccount'] = input.SourceAccount;
  if (input.EventSourceToken) stringEquals['lambda:EventSourceToken'] = input.EventSourceToken;
  if (input.PrincipalOrgID) stringEquals['aws:PrincipalOrgID'] = input.PrincipalOrgID;
  if (input.FunctionUrlAuthType) stringEquals['lambda:FunctionUrlAuthType'] = input.FunctionUrlAuthType;
  if (Object.keys(stringEquals).length) condition.StringEquals = stringEquals;
  if (input.SourceArn) condition.ArnLike = { 'AWS:SourceArn': input.SourceArn };
  if (Object.keys(condition).length) statement.Condition = condition;
  return statement;
}

function principalElement(principal: string): PolicyStatement['Principal'] {
  if (principal === '*') return '*';
  if (ACCOUNT.test(principal)) return { AWS: `arn:aws:iam::${principal}:root` };
  if (IAM_PRINCIPAL.test(principal)) return { AWS: principal };
  if (SERVICE_PRINCIPAL.test(principal)) return { Service: principal };
  throw lambdaErrors.invalidPrincipal();
}

/** The whole resource policy document, as GetPolicy returns it (as a JSON string). */
export function policyDocument(statements: readonly PolicyStatement[]): string {
  return JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: statements });
}

/**
 * Whether a service principal (apigateway.amazonaws.com, sns.amazonaws.com…) may invoke the
 * function, by IAM's evaluation of the function's resource policy with the request's
 * aws:SourceArn and aws:SourceAccount.
 */
export function evaluateServiceInvoke(
  fn: { readonly policy: readonly PolicyStatement[]; readonly revisionId: string },
  request: { service: string; functionArn: string; sourceArn?: string; sourceAccount?: string },
): EvaluationResult {
  return evaluate(
    {
      action: 'lambda:InvokeFunction',
      resource: request.functionArn,
      principal: { type: 'Service', service: request.service },
      context: { 'aws:SourceArn': request.sourceArn, 'aws:SourceAccount': request.sourceAccount },
    },
    [],
    resourcePolicyOf(fn),
  );
}

/** Each function's resource policy in the evaluator's shape, kept while its revision stands. */
const normalized = new WeakMap<readonly PolicyStatement[], { revisionId: string; policy: Policy }>();

/**
 * The resource policy as the evaluator reads it, made once per revision rather than on every
 * invocation: AddPermission and RemovePermission change the statements in place and always give
 * the function a new RevisionId.
 */
function resourcePolicyOf(fn: { readonly policy: readonly PolicyStatement[]; readonly revisionId: string }): Policy {
  const kept = normalized.get(fn.policy);
  if (kept?.revisionId === fn.revisionId) return kept.policy;
  const policy = normalizePolicy(JSON.parse(policyDocument(fn.policy)));
  normalized.set(fn.policy, { revisionId: fn.revisionId, policy });
  return policy;
}
