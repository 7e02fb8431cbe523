import type { Cloud } from '../cloud.ts';
import type { CallContext } from './context.ts';
import { AwsError } from '../protocol/errors.ts';
import { denialMessage, type ContextValue } from '../iam/policy/index.ts';

/**
 * IAM enforcement for calls made with credentials the cloud issued (function code running as its
 * execution role). The learner's own credentials are the account admin and are never evaluated.
 * A denial is raised in the calling service's own error shape, worded as AWS words it.
 */
export function authorizeCall(
  cloud: Cloud,
  ctx: CallContext,
  action: string,
  resource: string,
  context: Record<string, ContextValue | undefined> = {},
): void {
  const caller = ctx.caller;
  if (caller.kind === 'admin' || !caller.roleArn) return;
  const result = cloud.iam.evaluateRole(caller.roleArn, {
    action,
    resource,
    principal: { type: 'AWS', arn: caller.arn, account: ctx.accountId, roleArn: caller.roleArn },
    context: { 'aws:PrincipalArn': caller.roleArn, 'aws:PrincipalAccount': ctx.accountId, ...context },
  });
  if (result.decision === 'Allow') return;
  const message = denialMessage({ principalArn: caller.arn, action, resource, result });
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
