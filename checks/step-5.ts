/**
 * `npm run check:step-5`: the monitor function, its role, and its event source mapping.
 *
 * Configuration (describe calls): the function's settings; its role grants exactly what a
 * consumer of the orders queue and a publisher to the topic needs; the mapping is Enabled, with
 * ReportBatchItemFailures, sensible batching, and a queue whose visibility timeout covers the
 * function's timeout 6 times over.
 *
 * Behaviour, watched through a temporary SQS queue of the check's own subscribed to the topic:
 * - an order sent to the API over HTTP, as a shop sends it, comes out of the topic as a status
 *   update (API → intake → queue → mapping → monitor → topic);
 * - a batch holding a malformed message and a good order, handed to the function as Lambda's
 *   poller would, gets back a partial batch response that names the malformed message only, and
 *   the good order's update is published;
 * - on the local cloud, a poison message sent straight to the orders queue is failed by the real
 *   mapping and function maxReceiveCount times and lands in the DLQ (checks/poison-probe.ts): the
 *   local cloud's fastRetry switch makes just that message visible again at once after each
 *   receive, so it takes well under a second instead of maxReceiveCount × 60 s.
 *
 * On real AWS (or another endpoint) that last proof would take about 5 minutes, and a check must
 * not change the learner's queue to go faster: there the chain is proven link by link instead —
 * the function reports the failure, the mapping passes such reports on (ReportBatchItemFailures),
 * and the queue moves a message to the DLQ after exactly maxReceiveCount receives (check:step-1).
 * steps/05-monitor-lambda/README.md shows how to watch a real poison message go all the way.
 *
 * Once the recorder (step 7) is subscribed, the probe orders' updates are stored in the
 * order-events table too: the check deletes those records at the end.
 */
import { randomUUID } from 'node:crypto';
import { GetRestApisCommand, type APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { DescribeLogGroupsCommand, FilterLogEventsCommand, ListTagsForResourceCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  InvokeCommand,
  ListEventSourceMappingsCommand,
  type EventSourceMappingConfiguration,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, GetQueueUrlCommand, QueueDoesNotExist, type SQSClient } from '@aws-sdk/client-sqs';
import { invokeUrl } from '../lib/api.ts';
import { apiGatewayClient, iamClient, lambdaClient, logsClient, snsClient, sqsClient } from '../lib/clients.ts';
import { resolveTarget } from '../lib/config.ts';
import { errorName } from '../lib/errors.ts';
import { managedPolicyArn, partitionOfArn } from '../lib/partition.ts';
import { HANDLER } from '../lib/lambda.ts';
import { TAG_KEY, names } from '../lib/names.ts';
import { detail } from '../lib/output.ts';
import {
  MONITOR_TIMEOUT_SECONDS,
  ORDER_CONFIRMED,
  UPDATE_ATTRIBUTES,
  VISIBILITY_TIMEOUT_PER_FUNCTION_TIMEOUT,
  type QueuedOrder,
  type StatusUpdate,
} from '../lib/pipeline.ts';
import { retry } from '../lib/wait.ts';
import { defineCheck, problem, runCheckWhenExecuted, type Checker } from './kit.ts';
import { canFollowPoisonToDeadLetterQueue, followPoisonToDeadLetterQueue, poisonProbeLabel, whyPiecewise, type PoisonProbeTarget } from './poison-probe.ts';
import { answerOf, clip, goodOrder, newProbeCustomer, readBackProbes, type Answer, type OrderRequest } from './orders.ts';
import { hasWildcard, list, matches } from './policy.ts';
import { removeProbeRecords } from './probe-records.ts';
import { TemporarySubscription, findTopic, messageJson, type Received } from './topic-probe.ts';
import { openTopicWatcher } from './publish-until-delivered.ts';
import { firstErrorIn } from './log-lines.ts';
import { grantNotInForceYet, retryWhileGrantSettles } from './iam-propagation.ts';
import { within } from './patience.ts';
import { pollerRecord } from './poller-record.ts';
import { describeLambdaRole, type LambdaRole } from './lambda-role.ts';
import { getFunction } from './lambda-function.ts';

const STEP_FILE = 'steps/05-monitor-lambda/deploy.ts';
const HANDLER_FILE = 'steps/05-monitor-lambda/handler.ts';
const RERUN = 'then run `npm run step:5` (it updates what exists)';
const RUNTIMES = ['nodejs22.x', 'nodejs24.x'];
const BASIC_EXECUTION_POLICY = 'AWSLambdaBasicExecutionRole';
const LOG_ACTIONS = ['logs:createloggroup', 'logs:createlogstream', 'logs:putlogevents'];
/** What Lambda's pollers do with the execution role (AWS checks them when the mapping is created). */
const CONSUMER_ACTIONS = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'];
const PUBLISH_ACTION = 'sns:Publish';
/** Batching the lesson accepts: at most 10 orders (the function's timeout is sized for that), within 5 s. */
const MAX_BATCH_SIZE = 10;
const MAX_BATCH_WINDOW_SECONDS = 5;

export const check = defineCheck({
  step: 5,
  title: 'the monitor function and its event source mapping',
  async run(t) {
    const n = names();
    const sqs = sqsClient();
    const sns = snsClient();
    const lambda = lambdaClient();

    const queue = await t.require(`the orders queue ${n.ordersQueue} exists (step 1)`, () => findQueue(sqs, n.ordersQueue));
    const topicArn = await t.require(`the topic ${n.updatesTopic} exists (step 4)`, () => findTopic(sns, n.updatesTopic));
    const fn = await t.exists(`the function ${n.monitorFunction} exists`, () => getFunction(lambda, n.monitorFunction, 5));
    const config = fn.Configuration!;
    const timeout = config.Timeout ?? 3;

    await t.item(`it carries the tag ${TAG_KEY}=${n.prefix}`, () => {
      if (fn.Tags?.[TAG_KEY] !== n.prefix) {
        problem(
          `${n.monitorFunction} has no tag ${TAG_KEY}=${n.prefix}, so \`npm run teardown\` will never remove it.`,
          'a step tags only what it creates. If you made it (by hand, or with an older copy of the workbook), tag it: ' +
            `\`npm run aws -- lambda tag-resource --resource ${fn.Configuration?.FunctionArn} --tags ${TAG_KEY}=${n.prefix}\`; if it is someone else's, set your own WORKBOOK_PREFIX in .env.`,
        );
      }
    });

    await t.item(`it is Active, on ${RUNTIMES[0]}, with the handler ${HANDLER}`, () => {
      if (config.State !== 'Active' || (config.LastUpdateStatus && config.LastUpdateStatus !== 'Successful')) {
        problem(`the function is ${config.State} (last update: ${config.LastUpdateStatus ?? 'none'}).`, `wait a moment and check again; if it stays so, ${RERUN.replace('then ', '')}.`);
      }
      if (!RUNTIMES.includes(config.Runtime ?? '')) {
        problem(`the function runs ${config.Runtime}: the workbook's code is built for Node.js 22.`, `in ${STEP_FILE} set RUNTIME = Runtime.nodejs22x, ${RERUN}.`);
      }
      if (config.Handler !== HANDLER) {
        problem(`the handler is "${config.Handler}": the bundle is index.mjs and exports "handler".`, `in ${STEP_FILE} set Handler: HANDLER, ${RERUN}.`);
      }
    });

    await t.item('TOPIC_ARN names the order-updates topic', () => {
      const value = config.Environment?.Variables?.TOPIC_ARN;
      if (value !== topicArn) {
        problem(
          value ? `TOPIC_ARN is ${value}, not the topic (${topicArn}).` : 'the function has no TOPIC_ARN in its environment: every order would fail.',
          `in ${STEP_FILE} set Environment: { Variables: { TOPIC_ARN: topicArn } }, ${RERUN}.`,
        );
      }
    });

    await t.item(
      `the queue's visibility timeout covers the function's timeout ${VISIBILITY_TIMEOUT_PER_FUNCTION_TIMEOUT} times (${timeout} s × ${VISIBILITY_TIMEOUT_PER_FUNCTION_TIMEOUT})`,
      () => {
        const fix =
          timeout === MONITOR_TIMEOUT_SECONDS
            ? `in steps/01-queue/deploy.ts set VisibilityTimeout: String(VISIBILITY_TIMEOUT) (${VISIBILITY_TIMEOUT_PER_FUNCTION_TIMEOUT * MONITOR_TIMEOUT_SECONDS} s) and run \`npm run step:1\`.`
            : `in ${STEP_FILE} keep Timeout: MONITOR_TIMEOUT_SECONDS (${MONITOR_TIMEOUT_SECONDS} s, what step 1 sized the queue for), ${RERUN}.`;
        if (queue.visibilityTimeout < timeout) {
          problem(
            `${n.ordersQueue}'s visibility timeout is ${queue.visibilityTimeout} s, less than the function's ${timeout} s timeout: ` +
              `AWS refuses to create a mapping then ("Queue visibility timeout: ${queue.visibilityTimeout} seconds is less than Function timeout: ${timeout} seconds"), ` +
              'and a batch still being processed would be delivered again.',
            fix,
          );
        }
        if (queue.visibilityTimeout < VISIBILITY_TIMEOUT_PER_FUNCTION_TIMEOUT * timeout) {
          problem(
            `${n.ordersQueue}'s visibility timeout is ${queue.visibilityTimeout} s: AWS advises ${VISIBILITY_TIMEOUT_PER_FUNCTION_TIMEOUT} × the function's ` +
              `${timeout} s timeout, so messages stay hidden while Lambda retries a throttled batch instead of being delivered twice.`,
            fix,
          );
        }
      },
    );

    const roleName = config.Role!.slice(config.Role!.lastIndexOf('/') + 1);
    const role = await t.require(`its execution role ${roleName} exists, and only Lambda may assume it`, () => describeLambdaRole(iamClient(), roleName, { step: 5, stepFile: STEP_FILE, rerun: RERUN }));

    await t.item(`the role lets the function write its logs (${BASIC_EXECUTION_POLICY})`, () => {
      const [, partition, , region, account] = queue.arn.split(':');
      const stream = `arn:${partition}:logs:${region}:${account}:log-group:${n.monitorLogGroup}:log-stream:any`;
      if (!LOG_ACTIONS.slice(1).every((action) => allows(role, action, stream))) {
        problem(
          `${roleName} has no ${BASIC_EXECUTION_POLICY} (nor logs:CreateLogStream and logs:PutLogEvents): the function's logs are dropped, and nobody can see why an order failed.`,
          `in ${STEP_FILE} keep the AttachRolePolicy call with PolicyArn ${managedPolicyArn(partitionOfArn(queue.arn), `service-role/${BASIC_EXECUTION_POLICY}`)}, ${RERUN}.`,
        );
      }
    });

    await t.item(`the role may consume ${n.ordersQueue}: ${CONSUMER_ACTIONS.join(', ')} on its ARN`, () => {
      const missing = CONSUMER_ACTIONS.filter((action) => !allows(role, action, queue.arn));
      if (missing.length > 0) {
        problem(
          `no policy of ${roleName} allows ${missing.join(', ')} on ${queue.arn}: Lambda's pollers act as this role, so AWS refuses ` +
            `the mapping ("The provided execution role does not have permissions to call ${missing[0].slice(4)} on SQS"), or it stops reading.`,
          `in ${STEP_FILE} the ConsumeTheOrdersQueue statement: { Effect: 'Allow', Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'], Resource: queue.arn }, ${RERUN}.`,
        );
      }
    });

    const mayPublish = await t.item(`the role may publish to ${n.updatesTopic}: ${PUBLISH_ACTION} on its ARN`, () => {
      if (!allows(role, PUBLISH_ACTION, topicArn)) {
        problem(
          `no policy of ${roleName} allows ${PUBLISH_ACTION} on ${topicArn}: every Publish fails with AuthorizationError, every order is retried and ends in the DLQ.`,
          `in ${STEP_FILE} the PublishStatusUpdates statement: { Effect: 'Allow', Action: 'sns:Publish', Resource: topicArn }, ${RERUN}.`,
        );
      }
      return true;
    });

    await t.item('the role allows nothing more (no wildcards, no *FullAccess, no other queue or topic)', () => {
      const excess = broaderThanNeeded(role, queue.arn, topicArn);
      if (excess.length > 0) {
        problem(
          `${roleName} ${excess.join('; ')}. A bug in the function, or someone who tricks it, could do all of that.`,
          `in ${STEP_FILE} grant exactly the two statements (the three SQS actions on queue.arn, sns:Publish on topicArn) and detach or delete the rest ` +
            '(`npm run teardown` then steps 1–5 start afresh).',
        );
      }
    });

    await t.item(`the log group ${n.monitorLogGroup} keeps logs for a limited time, and carries the tag`, async () => {
      const logs = logsClient();
      const { logGroups = [] } = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: n.monitorLogGroup }));
      const group = logGroups.find((g) => g.logGroupName === n.monitorLogGroup);
      if (!group) problem(`there is no log group ${n.monitorLogGroup}.`, 'run `npm run step:5`: it creates the log group before the function.');
      if (!group.retentionInDays) {
        problem(`${n.monitorLogGroup} keeps logs forever (no retention): log storage is billed every month.`, `in ${STEP_FILE} keep the PutRetentionPolicy call, ${RERUN}.`);
      }
      const { tags = {} } = await logs.send(new ListTagsForResourceCommand({ resourceArn: group.logGroupArn ?? group.arn!.replace(/:\*$/, '') }));
      if (tags[TAG_KEY] !== n.prefix) problem(`${n.monitorLogGroup} has no tag ${TAG_KEY}=${n.prefix}.`, 'run `npm run step:5` again: it tags the log group.');
    });

    const mapping = await t.require(`an event source mapping feeds ${n.ordersQueue} to ${n.monitorFunction}`, () =>
      findMapping(lambda, queue.arn, config.FunctionArn!, n.ordersQueue),
    );

    const enabled = await t.item('the mapping is Enabled', () => {
      if (mapping.State !== 'Enabled') {
        problem(
          `the mapping ${mapping.UUID} is ${mapping.State}${mapping.StateTransitionReason ? ` (${mapping.StateTransitionReason})` : ''}: ` +
            'nothing takes orders off the queue; they wait there, then expire.',
          mapping.State === 'Disabled'
            ? `run \`npm run step:5\`: it enables the mapping (UpdateEventSourceMapping with Enabled: true).`
            : 'wait a moment and check again (a mapping takes a few seconds to change state on AWS).',
        );
      }
      return true;
    });

    await t.item('it passes on partial batch responses (FunctionResponseTypes: ReportBatchItemFailures)', () => {
      if (!mapping.FunctionResponseTypes?.includes('ReportBatchItemFailures')) {
        problem(
          'the mapping has no ReportBatchItemFailures: Lambda ignores the batchItemFailures the function returns, so a batch either ' +
            'succeeds whole — a malformed message is deleted as if it had been processed, and never reaches the DLQ — or fails whole, ' +
            'and its good orders are processed again.',
          `in ${STEP_FILE} set FunctionResponseTypes: [FunctionResponseType.ReportBatchItemFailures], ${RERUN} (UpdateEventSourceMapping).`,
        );
      }
    });

    await t.item(`it hands over batches of at most ${MAX_BATCH_SIZE} orders, gathered for at most ${MAX_BATCH_WINDOW_SECONDS} s`, () => {
      const size = mapping.BatchSize ?? 10;
      const window = mapping.MaximumBatchingWindowInSeconds ?? 0;
      if (size > MAX_BATCH_SIZE) {
        problem(
          `the batch size is ${size}: the function's ${timeout} s timeout is sized for ${MAX_BATCH_SIZE} orders, and a batch that times out is retried whole.`,
          `in ${STEP_FILE} set BATCH_SIZE = 10, ${RERUN}.`,
        );
      }
      if (window > MAX_BATCH_WINDOW_SECONDS) {
        problem(
          `the batching window is ${window} s: a lone order waits that long before anyone hears of it.`,
          `in ${STEP_FILE} set BATCH_WINDOW_SECONDS = 0 (or a second or two), ${RERUN}.`,
        );
      }
    });

    // Behaviour, watched through a queue of the check's own subscribed to the topic.
    t.behaviourFollows();
    // The probe orders whose updates came out of the topic: the recorder (step 7) may store them.
    const published: string[] = [];
    const watcher = await t.require(`a temporary queue of the check's own is subscribed to ${n.updatesTopic}, and receives what it publishes`, () =>
      openTopicWatcher({ sqs, sns, topicArn, prefix: n.prefix, published, from: 'npm run check:step-5' }),
    );
    try {
      const throughApi = `an order sent to POST /orders comes out of ${n.updatesTopic} as a status update`;
      const api = await findApi(apiGatewayClient(), n.api, n.prefix);
      if (!api) {
        await t.item(throughApi, () => problem(`there is no REST API ${n.api} to send the order to.`, 'create it: `npm run step:3` (and `npm run check:step-3`).'));
      } else {
        const followed = await t.item(throughApi, () =>
          followOrderThroughApi({ url: invokeUrl(api, n.apiStage, '/orders'), watcher, queue, mappingEnabled: !!enabled, mayPublish: !!mayPublish, logGroup: n.monitorLogGroup, published }),
        );
        if (followed) detail(`202 → status update out of the topic in ${followed.latencyMs} ms (order ${followed.orderId})`);
      }
      const reported = await t.item('a malformed message is reported as a batch item failure, and its batch-mate still goes through', async () => {
        await invokeWithPoisonedBatch({ lambda, functionName: config.FunctionName!, queue, watcher, mayPublish: !!mayPublish, logGroup: n.monitorLogGroup, published });
        return true;
      });
      await poisonThroughQueue(t, { sqs, queue, name: n.ordersQueue, mapping, enabled: !!enabled, reported: !!reported });
    } finally {
      await watcher.close();
    }
    await removeProbeRecords(t, published);
  },
});

interface Queue {
  url: string;
  arn: string;
  visibilityTimeout: number;
  redrive?: { deadLetterTargetArn: string; maxReceiveCount: number };
}

function redrivePolicy(text: string | undefined): Queue['redrive'] {
  try {
    const policy = JSON.parse(text ?? '') as { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown };
    const maxReceiveCount = Number(policy.maxReceiveCount);
    return typeof policy.deadLetterTargetArn === 'string' && Number.isInteger(maxReceiveCount) ? { deadLetterTargetArn: policy.deadLetterTargetArn, maxReceiveCount } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A poison message through the queue: on the local cloud it is sent, and followed by the real
 * mapping and function into the DLQ (checks/poison-probe.ts); elsewhere that takes minutes, and
 * the links are proven one by one (the function reports the failure, the mapping passes it on,
 * check:step-1 proves the redrive). Not tried when a link above is already known to be broken.
 */
async function poisonThroughQueue(
  t: Checker,
  p: { sqs: SQSClient; queue: Queue; name: string; mapping: EventSourceMappingConfiguration; enabled: boolean; reported: boolean },
): Promise<void> {
  const redrive = p.queue.redrive;
  if (!redrive) {
    t.skip('a poison message sent to the queue reaches its dead-letter queue', `${p.name} has no RedrivePolicy (no DLQ).`, '`npm run check:step-1` says what to do; then run `npm run check:step-5` again.');
    return;
  }
  const deadLetterName = redrive.deadLetterTargetArn.slice(redrive.deadLetterTargetArn.lastIndexOf(':') + 1);
  const { QueueUrl } = await p.sqs.send(new GetQueueUrlCommand({ QueueName: deadLetterName }));
  const target: PoisonProbeTarget = {
    sqs: p.sqs,
    queue: { name: p.name, url: p.queue.url, arn: p.queue.arn, visibilityTimeoutSeconds: p.queue.visibilityTimeout },
    deadLetter: { name: deadLetterName, url: QueueUrl!, maxReceiveCount: redrive.maxReceiveCount },
    sender: 'npm run check:step-5',
  };
  const label = poisonProbeLabel(target);
  if (!canFollowPoisonToDeadLetterQueue()) {
    // The whole way takes minutes here: each link is verified instead, and the line says so.
    await t.item(
      `a poison message sent to ${p.name} would reach ${deadLetterName}, link by link: the function reports it, the mapping passes that on, the queue redrives (configuration)`,
      () => {
        const broken = !p.enabled
          ? 'the mapping is not Enabled (the ✘ above)'
          : !p.mapping.FunctionResponseTypes?.includes('ReportBatchItemFailures')
            ? 'the mapping does not pass batch item failures on (the ✘ above)'
            : !p.reported
              ? 'the function does not report a malformed message alone (the ✘ above)'
              : undefined;
        if (broken) problem(`a link is broken: ${broken}.`, 'fix what the ✘ above says, then run `npm run check:step-5` again.');
        detail(
          `(${whyPiecewise(redrive.maxReceiveCount, p.queue.visibilityTimeout)}; the redrive itself after ${redrive.maxReceiveCount} receives is check:step-1's, ` +
            'and `npm run step:8 -- --wait-for-dlq` follows one all the way)',
        );
      },
    );
    return;
  }
  const broken = !p.enabled
    ? 'the mapping is not Enabled (the ✘ above): nothing would receive it'
    : !p.mapping.FunctionResponseTypes?.includes('ReportBatchItemFailures')
      ? 'the mapping does not pass batch item failures on (the ✘ above): it would be deleted as if processed'
      : !p.reported
        ? 'the function does not report a malformed message alone (the ✘ above)'
        : undefined;
  if (broken) {
    t.skip(label, `not sent: ${broken}.`);
    return;
  }
  const note = await t.item(label, () => followPoisonToDeadLetterQueue(target));
  if (note) detail(note);
}

async function findQueue(sqs: SQSClient, name: string): Promise<Queue> {
  try {
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn', 'VisibilityTimeout', 'RedrivePolicy'] }));
    return { url: QueueUrl!, arn: Attributes.QueueArn!, visibilityTimeout: Number(Attributes.VisibilityTimeout), redrive: redrivePolicy(Attributes.RedrivePolicy) };
  } catch (err) {
    if (err instanceof QueueDoesNotExist) problem(`there is no queue named ${name} on ${resolveTarget().label}.`, 'create it: `npm run step:1`.');
    throw err;
  }
}

async function findMapping(lambda: LambdaClient, queueArn: string, functionArn: string, queueName: string): Promise<EventSourceMappingConfiguration> {
  const { EventSourceMappings = [] } = await lambda.send(new ListEventSourceMappingsCommand({ EventSourceArn: queueArn, FunctionName: functionArn }));
  if (EventSourceMappings.length === 0) {
    problem(
      `no event source mapping reads ${queueName} for the function: orders pile up in the queue and nobody hears of them.`,
      `run \`npm run step:5\`: its CreateEventSourceMapping call in ${STEP_FILE} makes it.`,
    );
  }
  return EventSourceMappings[0];
}


/** Does an Allow statement (inline or attached) grant `action` on `resource`? Deny statements are not considered. */
function allows(role: LambdaRole, action: string, resource: string): boolean {
  const statements = [...role.inline.map((i) => i.statement), ...role.attached.flatMap((a) => a.statements)];
  return statements.some(
    (s) =>
      s.Effect === 'Allow' &&
      (s.NotAction ? !list(s.NotAction).some((a) => matches(a, action, true)) : list(s.Action).some((a) => matches(a, action, true))) &&
      (s.NotResource ? !list(s.NotResource).some((r) => matches(r, resource)) : list(s.Resource).some((r) => matches(r, resource))),
  );
}

/** What the role grants beyond logs, consuming the queue and publishing to the topic, in words. */
function broaderThanNeeded(role: LambdaRole, queueArn: string, topicArn: string): string[] {
  const excess: string[] = [];
  for (const policy of role.attached) {
    if (policy.name === BASIC_EXECUTION_POLICY) continue;
    if (/FullAccess|AdministratorAccess|PowerUserAccess/.test(policy.name)) {
      excess.push(`has ${policy.name} attached, which allows every action of its service(s) on every resource — deleting queues and topics, reading every message`);
    } else if (policy.name === 'AWSLambdaSQSQueueExecutionRole') {
      excess.push(`has ${policy.name} attached, which lets it receive and delete messages of every queue in the account, not only ${queueArn}`);
    } else excess.push(`has ${policy.name} attached, which the monitor does not need`);
  }
  const needed: Record<string, string> = Object.fromEntries([...CONSUMER_ACTIONS.map((a) => [a.toLowerCase(), queueArn]), [PUBLISH_ACTION.toLowerCase(), topicArn]]);
  for (const { policy, statement } of role.inline) {
    if (statement.Effect !== 'Allow') continue;
    const where = `(inline policy ${policy}${statement.Sid ? `, statement ${statement.Sid}` : ''})`;
    if (statement.NotAction || statement.NotResource) {
      excess.push(`allows everything except a list, with NotAction/NotResource ${where}`);
      continue;
    }
    const actions = list(statement.Action).map((a) => a.toLowerCase());
    if (actions.every((a) => LOG_ACTIONS.includes(a))) continue; // logging, like AWSLambdaBasicExecutionRole
    for (const action of actions) {
      if (hasWildcard(action)) excess.push(`allows the wildcard action ${action} ${where}`);
      else if (!needed[action]) excess.push(`also allows ${action} ${where}`);
    }
    const scoped = actions.filter((a) => needed[a]);
    for (const resource of list(statement.Resource)) {
      const elsewhere = scoped.filter((a) => needed[a] !== resource);
      if (elsewhere.length > 0) excess.push(`allows ${elsewhere.join(', ')} on ${resource} ${where}`);
    }
  }
  return [...new Set(excess)];
}

/** The newest REST API with this name and our tag (as step 3 picks it), or undefined. */
async function findApi(apigw: APIGatewayClient, name: string, prefix: string): Promise<string | undefined> {
  const ours: { id: string; created: number }[] = [];
  let position: string | undefined;
  do {
    const page = await apigw.send(new GetRestApisCommand({ limit: 500, position }));
    for (const api of page.items ?? []) {
      if (api.name === name && api.tags?.[TAG_KEY] === prefix) ours.push({ id: api.id!, created: api.createdDate?.getTime() ?? 0 });
    }
    position = page.position;
  } while (position);
  return ours.sort((a, b) => b.created - a.created)[0]?.id;
}

/** How long an update may take to come out of the topic: Lambda's cold starts and log delivery are slower on AWS. */
const updateDeadlineMs = () => within({ instant: 10_000, emulator: 30_000, aws: 60_000 });

/** The status update for this order, if `received` is one. */
function updateFor(received: Received, orderId: string): { received: Received; update: StatusUpdate } | undefined {
  const update = messageJson(received.notification) as StatusUpdate | undefined;
  return update?.orderId === orderId ? { received, update } : undefined;
}

/** What is wrong with a status update as it came out of the topic (undefined: nothing). */
function updateProblem(received: Received, update: StatusUpdate, sent: { orderId: string; customerId: string }): string | undefined {
  const { notification } = received;
  const attributes = notification.MessageAttributes ?? {};
  if (attributes[UPDATE_ATTRIBUTES.orderId]?.Value !== sent.orderId || attributes[UPDATE_ATTRIBUTES.status]?.Value !== update.status) {
    return `its message attributes should be ${UPDATE_ATTRIBUTES.orderId} and ${UPDATE_ATTRIBUTES.status} (Strings, as in the body); they are ${JSON.stringify(attributes)}`;
  }
  if (update.status !== ORDER_CONFIRMED || update.customerId !== sent.customerId) {
    return `its body should hold the order with status "${ORDER_CONFIRMED}"; it is ${clip(notification.Message)}`;
  }
  const times = update.times ?? ({} as StatusUpdate['times']);
  const order = ['acceptedAt', 'queuedAt', 'processedAt', 'publishedAt'] as const;
  if (!order.every((stage) => typeof times[stage] === 'number') || !order.every((stage, i) => i === 0 || times[order[i - 1]] <= times[stage])) {
    return `its times should hold ${order.join(' ≤ ')} (epoch ms); they are ${JSON.stringify(times)}`;
  }
  return undefined;
}

/**
 * Sends an order to the API as a shop would, and waits for its status update to come out of the
 * topic. While it waits it also watches the monitor's log: once the monitor has logged an error,
 * a missing update is not worth waiting for much longer.
 */
async function followOrderThroughApi(p: {
  url: string;
  watcher: TemporarySubscription;
  queue: Queue;
  mappingEnabled: boolean;
  mayPublish: boolean;
  logGroup: string;
  published: string[];
}): Promise<{ orderId: string; latencyMs: number }> {
  const customerId = newProbeCustomer();
  const request = goodOrder(customerId, 'npm run check:step-5');
  const sentAt = Date.now();
  const answer = await post(p.url, request);
  if (answer.status !== 202 || typeof answer.body?.orderId !== 'string') {
    problem(`POST /orders answered ${answer.status} ${clip(answer.text)}, not 202 with an orderId.`, 'the API and the intake function decide: `npm run check:step-3` shows why.');
  }
  const orderId = answer.body.orderId;
  const acceptedAt = Date.now();
  if (!p.mappingEnabled) {
    // Nothing consumes the queue: the order must still be there. The check takes it back.
    const { found } = await readBackProbes(sqsClient(), p.queue.url, [orderId], customerId, 5_000);
    problem(
      `order ${orderId} was accepted (202) and ${found.has(orderId) ? 'stayed on the queue' : 'queued'}, but nothing takes orders off ` +
        `the queue while the mapping is not Enabled${found.has(orderId) ? ' (the check removed its order)' : ''}.`,
      'enable the mapping (the ✘ above): `npm run step:5`.',
    );
  }

  let giveUpAt = acceptedAt + updateDeadlineMs();
  let error: string | undefined;
  let got: { received: Received; update: StatusUpdate } | undefined;
  while (!got && Date.now() < giveUpAt) {
    got = await p.watcher.waitFor((received) => updateFor(received, orderId), Math.min(1_000, giveUpAt - Date.now()));
    if (got || error) continue;
    error = await monitorError(p.logGroup, sentAt);
    // The error may be another order's: the update still gets a little while to show up.
    if (error) giveUpAt = Math.min(giveUpAt, Date.now() + within({ instant: 1_000, emulator: 5_000, aws: 10_000 }));
  }
  if (got) p.published.push(orderId);
  if (!got) {
    const waited = `${Math.round((Date.now() - acceptedAt) / 100) / 10} s`;
    const fate = `Lambda retries the order until it lands in the dead-letter queue (a test order for customer ${customerId}, safe to delete).`;
    if (error && /not authorized to perform: SNS:Publish/i.test(error) && p.mayPublish) {
      // The role's policy grants it (the ✔ above): IAM has not put the grant in force yet.
      const notYet = grantNotInForceYet(`sns:Publish on ${names().updatesTopic}`, Date.now() - acceptedAt);
      problem(`no update for order ${orderId} after ${waited}: the monitor's log says ${clip(error, 420)}. ${notYet.wrong} ${fate}`, notYet.fix);
    }
    if (error && /not authorized to perform: SNS:Publish/i.test(error)) {
      problem(
        `no update for order ${orderId} after ${waited}: the monitor's log says ${clip(error, 420)}. ${fate}`,
        `grant sns:Publish on the topic's ARN: in ${STEP_FILE} the PublishStatusUpdates statement { Effect: 'Allow', Action: 'sns:Publish', Resource: topicArn }${p.mayPublish ? '' : ' (see the ✘ above)'}, ${RERUN}.`,
      );
    }
    problem(
      `order ${orderId} was accepted (202), but no status update came out of the topic after ${waited}` +
        (error ? `; the monitor's log says ${clip(error, 420)}. ${fate}` : ', and the monitor logged no error.'),
      error
        ? `fix what the log says (compare ${HANDLER_FILE} with README.md), ${RERUN}.`
        : `look at the mapping and the function's log: \`npm run aws -- logs tail ${p.logGroup} --since 10m\`; then run \`npm run check:step-5\` again.`,
    );
  }
  const wrong = updateProblem(got.received, got.update, { orderId, customerId });
  if (wrong) problem(`the status update for order ${orderId} is not what subscribers expect: ${wrong}.`, `compare the PublishCommand in ${HANDLER_FILE} with README.md, ${RERUN}.`);
  return { orderId, latencyMs: got.received.receivedAt - acceptedAt };
}

/** POSTs the order, as a shop's back end would. */
async function post(url: string, request: OrderRequest): Promise<Answer> {
  const send = async () => {
    const response = await fetch(url, {
      method: 'POST',
      headers: request.contentType ? { 'Content-Type': request.contentType } : {},
      body: request.body,
      signal: AbortSignal.timeout(35_000),
    });
    const text = await response.text();
    // 429: the stage's throttling (step 3: a few requests a second) refused it before the function saw it; send it again.
    if (response.status === 429) throw Object.assign(new Error(`429 ${text}`), { name: 'Throttled' });
    return answerOf(response.status, text);
  };
  return retry(send, {
    retryable: (err) => errorName(err) === 'Throttled' || (resolveTarget().realAws && errorName(err) === 'ENOTFOUND'),
    deadlineMs: 90_000,
    initialDelayMs: 1000,
    maxDelayMs: 10_000,
  });
}

/**
 * The first error the monitor logged since `since` (epoch ms), as text; malformed messages (the
 * check's own, or anyone's) do not count. Log lines take a few seconds to arrive on AWS:
 * `waitMs` keeps looking that long.
 */
async function monitorError(logGroup: string, since: number, waitMs = 0): Promise<string | undefined> {
  const logs = logsClient();
  const giveUpAt = Date.now() + waitMs;
  for (;;) {
    // The handler's error lines (Powertools JSON) first, then the runtime's: an uncaught error, a timeout.
    for (const filterPattern of ['{ $.level = "ERROR" && $.error.name != "MalformedOrder" }', '?"Task timed out" ?"Runtime."']) {
      const { events = [] } = await logs
        .send(new FilterLogEventsCommand({ logGroupName: logGroup, startTime: since - 1000, filterPattern, limit: 50 }))
        .catch(() => ({ events: [] }));
      // Not every emulator honours the pattern: each line is classified again here.
      const found = firstErrorIn(events.map((e) => e.message ?? ''), ['MalformedOrder']);
      if (found) return found.text;
    }
    if (Date.now() >= giveUpAt) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** Whether a log line of the monitor since `since` names `marker` (a message id); log lines take seconds to arrive on AWS. */
async function loggedAbout(logGroup: string, marker: string, since: number): Promise<boolean> {
  const logs = logsClient();
  const giveUpAt = Date.now() + within({ instant: 1_000, emulator: 5_000, aws: 15_000 });
  for (let pause = 50; ; pause = Math.min(pause * 2, 1_000)) {
    const { events = [] } = await logs
      .send(new FilterLogEventsCommand({ logGroupName: logGroup, startTime: since - 1000, filterPattern: `"${marker}"`, limit: 10 }))
      .catch(() => ({ events: [] }));
    // Not every emulator honours the pattern: each line is looked at here too.
    if (events.some((e) => e.message?.includes(marker))) return true;
    if (Date.now() >= giveUpAt) return false;
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

/** A log line for people: Powertools' JSON lines boiled down to the message and the error. */
function describeLogLine(line: string): string {
  try {
    const doc = JSON.parse(line) as { message?: string; error?: { name?: string; message?: string } };
    return doc.error ? `"${doc.message}": ${doc.error.name}: ${doc.error.message}` : `"${doc.message}"`;
  } catch {
    return line.trim();
  }
}

/**
 * Invokes the function directly with a batch as Lambda's poller builds it (aws-behaviours §B): a
 * good order and a malformed message. The answer must name the malformed message, and only it,
 * in batchItemFailures; the good order's update must come out of the topic.
 */
async function invokeWithPoisonedBatch(p: {
  lambda: LambdaClient;
  functionName: string;
  queue: Queue;
  watcher: TemporarySubscription;
  mayPublish: boolean;
  logGroup: string;
  published: string[];
}): Promise<void> {
  const customerId = newProbeCustomer();
  const now = Date.now();
  const good: QueuedOrder = {
    orderId: randomUUID(),
    customerId,
    items: [{ sku: 'tea-earl-grey', quantity: 1 }],
    note: 'a test order from npm run check:step-5; safe to delete',
    times: { acceptedAt: now, queuedAt: now },
  };
  const poison = JSON.stringify({ customerId, note: 'a malformed message from npm run check:step-5: it has no orderId' });
  const records = [pollerRecord(JSON.stringify(good), p.queue.arn, 'npm-run-check-step-5'), pollerRecord(poison, p.queue.arn, 'npm-run-check-step-5')];
  const [goodId, poisonId] = records.map((r) => r.messageId);

  const invokeOnce = async () => {
    const invokedAt = Date.now();
    const out = await p.lambda.send(
      new InvokeCommand({ FunctionName: p.functionName, LogType: 'Tail', Payload: Buffer.from(JSON.stringify({ Records: records })) }),
    );
    const log = out.LogResult ? Buffer.from(out.LogResult, 'base64').toString('utf8') : '';
    return { invokedAt, out, log, text: Buffer.from(out.Payload ?? []).toString('utf8') };
  };
  const publishDenied = (r: { log: string; text: string }) => /not authorized to perform: SNS:Publish/i.test(`${r.log} ${r.text}`);
  // Refused although the role's policy grants sns:Publish (the ✔ above): IAM may not have put the grant in force yet.
  const { result: first, stillDenied, waitedMs } = await retryWhileGrantSettles(invokeOnce, (r) => p.mayPublish && !!r.out.FunctionError && publishDenied(r));
  const { invokedAt, out, log, text } = first;
  let reason = firstError(log);
  if (out.FunctionError) {
    // The last 4 KB of the log (Tail) may hold only the batch's summary: the records' own errors are in CloudWatch Logs.
    reason = (await monitorError(p.logGroup, invokedAt, within({ instant: 0, emulator: 5_000, aws: 15_000 }))) ?? reason;
    const error = answerOf(200, text).body ?? {};
    const wrong = `the function failed the whole batch (${String(error.errorType ?? out.FunctionError)}: ${clip(String(error.errorMessage ?? text), 160)})`;
    if (p.mayPublish && stillDenied && /not authorized to perform: SNS:Publish/i.test(`${reason} ${log}`)) {
      const notYet = grantNotInForceYet('sns:Publish on the topic', waitedMs);
      problem(`${wrong}: its log says ${clip(reason ?? 'AuthorizationError', 420)}; ${notYet.wrong}`, notYet.fix);
    }
    if (/not authorized to perform: SNS:Publish/i.test(`${reason} ${log}`)) {
      problem(
        `${wrong}: its log says ${clip(reason ?? 'AuthorizationError', 420)}.`,
        `grant sns:Publish on the topic's ARN: in ${STEP_FILE} the PublishStatusUpdates statement${p.mayPublish ? '' : ' (see the ✘ above)'}, ${RERUN}.`,
      );
    }
    problem(
      `${wrong}${reason ? `; its log says ${clip(reason, 420)}` : ''}. One bad message must not fail its batch-mates.`,
      `in ${HANDLER_FILE} let processPartialResponse handle the batch, and throw only from processOrder (one record); ${RERUN}.`,
    );
  }
  const failures = batchItemFailures(text);
  if (failures === 'invalid') {
    problem(
      `the function answered ${clip(text)}: not a partial batch response ({"batchItemFailures": [{"itemIdentifier": MESSAGE_ID}]}); Lambda would retry the whole batch.`,
      `in ${HANDLER_FILE} return what processPartialResponse returns; ${RERUN}.`,
    );
  }
  if (failures.includes(goodId)) {
    problem(
      `the function reported the good order as a failure too (answer ${clip(text)})${reason ? `; its log says ${clip(reason, 420)}` : ''}.`,
      `fix what the log says (compare ${HANDLER_FILE} with README.md), ${RERUN}.`,
    );
  }
  if (!failures.includes(poisonId)) {
    problem(
      `the function answered ${clip(text || '(nothing)')} for a batch with a malformed message: it reported no failure, so Lambda would delete ` +
        'the malformed message as if it had been processed: it never reaches the DLQ, and nobody learns of it.',
      `in ${HANDLER_FILE}, in processOrder's catch block, log the error and throw it again (throw error), so the batch processor lists the record in batchItemFailures; ${RERUN}.`,
    );
  }
  // Reported, but is it in the log? In production the log is the only place that says why a message failed.
  if (!log.includes(poisonId) && !(await loggedAbout(p.logGroup, poisonId, invokedAt))) {
    problem(
      `the function reported the malformed message ${poisonId} as a batch item failure, but no line of its log names it: whoever finds it ` +
        'in the dead-letter queue later cannot learn why it failed, or how often it was tried.',
      `in ${HANDLER_FILE}, in processOrder's catch block, first logger.error('order not processed', { messageId: record.messageId, ` +
        `receiveCount: Number(record.attributes.ApproximateReceiveCount), error }), then throw error; ${RERUN}.`,
    );
  }
  const got = await p.watcher.waitFor((received) => updateFor(received, good.orderId), updateDeadlineMs());
  if (got) p.published.push(good.orderId);
  if (!got) {
    problem(
      `the function reported only the malformed message, but the good order's update did not come out of the topic within ${updateDeadlineMs() / 1000} s.`,
      `the function must publish to TOPIC_ARN: compare the PublishCommand in ${HANDLER_FILE} with README.md, ${RERUN}.`,
    );
  }
  const wrong = updateProblem(got.received, got.update, { orderId: good.orderId, customerId });
  if (wrong) problem(`the good order's status update is not what subscribers expect: ${wrong}.`, `compare the PublishCommand in ${HANDLER_FILE} with README.md, ${RERUN}.`);
}

/** The itemIdentifiers of a partial batch response, or 'invalid'. `{}` and `null` mean no failure. */
function batchItemFailures(text: string): string[] | 'invalid' {
  if (text.trim() === '' || text.trim() === 'null') return [];
  const body = answerOf(200, text).body;
  if (!body) return 'invalid';
  const failures = body.batchItemFailures;
  if (failures === undefined || failures === null) return [];
  if (!Array.isArray(failures)) return 'invalid';
  const ids = failures.map((f) => (f && typeof f === 'object' ? (f as { itemIdentifier?: unknown }).itemIdentifier : undefined));
  return ids.every((id): id is string => typeof id === 'string' && id !== '') ? ids : 'invalid';
}

/**
 * The first error of an invocation's log (LogType Tail), described for people: the handler's
 * own error lines (Powertools JSON) first, then the runtime's (an error the function threw, a
 * timeout). Warnings that the runtime logs at the ERROR level are not errors.
 */
function firstError(log: string): string | undefined {
  const lines = log.split('\n');
  const handler = lines.find((line) => line.includes('"level":"ERROR"'));
  if (handler) return describeLogLine(handler.slice(handler.indexOf('{')));
  const runtime = lines.find((line) => /\tERROR\t(?!\(node:\d+\) Warning)|Task timed out/.test(line));
  return runtime?.split('\t').slice(3).join(' ').trim() || runtime?.trim();
}

runCheckWhenExecuted(import.meta.url, check);
