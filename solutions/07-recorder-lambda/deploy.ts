/**
 * Step 7: the recorder function (read README.md next to this file first).
 *
 * The last link of the pipeline: the order-updates topic (step 4) invokes the recorder with each
 * status update, and the recorder writes it to the order-events table (step 6). This script makes
 * the failures queue, the function's role (PutItem on this table, nothing more), its log group,
 * the function, its asynchronous-failure settings, the permission that lets SNS invoke it, and the
 * subscription that connects it to the topic.
 *
 * Run it with `npm run step:7`; running it again is harmless (it updates what changed).
 */
import { DescribeTableCommand, ResourceNotFoundException as TableNotFound } from '@aws-sdk/client-dynamodb';
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
  AddPermissionCommand,
  CreateFunctionCommand,
  GetFunctionCommand,
  GetPolicyCommand,
  PutFunctionEventInvokeConfigCommand,
  RemovePermissionCommand,
  ResourceNotFoundException,
  Runtime,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
  type AddPermissionCommandInput,
  type FunctionConfiguration,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import {
  GetSubscriptionAttributesCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  NotFoundException as TopicNotFound,
  SetSubscriptionAttributesCommand,
  SubscribeCommand,
  type SNSClient,
  type SubscribeCommandInput,
} from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueueTagsCommand,
  QueueDeletedRecently,
  QueueDoesNotExist,
  QueueNameExists,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { dynamoDbClient, iamClient, lambdaClient, logsClient, snsClient, sqsClient, stsClient } from '../../lib/clients.ts';
import { resolveTarget } from '../../lib/config.ts';
import { WorkbookError, errorName } from '../../lib/errors.ts';
import { managedPolicyArn, partitionOfArn } from '../../lib/partition.ts';
import { HANDLER, bundleHandler, oneChangeAtATime, waitUntilFunctionSettled, whenRoleAssumable } from '../../lib/lambda.ts';
import { names, workbookTagList, workbookTags } from '../../lib/names.ts';
import { refuseUnlessOurs } from '../../lib/ownership.ts';
import { cmd, detail, heading, next, ok, warn } from '../../lib/output.ts';
import { granted } from '../../lib/policy-text.ts';
import { runWhenExecuted } from '../../lib/steps.ts';
import { todo } from '../../lib/todo.ts';
import { retry } from '../../lib/wait.ts';

/** The function's settings (README.md explains each). */
const RUNTIME = Runtime.nodejs22x;
/** One PutItem takes milliseconds; a stuck call should fail, and be retried, well within this. */
const TIMEOUT_SECONDS = 10;
const MEMORY_MB = 256;
const LOG_RETENTION_DAYS = 14;
/**
 * Asynchronous invocations (every SNS delivery is one): after an error Lambda tries twice more
 * (the most it allows), then hands the event to the on-failure destination. An update older than
 * six hours (the most Lambda keeps one) goes there too, untried.
 */
const RETRY_ATTEMPTS = 2;
const MAX_EVENT_AGE_SECONDS = 6 * 60 * 60;
/** Failures wait 14 days (SQS's maximum) for someone to look at them. */
const FAILURE_RETENTION_SECONDS = 14 * 24 * 60 * 60;

/** Who may assume the role (its trust policy): the Lambda service, and nobody else. */
const TRUST_POLICY = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};
/** Its ARN, arn:PARTITION:iam::aws:policy/…, is in the partition of the role (aws, aws-cn, aws-us-gov). */
const BASIC_EXECUTION_POLICY = 'service-role/AWSLambdaBasicExecutionRole';
/** The role's inline policies: what the function may do beyond logging. */
const RECORD_POLICY_NAME = 'record-order-events';
const FAILURES_POLICY_NAME = 'report-failures';
/** The permission's statement id: fixed, so a second run finds (and keeps or replaces) its own statement. */
const PERMISSION_ID = 'sns-order-updates';

export async function deploy() {
  const n = names();
  heading(`Step 7: the recorder function (${resolveTarget().label})`);

  // 0. What steps 4 and 6 made: the topic and the table, by ARN.
  const tableArn = await findTable(n.orderEventsTable);
  const topicArn = await findTopic(snsClient(), n.updatesTopic);

  // 1. Where failures go: one queue for updates SNS cannot deliver and for invocations that failed.
  const sqs = sqsClient();
  const failures = await ensureFailureQueue(sqs, n.recorderFailureQueue);
  // The queue's resource policy lets SNS put undeliverable updates there — from this topic only.
  await sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl: failures.url,
      Attributes: {
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'undeliverable-order-updates',
              Effect: 'Allow',
              Principal: { Service: 'sns.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: failures.arn,
              Condition: { ArnEquals: { 'aws:SourceArn': topicArn } },
            },
          ],
        }),
      },
    }),
  );
  ok(`${n.recorderFailureQueue}: keeps failed updates ${FAILURE_RETENTION_SECONDS / 86_400} days`);
  detail(failures.url); // the lesson's QUEUE_URL_OF_workbook-recorder-failures

  // 2. The execution role: logs, PutItem on this one table, and SendMessage to the failures queue.
  const iam = iamClient();
  const roleArn = await ensureRole(iam, n.recorderRole);
  await iam.send(new AttachRolePolicyCommand({ RoleName: n.recorderRole, PolicyArn: managedPolicyArn(partitionOfArn(roleArn), BASIC_EXECUTION_POLICY) }));
  const recordPolicy = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: tableArn }],
  };
  // Lambda sends failed invocations to the destination with the function's own role.
  const failuresPolicy = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: failures.arn }],
  };
  // PutRolePolicy replaces the policy of that name: running it again is harmless.
  await iam.send(new PutRolePolicyCommand({ RoleName: n.recorderRole, PolicyName: RECORD_POLICY_NAME, PolicyDocument: JSON.stringify(recordPolicy) }));
  await iam.send(new PutRolePolicyCommand({ RoleName: n.recorderRole, PolicyName: FAILURES_POLICY_NAME, PolicyDocument: JSON.stringify(failuresPolicy) }));
  ok(`${n.recorderRole}: assumable by Lambda; may write logs; ${RECORD_POLICY_NAME}: ${granted(recordPolicy.Statement)}; ${FAILURES_POLICY_NAME}: ${granted(failuresPolicy.Statement)}`);
  detail(roleArn);

  // 3. The log group, before the function: with our tag and a retention period.
  await ensureLogGroup(logsClient(), n.recorderLogGroup);
  ok(`${n.recorderLogGroup}: keeps the function's logs ${LOG_RETENTION_DAYS} days`);

  // 4. The function: handler.ts bundled and zipped, the table's name in its environment.
  const lambda = lambdaClient();
  const code = await bundleHandler(new URL('./handler.ts', import.meta.url));
  const functionArn = await ensureFunction(lambda, code, {
    FunctionName: n.recorderFunction,
    Role: roleArn,
    Runtime: RUNTIME,
    Handler: HANDLER,
    Timeout: TIMEOUT_SECONDS,
    MemorySize: MEMORY_MB,
    Environment: { Variables: { TABLE_NAME: n.orderEventsTable } },
    Description: 'Stores each order status update from the order-updates topic in the order-events table',
  });

  // 5. Asynchronous failures: two retries, then the failures queue (an invocation record with the
  //    event, the error and the attempts). A new grant takes a moment to reach Lambda on AWS.
  const invokeConfig = await retry(
    () =>
      lambda.send(
        new PutFunctionEventInvokeConfigCommand({
          FunctionName: n.recorderFunction,
          MaximumRetryAttempts: RETRY_ATTEMPTS,
          MaximumEventAgeInSeconds: MAX_EVENT_AGE_SECONDS,
          DestinationConfig: { OnFailure: { Destination: failures.arn } },
        }),
      ),
    {
      retryable: (err) => errorName(err) === 'InvalidParameterValueException' && /execution role does not have permissions/.test(String(err)),
      waitingMessage: `Lambda does not see ${n.recorderRole}'s new grant for ${n.recorderFailureQueue} yet (IAM takes a few seconds). Retrying…`,
      deadlineMs: 60_000,
      initialDelayMs: 200,
      maxDelayMs: 3_000,
    },
  );
  // What Lambda applied, from its answer.
  ok(`failed invocations: retried ${invokeConfig.MaximumRetryAttempts} times, then sent to ${lastPart(invokeConfig.DestinationConfig?.OnFailure?.Destination)}`);

  // 6. Exercise 1: let SNS invoke the function — for messages from this topic, and no other.
  const permission: AddPermissionCommandInput = {
    FunctionName: n.recorderFunction,
    StatementId: PERMISSION_ID,
    Action: 'lambda:InvokeFunction',
    Principal: 'sns.amazonaws.com',
    SourceArn: topicArn,
  };
  await allowInvoke(lambda, permission);

  // 7. Exercise 2: subscribe the function to the topic.
  const subscription: SubscribeCommandInput = {
    TopicArn: topicArn,
    Protocol: 'lambda',
    Endpoint: functionArn,
    ReturnSubscriptionArn: true,
  };
  const sns = snsClient();
  const subscriptionArn = await ensureSubscription(sns, subscription);
  // An update SNS cannot deliver (the permission gone, the function deleted) goes to the failures queue.
  await sns.send(
    new SetSubscriptionAttributesCommand({
      SubscriptionArn: subscriptionArn,
      AttributeName: 'RedrivePolicy',
      AttributeValue: JSON.stringify({ deadLetterTargetArn: failures.arn }),
    }),
  );
  ok(`undeliverable updates go to ${n.recorderFailureQueue} (the subscription's RedrivePolicy)`);
  detail(subscriptionArn);

  next(`${cmd('npm run check:step-7')} verifies it all, publishes a probe update, and delivers one message twice.`);
  return { functionName: n.recorderFunction, functionArn, subscriptionArn, failureQueueUrl: failures.url };
}

async function findTable(name: string): Promise<string> {
  try {
    return (await dynamoDbClient().send(new DescribeTableCommand({ TableName: name }))).Table!.TableArn!;
  } catch (err) {
    if (!(err instanceof TableNotFound)) throw err;
    throw new WorkbookError(`There is no table named ${name}: the recorder writes to it.`, 'create it first: `npm run step:6`.');
  }
}

/** The topic's ARN (partition and account from who we are, region from the target), if the topic exists. */
async function findTopic(sns: SNSClient, name: string): Promise<string> {
  const { Account, Arn } = await stsClient().send(new GetCallerIdentityCommand({}));
  const arn = `arn:${partitionOfArn(Arn!)}:sns:${resolveTarget().region}:${Account}:${name}`;
  try {
    await sns.send(new GetTopicAttributesCommand({ TopicArn: arn }));
    return arn;
  } catch (err) {
    if (!(err instanceof TopicNotFound)) throw err;
    throw new WorkbookError(`There is no topic named ${name}: the recorder is fed from it.`, 'create it first: `npm run step:4`.');
  }
}

/**
 * CreateQueue, safe to repeat (step 1 explains QueueNameExists and the 60 s after a delete). A
 * queue of this name without our tag is someone else's, and is left alone.
 */
async function ensureFailureQueue(sqs: SQSClient, name: string): Promise<{ url: string; arn: string }> {
  const attributes = { MessageRetentionPeriod: String(FAILURE_RETENTION_SECONDS) };
  const existingUrl = await sqs.send(new GetQueueUrlCommand({ QueueName: name })).then(
    (out) => out.QueueUrl,
    (err) => (err instanceof QueueDoesNotExist ? undefined : Promise.reject(err)),
  );
  if (existingUrl) refuseUnlessOurs('queue', name, (await sqs.send(new ListQueueTagsCommand({ QueueUrl: existingUrl }))).Tags);
  let url: string;
  try {
    const created = await retry(() => sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes, tags: workbookTags() })), {
      retryable: (err) => err instanceof QueueDeletedRecently,
      waitingMessage: `${name} was deleted less than 60 s ago; AWS lets the name be reused after that. Waiting…`,
      deadlineMs: 90_000,
      initialDelayMs: 2_000,
      maxDelayMs: 10_000,
    });
    url = created.QueueUrl!;
  } catch (err) {
    if (!(err instanceof QueueNameExists)) throw err;
    url = (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes }));
  }
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  return { url, arn: Attributes!.QueueArn! };
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
        Description: 'Execution role of the recorder function: logs, PutItem on the order-events table, failures to its queue',
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

type Configuration = Required<Pick<FunctionConfiguration, 'FunctionName' | 'Role' | 'Runtime' | 'Handler' | 'Timeout' | 'MemorySize' | 'Description'>> & {
  Environment: { Variables: Record<string, string> };
};

/** CreateFunction, or for a function made earlier: its code and configuration updated where they differ (step 2 explains). */
async function ensureFunction(lambda: LambdaClient, code: { zip: Uint8Array; sha256: string }, configuration: Configuration): Promise<string> {
  const name = configuration.FunctionName;
  const role = configuration.Role.slice(configuration.Role.lastIndexOf('/') + 1);
  const found = await lambda.send(new GetFunctionCommand({ FunctionName: name })).then(
    (out) => out,
    (err) => (err instanceof ResourceNotFoundException ? undefined : Promise.reject(err)),
  );
  // A function of this name without our tag is someone else's: left alone.
  if (found) refuseUnlessOurs('function', name, found.Tags);
  const existing = found?.Configuration;
  if (!existing) {
    const created = await whenRoleAssumable(
      () => lambda.send(new CreateFunctionCommand({ ...configuration, Code: { ZipFile: code.zip }, Tags: workbookTags() })),
      role,
    );
    await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 120 }, { FunctionName: name });
    ok(`${name}: created (${created.Runtime}, ${created.MemorySize} MB, ${created.Timeout} s timeout)`);
    return created.FunctionArn!;
  }
  // One change at a time: wait while the function is Pending or an update is InProgress, and
  // retry Lambda's ResourceConflictException (step 2 explains).
  await waitUntilFunctionSettled(lambda, name);
  const changed: string[] = [];
  if (existing.CodeSha256 !== code.sha256) {
    await oneChangeAtATime(lambda, name, () => lambda.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: code.zip })));
    await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 120 }, { FunctionName: name });
    changed.push('code');
  }
  if (configurationDiffers(existing, configuration)) {
    await oneChangeAtATime(lambda, name, () =>
      whenRoleAssumable(() => lambda.send(new UpdateFunctionConfigurationCommand(configuration)), role),
    );
    await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 120 }, { FunctionName: name });
    changed.push('configuration');
  }
  ok(`${name}: ${changed.length ? `updated its ${changed.join(' and ')}` : 'already up to date'}`);
  return existing.FunctionArn!;
}

function configurationDiffers(current: FunctionConfiguration, wanted: Configuration): boolean {
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

/**
 * AddPermission adds a statement to the function's resource policy. A statement id can be used
 * once, so a second run keeps our statement when it already says the same, and replaces it otherwise.
 */
async function allowInvoke(lambda: LambdaClient, permission: AddPermissionCommandInput): Promise<void> {
  const { FunctionName, StatementId, Action, Principal, SourceArn } = permission;
  const current = await lambda.send(new GetPolicyCommand({ FunctionName })).then(
    (out) => ((JSON.parse(out.Policy ?? '{}') as { Statement?: PolicyStatement[] }).Statement ?? []).find((s) => s.Sid === StatementId),
    (err) => (err instanceof ResourceNotFoundException ? undefined : Promise.reject(err)), // no policy at all yet
  );
  const same =
    current?.Action === Action &&
    current?.Principal?.Service === Principal &&
    current?.Condition?.ArnLike?.['AWS:SourceArn'] === SourceArn &&
    !current?.Condition?.StringEquals;
  if (same) {
    ok(`${FunctionName} lets ${Principal} invoke it, from ${lastPart(SourceArn)} only (unchanged)`);
    return;
  }
  if (current) await lambda.send(new RemovePermissionCommand({ FunctionName, StatementId }));
  let added: string | undefined;
  try {
    ({ Statement: added } = await lambda.send(new AddPermissionCommand(permission)));
  } catch (err) {
    throw explainPermissionRefusal(err);
  }
  // The statement Lambda added to the function's policy, as it answered it.
  const statement = JSON.parse(added ?? '{}') as PolicyStatement;
  const source = statement.Condition?.ArnLike?.['AWS:SourceArn'];
  if (source) ok(`${FunctionName} lets ${statement.Principal?.Service} invoke it, from ${lastPart(source)} only`);
  else warn(`${FunctionName} lets ${statement.Principal?.Service} invoke it, from ANY topic of any account (no SourceArn): \`npm run check:step-7\` says why that is too broad`);
}

/** AddPermission's refusals (AWS's words), and what the blank's field must be. */
const PERMISSION_FIELDS: [RegExp, string][] = [
  [/principal was invalid|at 'principal'/i, "Principal is the SNS service's principal, 'sns.amazonaws.com' (not 'sns', not the topic)"],
  [/at 'action'/, "Action names the service and the action: 'lambda:InvokeFunction'"],
  [/at 'statementId'/, 'StatementId is PERMISSION_ID: a second run finds its own statement by it'],
  [/at 'sourceArn'/, "SourceArn is the topic's ARN, topicArn (arn:…:sns:REGION:ACCOUNT:NAME), not its name"],
  [/at 'functionName'/, 'FunctionName is n.recorderFunction'],
];

/**
 * AddPermission's refusals name a field of the call, not the blank: each one with the blank's
 * fix. Any other error is returned as it is.
 */
function explainPermissionRefusal(err: unknown): unknown {
  if (errorName(err) !== 'ValidationException' && errorName(err) !== 'InvalidParameterValueException') return err;
  const said = (err as Error).message;
  const field = PERMISSION_FIELDS.find(([refusal]) => refusal.test(said))?.[1];
  if (!field) return err;
  return new WorkbookError(
    `Lambda refused the permission (AddPermission): "${said}". In steps/07-recorder-lambda/deploy.ts, ${field}.`,
    "write the permission as { FunctionName: n.recorderFunction, StatementId: PERMISSION_ID, Action: 'lambda:InvokeFunction', " +
      "Principal: 'sns.amazonaws.com', SourceArn: topicArn }, then run `npm run step:7` again.",
  );
}

interface PolicyStatement {
  Sid?: string;
  Action?: string;
  Principal?: { Service?: string };
  Condition?: { ArnLike?: Record<string, string>; StringEquals?: Record<string, string> };
}

/**
 * Subscribe: SNS returns the existing subscription for the same topic, protocol and endpoint, so
 * running it again makes no second one. The script looks first anyway, to say which it was.
 */
async function ensureSubscription(sns: SNSClient, subscription: SubscribeCommandInput): Promise<string> {
  const endpoint = lastPart(subscription.Endpoint);
  const topic = lastPart(subscription.TopicArn);
  const existing = await findSubscription(sns, subscription);
  if (existing) {
    ok(`${endpoint} is subscribed to ${topic} (unchanged)`);
    return existing;
  }
  let subscriptionArn: string | undefined;
  try {
    ({ SubscriptionArn: subscriptionArn } = await sns.send(new SubscribeCommand(subscription)));
  } catch (err) {
    throw explainSubscriptionRefusal(err);
  }
  // What SNS made of it, read back: a lambda subscription is confirmed at once.
  const { Attributes = {} } = await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: subscriptionArn }));
  const pending = Attributes.PendingConfirmation === 'true' ? ', pending confirmation' : '';
  ok(`${lastPart(Attributes.Endpoint)} subscribed to ${lastPart(Attributes.TopicArn)} (protocol ${Attributes.Protocol}${pending})`);
  return subscriptionArn!;
}

/**
 * Subscribe's refusals ("Invalid parameter: Lambda endpoint ARN") name a field, not the blank:
 * each one with the blank's fix. Any other error is returned as it is.
 */
function explainSubscriptionRefusal(err: unknown): unknown {
  if (errorName(err) !== 'InvalidParameterException') return err;
  const said = (err as Error).message;
  const field = /Lambda endpoint ARN/.test(said)
    ? "Endpoint is the function's ARN, functionArn (arn:…:lambda:REGION:ACCOUNT:function:NAME), not its name"
    : /protocol string/.test(said)
      ? "Protocol is 'lambda', in lower case"
      : /Invalid parameter: (Endpoint|TopicArn|Protocol)/.test(said)
        ? 'TopicArn, Protocol and Endpoint are all needed'
        : undefined;
  if (!field) return err;
  return new WorkbookError(
    `SNS refused the subscription (Subscribe): "${said}". In steps/07-recorder-lambda/deploy.ts, ${field}.`,
    "write the subscription as { TopicArn: topicArn, Protocol: 'lambda', Endpoint: functionArn, ReturnSubscriptionArn: true }, " +
      'then run `npm run step:7` again.',
  );
}

/** "arn:aws:sns:us-east-1:123456789012:workbook-order-updates" → "workbook-order-updates". */
const lastPart = (arn: string | undefined) => (arn ?? '').slice((arn ?? '').lastIndexOf(':') + 1);

async function findSubscription(sns: SNSClient, wanted: SubscribeCommandInput): Promise<string | undefined> {
  let NextToken: string | undefined;
  do {
    const page = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: wanted.TopicArn, NextToken }));
    const found = (page.Subscriptions ?? []).find(
      (s) => s.Protocol === wanted.Protocol && s.Endpoint === wanted.Endpoint && s.SubscriptionArn?.startsWith('arn:'),
    );
    if (found) return found.SubscriptionArn;
    NextToken = page.NextToken;
  } while (NextToken);
  return undefined;
}

runWhenExecuted(import.meta.url, deploy);
