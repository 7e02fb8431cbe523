import { randomUUID } from 'node:crypto';
import type { Cloud } from '../../cloud.ts';
import type { CallContext } from '../../core/context.ts';
import type { EvaluationResult } from '../../iam/policy/index.ts';
import { roleNameOf } from '../../sts/sessions.ts';

/**
 * Calls Lambda makes on its own with a function's execution role: an event source mapping
 * polling its queue, an asynchronous invocation sent to its destination or dead-letter queue.
 * On AWS these use the role's credentials, so the role's identity policies decide.
 */
export function sessionArn(cloud: Cloud, roleArn: string, sessionName: string): string {
  return `arn:aws:sts::${cloud.accountId}:assumed-role/${roleNameOf(roleArn)}/${sessionName}`;
}

/** Whether the role may perform `action` (e.g. "sqs:ReceiveMessage") on `resource`. */
export function roleAllows(cloud: Cloud, roleArn: string, sessionName: string, action: string, resource: string): EvaluationResult {
  return cloud.iam.evaluateRole(roleArn, {
    action,
    resource,
    principal: { type: 'AWS', arn: sessionArn(cloud, roleArn, sessionName), account: cloud.accountId, roleArn },
    context: { 'aws:PrincipalArn': roleArn, 'aws:PrincipalAccount': cloud.accountId },
  });
}

/** A call context as the role's session: the service then authorizes it like a call from function code. */
export function roleContext(cloud: Cloud, roleArn: string, sessionName: string, service: string, action: string): CallContext {
  const roleId = cloud.iam.roleByArn(roleArn)?.id ?? 'AROAUNKNOWNROLE00000';
  return {
    requestId: randomUUID(),
    region: cloud.region,
    accountId: cloud.accountId,
    service,
    action,
    caller: {
      kind: 'role',
      arn: sessionArn(cloud, roleArn, sessionName),
      userId: `${roleId}:${sessionName}`,
      accessKeyId: `lambda-service:${sessionName}`,
      roleArn,
    },
    cloud,
  };
}
