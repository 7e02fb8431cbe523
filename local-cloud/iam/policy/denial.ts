import type { EvaluationResult, PolicySource } from './types.ts';

export interface DenialInput {
  /** The caller, e.g. arn:aws:sts::000000000000:assumed-role/ROLE/FUNCTION */
  principalArn: string;
  action: string;
  resource: string;
  /** The evaluation result (only its decision and deniedBy are read). */
  result: Pick<EvaluationResult, 'decision' | 'deniedBy'>;
  /**
   * Which kind of policy an implicit deny is blamed on. Within one account AWS names the
   * identity-based policy, since that is where the missing grant belongs.
   */
  missingGrantIn?: PolicySource;
}

/**
 * Phrases a denial the way AWS's access-denied messages do:
 *   User: ARN is not authorized to perform: ACTION on resource: RESOURCE because no identity-based policy allows the ACTION action
 *   User: ARN is not authorized to perform: ACTION on resource: RESOURCE with an explicit deny in an identity-based policy
 * Services raise it in their own AccessDenied error shape.
 */
export function denialMessage(input: DenialInput): string {
  const { principalArn, action, resource, result } = input;
  const head = `User: ${principalArn} is not authorized to perform: ${action} on resource: ${resource}`;
  if (result.decision === 'ExplicitDeny') {
    return `${head} with an explicit deny in ${article(result.deniedBy ?? 'identity')} policy`;
  }
  if (result.decision === 'ImplicitDeny') {
    return `${head} because no ${kind(input.missingGrantIn ?? 'identity')} policy allows the ${action} action`;
  }
  throw new Error('denialMessage: the request was allowed, there is nothing to deny.');
}

function kind(source: PolicySource): string {
  return source === 'identity' ? 'identity-based' : 'resource-based';
}

function article(source: PolicySource): string {
  return source === 'identity' ? 'an identity-based' : 'a resource-based';
}
