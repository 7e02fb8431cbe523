import type { Cloud } from '../cloud.ts';
import { AwsError } from '../protocol/errors.ts';
import type { ProxyCall, ProxyOutcome, ProxyTarget } from './proxy-target.ts';

/**
 * execute-api's way to the local Lambda service. Without integration credentials, API Gateway
 * invokes as the service principal and the function's resource policy (AddPermission) must
 * allow it for the call's SourceArn. With credentials (a role ARN), API Gateway assumes that
 * role: the role must trust apigateway.amazonaws.com and its policies must allow the invoke.
 */
export function lambdaProxyTarget(cloud: Cloud): ProxyTarget {
  return {
    async invoke(functionArn: string, event: unknown, call: ProxyCall): Promise<ProxyOutcome> {
      const lambda = cloud.lambda;
      try {
        if (call.credentials) {
          const refusal = roleRefusal(cloud, call, functionArn);
          if (refusal) return { kind: 'denied', reason: refusal };
          const out = await lambda.invoke(functionArn, event);
          return { kind: 'invoked', payload: out.payload, functionError: out.functionError };
        }
        const out = await lambda.invoke(functionArn, event, {
          principal: call.principal,
          sourceArn: call.sourceArn,
          sourceAccount: call.sourceAccount,
        });
        return { kind: 'invoked', payload: out.payload, functionError: out.functionError };
      } catch (err) {
        if (err instanceof AwsError && err.code === 'AccessDeniedException') return { kind: 'denied' };
        if (err instanceof AwsError && err.code === 'ResourceNotFoundException') return { kind: 'not-found' };
        throw err;
      }
    },
  };
}

/** Why API Gateway may not invoke the function through the integration's role, in its execution-log words. */
function roleRefusal(cloud: Cloud, call: ProxyCall, functionArn: string): string | undefined {
  const roleArn = call.credentials!;
  const context = { 'aws:SourceArn': call.sourceArn, 'aws:SourceAccount': call.sourceAccount };
  if (!cloud.iam.roleTrusts(roleArn, call.principal, context)) {
    return `Execution failed due to configuration error: API Gateway does not have permission to assume the provided role ${roleArn}`;
  }
  const roleName = roleArn.slice(roleArn.lastIndexOf('/') + 1);
  const decision = cloud.iam.evaluateRole(roleArn, {
    action: 'lambda:InvokeFunction',
    resource: functionArn,
    principal: {
      type: 'AWS',
      arn: `arn:aws:sts::${cloud.accountId}:assumed-role/${roleName}/BackplaneAssumeRoleSession`,
      account: cloud.accountId,
      roleArn,
    },
  });
  if (decision.decision === 'Allow') return undefined;
  return (
    'Execution failed due to configuration error: Invalid permissions on Lambda function ' +
    `(the integration role ${roleArn} is not allowed lambda:InvokeFunction on ${functionArn})`
  );
}
