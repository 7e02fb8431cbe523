/**
 * Step 2: the intake function (read README.md next to this file first).
 *
 * The function that takes orders in: it validates each one (order.ts) and puts it on the orders
 * queue (handler.ts). This script gives it an identity — an execution role that may write logs
 * and send to THIS queue, nothing more — a log group, and the function itself.
 *
 * Run it with `npm run step:2`; running it again is harmless (it updates what changed).
 */
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  EntityAlreadyExistsException,
  GetRoleCommand,
  MalformedPolicyDocumentException,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import {
  CreateLogGroupCommand,
  DescribeLogGroupsCommand,
  PutRetentionPolicyCommand,
  TagResourceCommand as TagLogGroupCommand,
  type CloudWatchLogsClient,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateFunctionCommand,
  GetFunctionCommand,
  ResourceNotFoundException,
  Runtime,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
  type FunctionConfiguration,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, GetQueueUrlCommand, QueueDoesNotExist, type SQSClient } from '@aws-sdk/client-sqs';
import { iamClient, lambdaClient, logsClient, sqsClient } from '../../lib/clients.ts';
import { resolveTarget } from '../../lib/config.ts';
import { WorkbookError } from '../../lib/errors.ts';
import { managedPolicyArn, partitionOfArn } from '../../lib/partition.ts';
import { HANDLER, bundleHandler, oneChangeAtATime, waitUntilFunctionSettled, whenRoleAssumable } from '../../lib/lambda.ts';
import { names, workbookTagList, workbookTags } from '../../lib/names.ts';
import { refuseUnlessOurs } from '../../lib/ownership.ts';
import { cmd, detail, heading, next, ok } from '../../lib/output.ts';
import { granted } from '../../lib/policy-text.ts';
import { runWhenExecuted } from '../../lib/steps.ts';
import { todo } from '../../lib/todo.ts';

/** The function's settings (README.md explains each). */
const RUNTIME = Runtime.nodejs22x;
/** Sending one message takes milliseconds; a stuck call should fail well before API Gateway's 29 s. */
const TIMEOUT_SECONDS = 5;
/** Lambda gives CPU in proportion to memory: 256 MB starts Node and the SDK quickly, and costs little. */
const MEMORY_MB = 256;
/** CloudWatch Logs keeps logs forever unless told otherwise, and storage is billed. */
const LOG_RETENTION_DAYS = 14;

/** Who may assume the role (its trust policy): the Lambda service, and nobody else. */
const TRUST_POLICY = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};
/** AWS's managed policy for function logs: create the log stream and put log events, nothing else. */
/** Its ARN, arn:PARTITION:iam::aws:policy/…, is in the partition of the role (aws, aws-cn, aws-us-gov). */
const BASIC_EXECUTION_POLICY = 'service-role/AWSLambdaBasicExecutionRole';
/** The role's inline policy: what the function may do beyond logging. */
const SEND_POLICY_NAME = 'send-orders';

export async function deploy() {
  const n = names();
  heading(`Step 2: the intake function (${resolveTarget().label})`);

  // 0. What step 1 made: the queue's URL (for the function) and ARN (for the policy).
  const { ordersQueueUrl, ordersQueueArn } = await findOrdersQueue(sqsClient(), n.ordersQueue);

  // 1. The execution role: who the function is when it calls AWS.
  const iam = iamClient();
  const roleArn = await ensureRole(iam, n.intakeRole);
  await iam.send(new AttachRolePolicyCommand({ RoleName: n.intakeRole, PolicyArn: managedPolicyArn(partitionOfArn(roleArn), BASIC_EXECUTION_POLICY) }));

  // 2. Exercise: the one thing the function may do besides logging. One action, on one queue.
  const sendOrdersPolicy = {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'SendOrdersToTheQueue', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: ordersQueueArn },
    ],
  };
  // PutRolePolicy replaces the policy of that name: running it again is harmless.
  try {
    await iam.send(
      new PutRolePolicyCommand({ RoleName: n.intakeRole, PolicyName: SEND_POLICY_NAME, PolicyDocument: JSON.stringify(sendOrdersPolicy) }),
    );
  } catch (err) {
    // IAM names what is malformed, not where: policyRefused points at the statement and says what to write.
    if (err instanceof MalformedPolicyDocumentException) throw policyRefused(err, ordersQueueUrl, ordersQueueArn);
    throw err;
  }
  ok(`${n.intakeRole}: assumable by Lambda; may write logs; policy ${SEND_POLICY_NAME}: ${granted(sendOrdersPolicy.Statement)}`);
  detail(roleArn);

  // 3. The log group, made before the function, so that it carries our tag and a retention period
  //    (Lambda would create it on first use with neither).
  await ensureLogGroup(logsClient(), n.intakeLogGroup);
  ok(`${n.intakeLogGroup}: keeps the function's logs ${LOG_RETENTION_DAYS} days`);

  // 4. The code: handler.ts and what it imports, bundled by esbuild and zipped in memory.
  const code = await bundleHandler(new URL('./handler.ts', import.meta.url));

  // 5. The function.
  const lambda = lambdaClient();
  const configuration = {
    FunctionName: n.intakeFunction,
    Role: roleArn,
    Runtime: RUNTIME,
    Handler: HANDLER,
    Timeout: TIMEOUT_SECONDS,
    MemorySize: MEMORY_MB,
    Environment: { Variables: { QUEUE_URL: ordersQueueUrl } },
    Description: 'Validates orders from POST /orders and puts them on the orders queue',
  };
  const existing = await getFunction(lambda, n.intakeFunction);
  if (!existing) {
    // Right after CreateRole, AWS may answer "The role defined for the function cannot be
    // assumed by Lambda" for a few seconds: whenRoleAssumable retries that, with backoff.
    await whenRoleAssumable(
      () => lambda.send(new CreateFunctionCommand({ ...configuration, Code: { ZipFile: code.zip }, Tags: workbookTags() })),
      n.intakeRole,
    );
    // A new function is Pending until Lambda has prepared it; it can be invoked once Active.
    await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 120 }, { FunctionName: n.intakeFunction });
    ok(`${n.intakeFunction}: created (${RUNTIME}, ${MEMORY_MB} MB, ${TIMEOUT_SECONDS} s timeout, code ${kilobytes(code.zip.length)} zipped)`);
  } else {
    // Lambda takes one change at a time: a function still Pending (an earlier run created it
    // moments ago) or with an update InProgress refuses another with ResourceConflictException.
    // oneChangeAtATime waits for it with the SDK's waiters, and retries that refusal.
    await waitUntilFunctionSettled(lambda, n.intakeFunction);
    const changed: string[] = [];
    if (existing.CodeSha256 !== code.sha256) {
      await oneChangeAtATime(lambda, n.intakeFunction, () =>
        lambda.send(new UpdateFunctionCodeCommand({ FunctionName: n.intakeFunction, ZipFile: code.zip })),
      );
      // One update at a time: the next would fail with ResourceConflictException while this one runs.
      await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 120 }, { FunctionName: n.intakeFunction });
      changed.push('code');
    }
    if (configurationDiffers(existing, configuration)) {
      await oneChangeAtATime(lambda, n.intakeFunction, () =>
        whenRoleAssumable(() => lambda.send(new UpdateFunctionConfigurationCommand(configuration)), n.intakeRole),
      );
      await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 120 }, { FunctionName: n.intakeFunction });
      changed.push('configuration');
    }
    ok(`${n.intakeFunction}: ${changed.length ? `updated its ${changed.join(' and ')}` : 'already up to date'}`);
  }
  detail(`QUEUE_URL=${ordersQueueUrl}`);

  next(`${cmd('npm run check:step-2')} verifies the role and sends the function good and bad orders.`);
  return { functionName: n.intakeFunction, roleArn };
}

async function findOrdersQueue(sqs: SQSClient, name: string) {
  try {
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    return { ordersQueueUrl: QueueUrl!, ordersQueueArn: Attributes!.QueueArn! };
  } catch (err) {
    if (!(err instanceof QueueDoesNotExist)) throw err;
    throw new WorkbookError(`There is no queue named ${name}: the intake function needs it.`, 'create it first: `npm run step:1`.');
  }
}

/**
 * CreateRole, or for a role an earlier run made: its trust policy brought up to date. A role of
 * this name without our tag is someone else's, and is left alone.
 */
async function ensureRole(iam: IAMClient, name: string): Promise<string> {
  const trust = JSON.stringify(TRUST_POLICY);
  try {
    const { Role } = await iam.send(
      new CreateRoleCommand({
        RoleName: name,
        AssumeRolePolicyDocument: trust,
        Description: 'Execution role of the intake function: logs, and SendMessage to the orders queue',
        Tags: workbookTagList(), // `npm run teardown` removes only what carries this tag
      }),
    );
    return Role!.Arn!;
  } catch (err) {
    if (!(err instanceof EntityAlreadyExistsException)) throw err;
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: name }));
    refuseUnlessOurs('role', name, Role!.Tags);
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: name, PolicyDocument: trust }));
    return Role!.Arn!;
  }
}

/** CreateLogGroup, or for a group made earlier (by us, or by Lambda on first use): our tag added. */
async function ensureLogGroup(logs: CloudWatchLogsClient, name: string): Promise<void> {
  const { logGroups = [] } = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }));
  const existing = logGroups.find((group) => group.logGroupName === name);
  if (existing) {
    // Tagging takes the group's ARN without the ":*" that DescribeLogGroups' `arn` ends with.
    const arn = existing.logGroupArn ?? existing.arn!.replace(/:\*$/, '');
    await logs.send(new TagLogGroupCommand({ resourceArn: arn, tags: workbookTags() }));
  } else {
    await logs.send(new CreateLogGroupCommand({ logGroupName: name, tags: workbookTags() }));
  }
  await logs.send(new PutRetentionPolicyCommand({ logGroupName: name, retentionInDays: LOG_RETENTION_DAYS }));
}

/** The function's configuration, or undefined when there is no such function yet; someone else's (without our tag) is refused. */
async function getFunction(lambda: LambdaClient, name: string): Promise<FunctionConfiguration | undefined> {
  try {
    const { Configuration, Tags } = await lambda.send(new GetFunctionCommand({ FunctionName: name }));
    refuseUnlessOurs('function', name, Tags);
    return Configuration;
  } catch (err) {
    if (err instanceof ResourceNotFoundException) return undefined;
    throw err;
  }
}

function configurationDiffers(current: FunctionConfiguration, wanted: Omit<FunctionConfiguration, 'Environment'> & { Environment: { Variables: Record<string, string> } }): boolean {
  return (
    current.Role !== wanted.Role ||
    current.Runtime !== wanted.Runtime ||
    current.Handler !== wanted.Handler ||
    current.Timeout !== wanted.Timeout ||
    current.MemorySize !== wanted.MemorySize ||
    current.Description !== wanted.Description ||
    JSON.stringify(current.Environment?.Variables ?? {}) !== JSON.stringify(wanted.Environment.Variables)
  );
}

const kilobytes = (bytes: number) => `${Math.round(bytes / 1024)} KB`;

/**
 * IAM refuses a malformed policy with MalformedPolicyDocument and a short reason that names
 * neither the statement nor the fix. This says both, for the statement in deploy().
 */
function policyRefused(err: MalformedPolicyDocumentException, ordersQueueUrl: string, ordersQueueArn: string): WorkbookError {
  const statement = "{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: ordersQueueArn }";
  const reason = err.message;
  let why: string;
  if (reason.includes(ordersQueueUrl) || /ARN format|Partition .* is not valid for resource/.test(reason)) {
    why = `its Resource is not an ARN. A policy names a queue by its ARN (${ordersQueueArn}, in ordersQueueArn), not by its URL (ordersQueueUrl) or its name.`;
  } else if (/must contain resources/.test(reason)) {
    why = 'the statement has no Resource: say which queue, by its ARN (ordersQueueArn).';
  } else if (/must contain actions/.test(reason)) {
    why = "the statement has no Action: the one action is 'sqs:SendMessage'.";
  } else if (/prefaced by a vendor|only one colon/.test(reason)) {
    why = "an Action is written service:Action, e.g. 'sqs:SendMessage' (SendMessage alone names no service).";
  } else if (/should not specify a principal/.test(reason)) {
    why = 'a role\'s own policy names no Principal (the role is the principal): leave Principal out.';
  } else if (/Syntax errors|invalid Json|legacy parsing/.test(reason)) {
    why = "the statement must be an object with IAM's field names (Effect, Action, Resource, and an optional Sid), not a string or other names (Action, not Actions).";
  } else {
    why = `IAM says: ${reason}`;
  }
  return new WorkbookError(
    `IAM refused the policy ${SEND_POLICY_NAME} (MalformedPolicyDocument: ${reason}): ${why}`,
    `in steps/02-intake-lambda/deploy.ts write the statement (the blank in sendOrdersPolicy) as ${statement}, then run \`npm run step:2\` again.`,
  );
}

runWhenExecuted(import.meta.url, deploy);
