import { conditionContext, conditionsMatch, type ConditionContext } from './conditions.ts';
import { normalizePolicy } from './normalize.ts';
import { matchPrincipal, type PrincipalMatch } from './principals.ts';
import { actionMatches, resourceMatches } from './wildcard.ts';
import type {
  ContextValue,
  EvaluationRequest,
  EvaluationResult,
  MatchedStatement,
  Policy,
  PolicySource,
  RequestPrincipal,
  Statement,
} from './types.ts';

/** A policy as JSON text, as a parsed JSON document, or already normalized. */
export type PolicyInput = Policy | string | Record<string, unknown>;

interface Applicable extends MatchedStatement {
  principalMatch: PrincipalMatch;
}

/**
 * AWS's evaluation logic for a request within one account (no SCPs, permission boundaries or
 * session policies, which the workbook never uses):
 * 1. an applicable Deny statement in any policy denies the request (explicit deny);
 * 2. otherwise an applicable Allow in an identity-based policy OR in the resource-based policy
 *    allows it;
 * 3. otherwise it is denied by default (implicit deny).
 * Pure: no I/O, no state; the caller supplies every policy and the request context.
 */
export function evaluate(
  request: EvaluationRequest,
  identityPolicies: readonly PolicyInput[],
  resourcePolicy?: PolicyInput,
): EvaluationResult {
  const context = conditionContext({ ...principalKeys(request.principal), ...request.context });
  const applicable: Applicable[] = [];
  identityPolicies.forEach((policy, index) => collect(applicable, 'identity', index, toPolicy(policy), request, context));
  if (resourcePolicy !== undefined) collect(applicable, 'resource', 0, toPolicy(resourcePolicy), request, context);

  const denies = applicable.filter((s) => s.effect === 'Deny');
  if (denies.length > 0) {
    return {
      decision: 'ExplicitDeny',
      matchedStatements: denies.map(strip),
      deniedBy: denies[0].source,
      reason: `${request.action} on ${request.resource} is explicitly denied by ${describe(denies[0])}.`,
    };
  }
  // An Allow that names only the caller's account delegates to the account: it allows nothing
  // unless an identity-based policy allows it as well (and then that one suffices).
  const allows = applicable.filter((s) => s.effect === 'Allow' && s.principalMatch !== 'account');
  if (allows.length > 0) {
    return {
      decision: 'Allow',
      matchedStatements: allows.map(strip),
      reason: `${request.action} on ${request.resource} is allowed by ${describe(allows[0])}.`,
    };
  }
  const delegated = applicable.some((s) => s.effect === 'Allow');
  return {
    decision: 'ImplicitDeny',
    matchedStatements: [],
    reason:
      `No identity-based or resource-based policy allows ${request.action} on ${request.resource}` +
      (delegated ? ' (the resource-based policy grants it to the account only, which needs an identity-based allow too).' : '.'),
  };
}

function collect(
  into: Applicable[],
  source: PolicySource,
  policyIndex: number,
  policy: Policy,
  request: EvaluationRequest,
  context: ConditionContext,
): void {
  policy.statements.forEach((statement, statementIndex) => {
    const principalMatch = source === 'resource' ? principalApplies(statement, request.principal) : 'exact';
    if (principalMatch === 'none') return;
    if (!actionApplies(statement, request.action)) return;
    if (!resourceApplies(statement, request.resource, source)) return;
    if (!conditionsMatch(statement.condition, context)) return;
    into.push({ source, policyIndex, statementIndex, sid: statement.sid, effect: statement.effect, principalMatch });
  });
}

function actionApplies(statement: Statement, action: string): boolean {
  if (statement.action) return statement.action.some((pattern) => actionMatches(pattern, action));
  if (statement.notAction) return !statement.notAction.some((pattern) => actionMatches(pattern, action));
  return false;
}

function resourceApplies(statement: Statement, resource: string, source: PolicySource): boolean {
  if (statement.resource) return statement.resource.some((pattern) => resourceMatches(pattern, resource));
  if (statement.notResource) return !statement.notResource.some((pattern) => resourceMatches(pattern, resource));
  // A resource-based policy without Resource (a role trust policy) covers the resource it is attached to.
  return source === 'resource';
}

function principalApplies(statement: Statement, principal: RequestPrincipal | undefined): PrincipalMatch {
  if (statement.principal) return matchPrincipal(statement.principal, principal);
  if (statement.notPrincipal) return matchPrincipal(statement.notPrincipal, principal) === 'none' ? 'exact' : 'none';
  return 'none';
}

/** Global condition keys AWS derives from the caller, unless the request gives them itself. */
function principalKeys(principal: RequestPrincipal | undefined): Record<string, ContextValue | undefined> {
  if (!principal) return {};
  if (principal.type === 'Service') return { 'aws:PrincipalServiceName': principal.service };
  return {
    'aws:PrincipalArn': principal.roleArn ?? principal.arn,
    'aws:PrincipalAccount': principal.account,
    'aws:PrincipalType': principal.roleArn ? 'AssumedRole' : principal.arn.endsWith(':root') ? 'Account' : 'User',
  };
}

function toPolicy(input: PolicyInput): Policy {
  if (typeof input === 'object' && Array.isArray((input as Policy).statements)) return input as Policy;
  return normalizePolicy(input);
}

function strip({ principalMatch: _ignored, ...statement }: Applicable): MatchedStatement {
  return statement;
}

function describe(statement: MatchedStatement): string {
  const name = statement.sid ? `statement "${statement.sid}"` : `statement #${statement.statementIndex + 1}`;
  return statement.source === 'identity'
    ? `${name} of identity-based policy #${statement.policyIndex + 1}`
    : `${name} of the resource-based policy`;
}
