import type { Cloud } from '../cloud.ts';
import type { CallContext } from './context.ts';
import { AwsError } from '../protocol/errors.ts';
import { denialMessage, type ContextValue, type PolicyInput } from '../iam/policy/index.ts';

/** What the resource itself says about the call, besides the caller's identity policies. */
export interface ResourceAccess {
  /** The resource's own policy (a topic's access policy…): its Allow or Deny counts as well. */
  policy?: PolicyInput;
  /**
   * The resource belongs to another account, which the local cloud does not hold: no policy of
   * that account can allow the call, so it is refused whoever calls (the admin included).
   */
  otherAccount?: boolean;
}

/**
 * IAM enforcement for calls made with credentials the cloud issued (function code running as its
 * execution role). The learner's own credentials are the account admin and are never evaluated
 * within the account. A denial is raised in the calling service's own error shape, worded as AWS
 * words it.
 */
export function authorizeCall(
  cloud: Cloud,
  ctx: CallContext,
  action: string,
  resource: string,
  context: Record<string, ContextValue | undefined> = {},
  access: ResourceAccess = {},
): void {
  const caller = ctx.caller;
  const isRole = caller.kind === 'role' && !!caller.roleArn;
  if (!isRole && !access.otherAccount) return;
  if (isRole) {
    const result = cloud.iam.evaluateRole(
      caller.roleArn!,
      {
        action,
        resource,
        principal: { type: 'AWS', arn: caller.arn, account: ctx.accountId, roleArn: caller.roleArn },
        context: { 'aws:PrincipalArn': caller.roleArn, 'aws:PrincipalAccount': ctx.accountId, ...context },
      },
      access.otherAccount ? undefined : access.policy,
    );
    if (result.decision !== 'Allow') {
      const message = denialMessage({ principalArn: caller.arn, action, resource, result });
      throw accessDenied(ctx.service, lowerCasePerformedAction(message, action));
    }
    if (!access.otherAccount) return;
  }
  // Across accounts the resource's policy must allow the call too, and here there is none.
  const message = denialMessage({
    principalArn: caller.arn,
    action,
    resource,
    result: { decision: 'ImplicitDeny' },
    missingGrantIn: 'resource',
  });
  throw accessDenied(ctx.service, lowerCasePerformedAction(message, action));
}

/**
 * SQS spells the action in lower case after "perform:" ("perform: sqs:sendmessage on resource: …
 * allows the sqs:SendMessage action"); other services keep the action's own case.
 */
function lowerCasePerformedAction(message: string, action: string): string {
  if (!action.startsWith('sqs:')) return message;
  return message.replace(`perform: ${action} `, `perform: ${action.toLowerCase()} `);
}

/** Each service has its own AccessDenied shape. */
function accessDenied(service: string, message: string): AwsError {
  switch (service) {
    case 'sqs':
      return new AwsError('AccessDenied', message, { status: 403 });
    case 'sns':
      return new AwsError('AuthorizationError', message, { status: 403 });
    case 'iam':
    case 'sts':
      return new AwsError('AccessDenied', message, { status: 403 });
    default:
      return new AwsError('AccessDeniedException', message, { status: 400 });
  }
}
