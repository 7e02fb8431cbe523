/**
 * Step 5: the monitor function (read README.md next to this file first).
 *
 * The consumer of the orders queue: an event source mapping — Lambda's own poller — takes
 * orders off the queue in batches and invokes the function (handler.ts) with them; the function
 * publishes one status update per order to the topic. This script gives it an execution role
 * that may consume THIS queue and publish to THIS topic, nothing more, a log group, the function
 * itself, and the mapping.
 *
 * Run it with `npm run step:5`; running it again is harmless (it updates what changed).
 */
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  EntityAlreadyExistsException,
  GetRoleCommand,
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
  CreateEventSourceMappingCommand,
  CreateFunctionCommand,
  FunctionResponseType,
  GetEventSourceMappingCommand,
  GetFunctionCommand,
  InvalidParameterValueException,
  ListEventSourceMappingsCommand,
  ResourceNotFoundException,
  Runtime,
  UpdateEventSourceMappingCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
  type EventSourceMappingConfiguration,
  type FunctionConfiguration,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { GetTopicAttributesCommand, NotFoundException } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, GetQueueUrlCommand, QueueDoesNotExist } from '@aws-sdk/client-sqs';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { iamClient, lambdaClient, logsClient, snsClient, sqsClient, stsClient } from '../../lib/clients.ts';
import { resolveTarget } from '../../lib/config.ts';
import { WorkbookError, errorName } from '../../lib/errors.ts';
import { managedPolicyArn, partitionOfArn } from '../../lib/partition.ts';
import { HANDLER, bundleHandler, oneChangeAtATime, waitUntilFunctionSettled, whenRoleAssumable } from '../../lib/lambda.ts';
import { names, workbookTagList, workbookTags } from '../../lib/names.ts';
import { refuseUnlessOurs } from '../../lib/ownership.ts';
import { cmd, detail, heading, next, ok } from '../../lib/output.ts';
import { granted } from '../../lib/policy-text.ts';
import { MONITOR_TIMEOUT_SECONDS } from '../../lib/pipeline.ts';
import { runWhenExecuted } from '../../lib/steps.ts';
import { todo } from '../../lib/todo.ts';
import { retry, waitFor } from '../../lib/wait.ts';

/** The function's settings (README.md explains each). The timeout is shared with step 1's queue. */
const RUNTIME = Runtime.nodejs22x;
const MEMORY_MB = 256;
const LOG_RETENTION_DAYS = 14;

/**
 * The mapping: up to 10 orders per invocation. No batching window: Lambda invokes as soon as a
 * poll returns orders (a poll returns up to 10 that are waiting, so batches fill by themselves
 * when orders arrive fast); a window of N seconds would gather up to N s for fuller batches,
 * and make a lone order wait that long.
 */
const BATCH_SIZE = 10;
const BATCH_WINDOW_SECONDS = 0;

const TRUST_POLICY = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};
/** Its ARN, arn:PARTITION:iam::aws:policy/…, is in the partition of the role (aws, aws-cn, aws-us-gov). */
const BASIC_EXECUTION_POLICY = 'service-role/AWSLambdaBasicExecutionRole';
const POLICY_NAME = 'consume-orders-publish-updates';

export async function deploy() {
  const n = names();
  heading(`Step 5: the monitor function and its event source mapping (${resolveTarget().label})`);

  // 0. What steps 1 and 4 made: the queue (its URL and ARN) and the topic (its ARN).
  const queue = await findOrdersQueue(n.ordersQueue);
  const topicArn = await findTopic(n.updatesTopic);

  // 1. The execution role. Lambda's pollers receive and delete the queue's messages *as this
  //    role*, so it needs the three SQS actions a consumer uses, on the orders queue only; the
  //    function publishes updates, on the topic only. Logs come from the managed policy.
  const iam = iamClient();
  const roleArn = await ensureRole(iam, n.monitorRole);
  await iam.send(new AttachRolePolicyCommand({ RoleName: n.monitorRole, PolicyArn: managedPolicyArn(partitionOfArn(roleArn), BASIC_EXECUTION_POLICY) }));
  const policy = {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ConsumeTheOrdersQueue',
        Effect: 'Allow',
        Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
        Resource: queue.arn,
      },
      { Sid: 'PublishStatusUpdates', Effect: 'Allow', Action: 'sns:Publish', Resource: topicArn },
    ],
  };
  await iam.send(new PutRolePolicyCommand({ RoleName: n.monitorRole, PolicyName: POLICY_NAME, PolicyDocument: JSON.stringify(policy) }));
  ok(`${n.monitorRole}: assumable by Lambda; may write logs; ${POLICY_NAME}: ${granted(policy.Statement)}`);
  detail(roleArn);

  // 2. The log group, with our tag and a retention period (Lambda would make one with neither).
  await ensureLogGroup(logsClient(), n.monitorLogGroup);
  ok(`${n.monitorLogGroup}: keeps the function's logs ${LOG_RETENTION_DAYS} days`);

  // 3. The function: handler.ts bundled with Powertools (the AWS SDK comes with the runtime).
  const lambda = lambdaClient();
  const code = await bundleHandler(new URL('./handler.ts', import.meta.url));
  const functionArn = await deployFunction(lambda, n.monitorFunction, n.monitorRole, {
    FunctionName: n.monitorFunction,
    Role: roleArn,
    Runtime: RUNTIME,
    Handler: HANDLER,
    Timeout: MONITOR_TIMEOUT_SECONDS,
    MemorySize: MEMORY_MB,
    Environment: { Variables: { TOPIC_ARN: topicArn } },
    Description: 'Takes orders from the orders queue and publishes a status update for each to the topic',
  }, code);
  detail(`TOPIC_ARN=${topicArn}`);

  // 4. The event source mapping: Lambda polls the queue for us (long polling, outside the
  //    function's billed time), invokes the function with batches, and deletes what succeeded.
  const settings = {
    BatchSize: BATCH_SIZE,
    MaximumBatchingWindowInSeconds: BATCH_WINDOW_SECONDS,
    // Exercise: let the function report which messages of a batch failed, so that only those
    // are retried (README.md: partial batch responses).
    FunctionResponseTypes: [FunctionResponseType.ReportBatchItemFailures],
  };
  // One mapping per queue and function: an earlier run's is found (ListEventSourceMappings) and updated.
  const existing = await findMapping(lambda, queue.arn, functionArn);
  let uuid: string;
  if (!existing) {
    const created = await explainRefusals(() =>
      lambda.send(new CreateEventSourceMappingCommand({ FunctionName: n.monitorFunction, EventSourceArn: queue.arn, Enabled: true, ...settings })),
    );
    uuid = created.UUID!;
    ok(`event source mapping ${uuid}: created (${n.ordersQueue} → ${n.monitorFunction})`);
  } else {
    uuid = existing.UUID!;
    const current = await settled(lambda, uuid);
    if (mappingDiffers(current, settings)) {
      await explainRefusals(() => lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: true, ...settings })));
      ok(`event source mapping ${uuid}: updated its settings`);
    } else ok(`event source mapping ${uuid}: already up to date`);
  }
  // Creating, Enabling and Updating take a moment (seconds on AWS); then the pollers run.
  const mapping = await settled(lambda, uuid);
  if (mapping.State !== 'Enabled') {
    throw new WorkbookError(`The event source mapping ${uuid} is ${mapping.State}: ${mapping.StateTransitionReason}.`, 'run `npm run step:5` again.');
  }
  // What Lambda now applies, as GetEventSourceMapping reads it back (not what this script asked for).
  const responseTypes = mapping.FunctionResponseTypes?.length ? `with ${mapping.FunctionResponseTypes.join(', ')}` : 'WITHOUT partial batch responses';
  ok(`mapping ${mapping.State}: batches of up to ${mapping.BatchSize}, batching window ${mapping.MaximumBatchingWindowInSeconds ?? 0} s, ${responseTypes}`);

  next(`${cmd('npm run check:step-5')} verifies the role and the mapping, and follows an order from the API to the topic.`);
  return { functionName: n.monitorFunction, roleArn, mappingUuid: uuid };
}

async function findOrdersQueue(name: string): Promise<{ url: string; arn: string }> {
  const sqs = sqsClient();
  try {
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    return { url: QueueUrl!, arn: Attributes!.QueueArn! };
  } catch (err) {
    if (!(err instanceof QueueDoesNotExist)) throw err;
    throw new WorkbookError(`There is no queue named ${name}: the monitor consumes it.`, 'create it first: `npm run step:1`.');
  }
}

/** The topic's ARN is arn:PARTITION:sns:REGION:ACCOUNT:NAME (partition and account: whoever we are); GetTopicAttributes proves it exists. */
async function findTopic(name: string): Promise<string> {
  const { Account, Arn } = await stsClient().send(new GetCallerIdentityCommand({}));
  const topicArn = `arn:${partitionOfArn(Arn!)}:sns:${resolveTarget().region}:${Account}:${name}`;
  try {
    await snsClient().send(new GetTopicAttributesCommand({ TopicArn: topicArn }));
    return topicArn;
  } catch (err) {
    if (!(err instanceof NotFoundException)) throw err;
    throw new WorkbookError(`There is no topic named ${name}: the monitor publishes to it.`, 'create it first: `npm run step:4`.');
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
        Description: 'Execution role of the monitor function: consume the orders queue, publish status updates',
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
    const arn = existing.logGroupArn ?? existing.arn!.replace(/:\*$/, '');
    await logs.send(new TagLogGroupCommand({ resourceArn: arn, tags: workbookTags() }));
  } else {
    await logs.send(new CreateLogGroupCommand({ logGroupName: name, tags: workbookTags() }));
  }
  await logs.send(new PutRetentionPolicyCommand({ logGroupName: name, retentionInDays: LOG_RETENTION_DAYS }));
}

type FunctionSettings = Required<Pick<FunctionConfiguration, 'FunctionName' | 'Role' | 'Runtime' | 'Handler' | 'Timeout' | 'MemorySize' | 'Description'>> & {
  Environment: { Variables: Record<string, string> };
};

/** CreateFunction, or UpdateFunctionCode / UpdateFunctionConfiguration for what changed. Returns the function's ARN. */
async function deployFunction(
  lambda: LambdaClient,
  name: string,
  roleName: string,
  configuration: FunctionSettings,
  code: Awaited<ReturnType<typeof bundleHandler>>,
): Promise<string> {
  const existing = await getFunction(lambda, name);
  if (!existing) {
    // A new role may not be assumable by Lambda for a few seconds on AWS: retried with backoff.
    const created = await whenRoleAssumable(
      () => lambda.send(new CreateFunctionCommand({ ...configuration, Code: { ZipFile: code.zip }, Tags: workbookTags() })),
      roleName,
    );
    await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 120 }, { FunctionName: name });
    ok(`${name}: created (${created.Runtime}, ${created.MemorySize} MB, ${created.Timeout} s timeout, code ${Math.round((created.CodeSize ?? code.zip.length) / 1024)} KB zipped)`);
    return created.FunctionArn!;
  }
  // Lambda takes one change at a time: a function still Pending or with an update InProgress
  // refuses another (ResourceConflictException). Wait for it with the SDK's waiters, and retry that
  // refusal (step 2 explains).
  await waitUntilFunctionSettled(lambda, name);
  const changed: string[] = [];
  if (existing.CodeSha256 !== code.sha256) {
    await oneChangeAtATime(lambda, name, () => lambda.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: code.zip })));
    await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 120 }, { FunctionName: name });
    changed.push('code');
  }
  if (configurationDiffers(existing, configuration)) {
    await oneChangeAtATime(lambda, name, () =>
      whenRoleAssumable(() => lambda.send(new UpdateFunctionConfigurationCommand(configuration)), roleName),
    );
    await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 120 }, { FunctionName: name });
    changed.push('configuration');
  }
  ok(`${name}: ${changed.length ? `updated its ${changed.join(' and ')}` : 'already up to date'}`);
  return existing.FunctionArn!;
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

function configurationDiffers(current: FunctionConfiguration, wanted: FunctionSettings): boolean {
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

/** The mapping from this queue to this function, if an earlier run made it. There can be only one. */
async function findMapping(lambda: LambdaClient, queueArn: string, functionArn: string): Promise<EventSourceMappingConfiguration | undefined> {
  const { EventSourceMappings = [] } = await lambda.send(
    new ListEventSourceMappingsCommand({ EventSourceArn: queueArn, FunctionName: functionArn }),
  );
  return EventSourceMappings[0];
}

/** The mapping once it is Enabled or Disabled (not Creating, Enabling, Updating…): only then may it change again. */
async function settled(lambda: LambdaClient, uuid: string): Promise<EventSourceMappingConfiguration> {
  return waitFor(
    `event source mapping ${uuid} to settle`,
    async () => {
      const mapping = await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }));
      return mapping.State === 'Enabled' || mapping.State === 'Disabled' ? mapping : undefined;
    },
    { deadlineMs: 120_000, initialDelayMs: 50, maxDelayMs: 5000, hint: `look at it: npm run aws -- lambda get-event-source-mapping --uuid ${uuid}` },
  );
}

function mappingDiffers(
  current: EventSourceMappingConfiguration,
  wanted: { BatchSize: number; MaximumBatchingWindowInSeconds: number; FunctionResponseTypes: string[] },
): boolean {
  return (
    current.State === 'Disabled' ||
    current.BatchSize !== wanted.BatchSize ||
    (current.MaximumBatchingWindowInSeconds ?? 0) !== wanted.MaximumBatchingWindowInSeconds ||
    JSON.stringify([...(current.FunctionResponseTypes ?? [])].sort()) !== JSON.stringify([...(wanted.FunctionResponseTypes ?? [])].sort())
  );
}

/**
 * Lambda checks the queue and the role before it creates or updates a mapping; its refusals are
 * worth reading, so they come with what to do. On AWS, a policy added seconds ago may not have
 * reached Lambda yet: that refusal is retried for a while.
 */
async function explainRefusals(call: () => Promise<EventSourceMappingConfiguration>): Promise<EventSourceMappingConfiguration> {
  const refusal = (err: unknown) => (err instanceof InvalidParameterValueException ? err.message : undefined);
  try {
    return await retry(call, {
      retryable: (err) => resolveTarget().realAws && /execution role does not have permissions/.test(refusal(err) ?? ''),
      waitingMessage: 'Lambda does not see the role\'s new permissions yet (IAM takes a few seconds to propagate). Retrying…',
      deadlineMs: 60_000,
      initialDelayMs: 1000,
      maxDelayMs: 8000,
    });
  } catch (err) {
    // The enum's values, misspelt or not in a list: AWS's validation message names neither the blank nor the fix.
    if (errorName(err) === 'ValidationException' && /functionResponseTypes/.test((err as Error).message)) {
      throw new WorkbookError(
        `Lambda refused the mapping's FunctionResponseTypes: "${(err as Error).message}". It takes a list, and its one value is spelt ReportBatchItemFailures.`,
        'in steps/05-monitor-lambda/deploy.ts write FunctionResponseTypes: [FunctionResponseType.ReportBatchItemFailures] ' +
          '(the SDK\'s enum, imported at the top, spells it for you), then run `npm run step:5` again.',
      );
    }
    const message = refusal(err);
    if (message?.startsWith('Queue visibility timeout')) {
      throw new WorkbookError(
        `Lambda refused the mapping: "${message}". A batch still being processed would become visible again and be delivered twice.`,
        'give the orders queue a visibility timeout of at least 6 × the function timeout: in steps/01-queue/deploy.ts ' +
          'VisibilityTimeout: String(VISIBILITY_TIMEOUT), run `npm run step:1`, then `npm run step:5` again.',
      );
    }
    if (message && /execution role does not have permissions/.test(message)) {
      throw new WorkbookError(
        `Lambda refused the mapping: "${message}". Its pollers receive and delete messages as the function's role.`,
        'in steps/05-monitor-lambda/deploy.ts the role\'s policy needs sqs:ReceiveMessage, sqs:DeleteMessage and ' +
          'sqs:GetQueueAttributes on the orders queue\'s ARN; then run `npm run step:5` again.',
      );
    }
    throw err;
  }
}

runWhenExecuted(import.meta.url, deploy);
