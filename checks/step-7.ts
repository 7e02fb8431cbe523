/**
 * `npm run check:step-7`: the recorder function, its role, its failure handling, its permission
 * and its subscription.
 * Configuration (describe calls): the function's settings; its role — PutItem on the table and
 * nothing more; where failed invocations and undeliverable updates go; the permission for SNS,
 * scoped to the topic; one confirmed subscription. Behaviour: a probe update published to the
 * topic is recorded exactly once, with its ids and times; the same update delivered twice, the
 * second time as a new SNS message (as a republished update looks), is stored once; a malformed
 * update makes the function fail, not vanish. Every probe is deleted afterwards.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { DescribeLogGroupsCommand, ListTagsForResourceCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeTableCommand, ResourceNotFoundException as TableNotFound } from '@aws-sdk/client-dynamodb';
import {
  GetFunctionEventInvokeConfigCommand,
  InvokeCommand,
  ResourceNotFoundException,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  GetSubscriptionAttributesCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  NotFoundException as TopicNotFound,
  PublishCommand,
  type SNSClient,
} from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, GetQueueUrlCommand, QueueDoesNotExist, type SQSClient } from '@aws-sdk/client-sqs';
import { documentClient, dynamoDbClient, iamClient, lambdaClient, logsClient, snsClient, sqsClient } from '../lib/clients.ts';
import { resolveTarget } from '../lib/config.ts';
import { arnInAccount } from '../lib/identity.ts';
import { managedPolicyArn, partitionOfArn } from '../lib/partition.ts';
import { HANDLER } from '../lib/lambda.ts';
import { TAG_KEY, names } from '../lib/names.ts';
import { EVENT_KEY, STAGES, eventKeyOf, orderTimeOf, readTimeline, timeBucketOf, type OrderEvent } from '../lib/order-events.ts';
import { UPDATE_ATTRIBUTES } from '../lib/pipeline.ts';
import { defineCheck, problem, runCheckWhenExecuted } from './kit.ts';
import { invokeSourceArns } from './invoke-permissions.ts';
import { deleteRecordsOf } from './probe-records.ts';
import { conditionValues, hasWildcard, list, matches, servicePrincipals, statementsOf } from './policy.ts';
import {
  PROBE_STATUS,
  causeOf,
  clip,
  logLinesAbout,
  newProbeOrderId,
  probeUpdate,
  snsEvent,
  takeFailures,
  updateAttributes,
  type FailureFound,
} from './recorder-probes.ts';
import { describeLambdaRole, type LambdaRole } from './lambda-role.ts';
import { grantNotInForceYet, retryWhileGrantSettles } from './iam-propagation.ts';
import { patience, settle, within } from './patience.ts';
import { getFunction } from './lambda-function.ts';

const STEP_FILE = 'steps/07-recorder-lambda/deploy.ts';
const HANDLER_FILE = 'steps/07-recorder-lambda/handler.ts';
const RERUN = 'then run `npm run step:7` (it updates what exists)';
const RUNTIMES = ['nodejs22.x', 'nodejs24.x'];
const BASIC_EXECUTION_POLICY = 'AWSLambdaBasicExecutionRole';
const LOG_ACTIONS = ['logs:createloggroup', 'logs:createlogstream', 'logs:putlogevents'];
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const check = defineCheck({
  step: 7,
  title: 'the recorder function, its subscription and its permission',
  async run(t) {
    const n = names();
    const lambda = lambdaClient();
    const sns = snsClient();
    const sqs = sqsClient();

    const table = await t.require(`the table ${n.orderEventsTable} exists (step 6)`, () => findTable(n.orderEventsTable));
    const topicArn = await t.require(`the topic ${n.updatesTopic} exists (step 4)`, () => findTopic(sns, n.updatesTopic));
    const fn = await t.exists(`the function ${n.recorderFunction} exists`, () => getFunction(lambda, n.recorderFunction, 7));
    const config = fn.Configuration!;
    const functionArn = config.FunctionArn!;

    await t.item(`it carries the tag ${TAG_KEY}=${n.prefix}`, () => {
      if (fn.Tags?.[TAG_KEY] !== n.prefix) {
        problem(
          `${n.recorderFunction} has no tag ${TAG_KEY}=${n.prefix}, so \`npm run teardown\` will never remove it.`,
          'a step tags only what it creates. If you made it (by hand, or with an older copy of the workbook), tag it: ' +
            `\`npm run aws -- lambda tag-resource --resource ${config.FunctionArn} --tags ${TAG_KEY}=${n.prefix}\`; if it is someone else's, set your own WORKBOOK_PREFIX in .env.`,
        );
      }
    });

    await t.item(`it is Active, on ${RUNTIMES[0]}, with the handler ${HANDLER}`, () => {
      if (config.State !== 'Active' || (config.LastUpdateStatus && config.LastUpdateStatus !== 'Successful')) {
        problem(
          `the function is ${config.State} (last update: ${config.LastUpdateStatus ?? 'none'}${config.StateReason ? `, ${config.StateReason}` : ''}).`,
          `wait a moment and check again; if it stays so, ${RERUN.replace('then ', '')}.`,
        );
      }
      if (!RUNTIMES.includes(config.Runtime ?? '')) {
        problem(`the function runs ${config.Runtime}: the workbook's code is built for Node.js 22.`, `in ${STEP_FILE} set RUNTIME = Runtime.nodejs22x, ${RERUN}.`);
      }
      if (config.Handler !== HANDLER) {
        problem(`the handler is "${config.Handler}": the bundle is index.mjs and exports "handler".`, `in ${STEP_FILE} set Handler: HANDLER ("${HANDLER}"), ${RERUN}.`);
      }
    });

    await t.item('TABLE_NAME names the order-events table', () => {
      const value = config.Environment?.Variables?.TABLE_NAME;
      if (value !== table.name) {
        problem(
          value ? `TABLE_NAME is ${value}, not ${table.name}.` : 'the function has no TABLE_NAME in its environment.',
          `in ${STEP_FILE} set Environment: { Variables: { TABLE_NAME: n.orderEventsTable } }, ${RERUN}.`,
        );
      }
    });

    const iam = iamClient();
    const roleName = config.Role!.slice(config.Role!.lastIndexOf('/') + 1);
    const role = await t.require(`its execution role ${roleName} exists, and only Lambda may assume it`, () => describeLambdaRole(iam, roleName, { step: 7, stepFile: STEP_FILE, rerun: RERUN }));

    await t.item(`the role lets the function write its logs (${BASIC_EXECUTION_POLICY})`, () => {
      const inline = LOG_ACTIONS.slice(1).every((action) =>
        role.inline.some(({ statement }) => statement.Effect === 'Allow' && list(statement.Action).some((a) => matches(a, action, true))),
      );
      if (!role.attached.some((p) => p.name === BASIC_EXECUTION_POLICY) && !inline) {
        problem(
          `${roleName} has no ${BASIC_EXECUTION_POLICY}: on AWS the function's logs are dropped, and a failed update leaves no trace to read.`,
          `in ${STEP_FILE} keep the AttachRolePolicy call (${managedPolicyArn(partitionOfArn(table.arn), `service-role/${BASIC_EXECUTION_POLICY}`)}), ${RERUN}.`,
        );
      }
    });

    const grantFix = `in ${STEP_FILE} the inline policy needs { Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: tableArn }, ${RERUN}.`;
    const mayPut = await t.item(`the role allows dynamodb:PutItem on ${n.orderEventsTable} (its ARN)`, () => {
      const granted = role.inline.some(
        ({ statement }) =>
          statement.Effect === 'Allow' &&
          !statement.NotAction &&
          !statement.NotResource &&
          list(statement.Action).some((a) => matches(a, 'dynamodb:PutItem', true)) &&
          list(statement.Resource).some((r) => matches(r, table.arn)),
      );
      if (!granted && !role.attached.some((p) => /DynamoDB.*FullAccess|AdministratorAccess|PowerUserAccess/.test(p.name))) {
        problem(`no policy of ${roleName} allows dynamodb:PutItem on ${table.arn}: every update fails with AccessDeniedException.`, grantFix);
      }
      return true;
    });

    const destination = await t.item('failed invocations go somewhere a person will see them (an on-failure destination)', () =>
      failureDestination(lambda, n.recorderFunction, config.DeadLetterConfig?.TargetArn, role, roleName),
    );

    await t.item('the role allows nothing more', () => {
      // Sending to the failures queue is part of the job, even while no destination names it.
      const failuresQueueArn = `arn:${partitionOfArn(table.arn)}:sqs:${resolveTarget().region}:${table.arn.split(':')[4]}:${n.recorderFailureQueue}`;
      const excess = broaderThanNeeded(role, table.arn, [failuresQueueArn, ...(destination ? [destination] : [])]);
      if (excess.length > 0) {
        problem(
          `${roleName} ${excess.join('; ')}. The recorder only ever adds items to one table; if it were tricked or had a bug, all of that would be at stake.`,
          `in ${STEP_FILE} grant exactly { Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: tableArn } (and SendMessage to the failures queue), ` +
            'and detach or delete the rest (`npm run teardown`, then the steps again, starts the role afresh).',
        );
      }
    });

    await t.item(`the log group ${n.recorderLogGroup} keeps logs for a limited time, and carries the tag`, async () => {
      const logs = logsClient();
      const { logGroups = [] } = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: n.recorderLogGroup }));
      const group = logGroups.find((g) => g.logGroupName === n.recorderLogGroup);
      if (!group) problem(`there is no log group ${n.recorderLogGroup}.`, 'run `npm run step:7`: it creates the log group before the function.');
      if (!group.retentionInDays) problem(`${n.recorderLogGroup} keeps logs forever (no retention).`, `in ${STEP_FILE} keep the PutRetentionPolicy call, ${RERUN}.`);
      const { tags = {} } = await logs.send(new ListTagsForResourceCommand({ resourceArn: group.logGroupArn ?? group.arn!.replace(/:\*$/, '') }));
      if (tags[TAG_KEY] !== n.prefix) problem(`${n.recorderLogGroup} has no tag ${TAG_KEY}=${n.prefix}.`, 'run `npm run step:7` again: it tags the log group.');
    });

    const permissionFix = `in ${STEP_FILE} the permission (AddPermission) needs Principal 'sns.amazonaws.com', Action 'lambda:InvokeFunction' and SourceArn ${topicArn} (topicArn), ${RERUN}.`;
    // Too broad (no SourceArn) is a ✘, but SNS does invoke the function: the behaviour below expects the probe.
    let permission: PermissionFound = { snsMayInvoke: false };
    await t.item(`${n.recorderFunction} lets SNS invoke it, from ${n.updatesTopic} only (AddPermission, SourceArn)`, async () => {
      permission = await readPermission(lambda, n.recorderFunction, topicArn, permissionFix);
      if (permission.problem) problem(permission.problem.wrong, permission.problem.fix);
    });
    const mayInvoke = permission.snsMayInvoke;

    const subscriptionFix = `in ${STEP_FILE} the subscription (Subscribe) needs TopicArn topicArn, Protocol 'lambda' and Endpoint functionArn, ${RERUN}.`;
    const subscriptionArn = await t.item(`${n.updatesTopic} has one confirmed lambda subscription for ${n.recorderFunction}`, () =>
      findSubscription(sns, topicArn, functionArn, subscriptionFix),
    );

    const failuresQueue = destination && (await queueOf(sqs, destination));
    if (subscriptionArn) {
      await t.item('updates SNS cannot deliver go to a dead-letter queue (the subscription\'s RedrivePolicy)', () =>
        verifySubscriptionDeadLetters(sns, sqs, subscriptionArn, topicArn),
      );
    }

    // Behaviour.
    t.behaviourFollows();
    const probes: string[] = [];
    const db = documentClient();
    try {
      await t.item('a probe update published to the topic is recorded, exactly once, with its ids and times', async () => {
        const orderId = newProbeOrderId();
        probes.push(orderId);
        const update = probeUpdate(orderId);
        const published = Date.now();
        const messageIds: string[] = [];
        const publish = async () => {
          const { MessageId } = await sns.send(
            new PublishCommand({ TopicArn: topicArn, Message: JSON.stringify(update), MessageAttributes: updateAttributes(update) }),
          );
          messageIds.push(MessageId!);
        };
        await publish();
        // Nothing can arrive without a subscription or a permission: no need to wait long for it.
        const expectNothing = !subscriptionArn || !mayInvoke;
        // A new subscription may miss the first updates for a moment (AWS): the same update again is
        // safe to send, since the recorder stores an order's status once.
        // (Not where delivery is instant: a late copy would only outlive the check's clean-up.)
        const republish = expectNothing || patience() === 'instant' ? undefined : publish;
        const outcome = await waitForRecord({ db, sqs, table, orderId, published, expectNothing, failuresQueue, logGroup: n.recorderLogGroup, republish });
        if (outcome.items.length === 0) {
          const diagnosis = explainNothingRecorded(outcome, { table, subscribed: !!subscriptionArn, mayInvoke: !!mayInvoke, mayPut: !!mayPut, waitedMs: Date.now() - published });
          const within = outcome.gaveUpAfterMs ? ` within ${outcome.gaveUpAfterMs / 1000} s` : '';
          problem(`nothing was recorded for the probe${within}: ${diagnosis.wrong}`, diagnosis.fix ?? (subscriptionArn ? permissionFix : subscriptionFix));
        }
        if (outcome.items.length > 1) {
          problem(
            `the probe was recorded ${outcome.items.length} times: ${outcome.items.map((i) => i.eventKey).join(', ')}.`,
            `one message, one item: more than one subscription delivers it more than once (see above), and ${HANDLER_FILE} must key items on the order's time and the status.`,
          );
        }
        const wrong = itemProblem(outcome.items[0], { orderId, messageIds, update });
        if (wrong) problem(`the recorded item is not what the lesson describes: ${wrong}.`, `compare ${HANDLER_FILE} with README.md, ${RERUN}.`);
      });

      await t.item('the same update delivered twice is stored once, even as two SNS messages (the function invoked twice)', async () => {
        const orderId = newProbeOrderId();
        probes.push(orderId);
        const update = probeUpdate(orderId);
        // The second time as a republished update looks: a new MessageId, a later SNS time.
        const delivery = (timestamp: Date) =>
          snsEvent({
            topicArn,
            subscriptionArn: subscriptionArn ?? undefined,
            messageId: randomUUID(),
            timestamp: timestamp.toISOString(),
            message: JSON.stringify(update),
            attributes: { [UPDATE_ATTRIBUTES.orderId]: orderId, [UPDATE_ATTRIBUTES.status]: update.status },
          });
        const now = Date.now();
        // Refused although the role's policy grants PutItem (the ✔ above): IAM may not have put the grant in force yet.
        const deniedButGranted = (r: { error?: string; log: string }) => !!mayPut && !!r.error && !!causeOf(`${r.error}\n${r.log}`, table)?.grant;
        const tried = await retryWhileGrantSettles(() => invoke(lambda, n.recorderFunction, delivery(new Date(now))), deniedButGranted);
        const first = tried.result;
        if (first.error && tried.stillDenied) {
          const cause = causeOf(`${first.error}\n${first.log}`, table)!;
          const notYet = grantNotInForceYet(`dynamodb:PutItem on ${table.name}`, tried.waitedMs);
          problem(`the first delivery failed: ${cause.wrong}; ${notYet.wrong}`, notYet.fix);
        }
        if (first.error) {
          const cause = causeOf(`${first.error}\n${first.log}`, table);
          problem(
            `the first delivery failed: ${cause?.wrong ?? clip(first.error)}.`,
            cause?.grant ? grantFix : cause?.tableName ? `in ${STEP_FILE} set TABLE_NAME: n.orderEventsTable, ${RERUN}.` : `the log says more: \`npm run check:step-7\` shows its tail; compare ${HANDLER_FILE} with README.md.`,
          );
        }
        const [stored] = await readTimeline(db, table.name, orderId, true);
        const second = await invoke(lambda, n.recorderFunction, delivery(new Date(now + 1000)));
        const items = await readTimeline(db, table.name, orderId, true);
        if (items.length > 1) {
          problem(
            `one update delivered twice made ${items.length} items: the second write did not see the first.`,
            `in ${HANDLER_FILE} make the PutItem conditional — ConditionExpression: 'attribute_not_exists(${EVENT_KEY})' — on a key that is the same ` +
              `for every delivery of an update (its order's time and its status, not the MessageId), then run \`npm run step:7\`.`,
          );
        }
        if (second.error) {
          problem(
            `the second delivery failed (${clip(second.error, 160)}): Lambda would retry it and then report it as a failure, although the update is stored.`,
            /ConditionalCheckFailed/.test(second.error)
              ? `in ${HANDLER_FILE} catch the error named ConditionalCheckFailedException and return: an update that is already stored is a success. Then run \`npm run step:7\`.`
              : `compare ${HANDLER_FILE} with README.md, then run \`npm run step:7\`.`,
          );
        }
        if (items.length === 0) {
          const refusedAsRepeat = `${first.log}\n${second.log}`.split('\n').find(saysAlreadyStored);
          if (refusedAsRepeat) {
            const inverted = conditionInverted(refusedAsRepeat);
            problem(`both deliveries succeeded, but nothing was stored: ${inverted.wrong}`, inverted.fix);
          }
          problem('both deliveries succeeded, but nothing was stored.', `${HANDLER_FILE} must PutItem into TABLE_NAME; compare it with README.md.`);
        }
        if (stored && items[0].eventId !== stored.eventId) {
          problem(
            `the second delivery replaced the stored item (eventId ${stored.eventId} became ${items[0].eventId}, recordedAt changed too): ` +
              'the write is not conditional, so every redelivery rewrites history (and a redelivery hours later would move recordedAt).',
            `in ${HANDLER_FILE} make the PutItem conditional: ConditionExpression: 'attribute_not_exists(${EVENT_KEY})', then run \`npm run step:7\`.`,
          );
        }
      });

      await t.item('a malformed update makes the function fail (to be retried, then kept), not vanish', async () => {
        const marker = newProbeOrderId();
        const event = snsEvent({ topicArn, messageId: randomUUID(), message: `not a status update (${marker})`, attributes: {} });
        const result = await invoke(lambda, n.recorderFunction, event);
        if (!result.error) {
          problem(
            'the function returned normally for a message that is not a status update: Lambda takes that as done, so the message is lost without a trace.',
            `in ${HANDLER_FILE} throw an error for a message that cannot be recorded; Lambda then retries it and sends it to the on-failure destination.`,
          );
        }
      });
    } finally {
      for (const orderId of probes) await deleteRecordsOf(db, table.name, orderId).catch(() => 0);
    }
  },
});

interface Table {
  name: string;
  arn: string;
}

async function findTable(name: string): Promise<Table> {
  try {
    const { Table } = await dynamoDbClient().send(new DescribeTableCommand({ TableName: name }));
    return { name, arn: Table!.TableArn! };
  } catch (err) {
    if (err instanceof TableNotFound) problem(`there is no table named ${name} on ${resolveTarget().label}.`, 'create it: `npm run step:6`.');
    throw err;
  }
}

async function findTopic(sns: SNSClient, name: string): Promise<string> {
  const arn = await arnInAccount('sns', name);
  try {
    await sns.send(new GetTopicAttributesCommand({ TopicArn: arn }));
    return arn;
  } catch (err) {
    if (err instanceof TopicNotFound) problem(`there is no topic named ${name} on ${resolveTarget().label}.`, 'create it: `npm run step:4`.');
    throw err;
  }
}

/** The ARN failed invocations go to (on-failure destination, or else dead-letter queue); fails when there is none. */
async function failureDestination(lambda: LambdaClient, functionName: string, deadLetterArn: string | undefined, role: LambdaRole, roleName: string): Promise<string> {
  const onFailure = await lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: functionName })).then(
    (out) => out.DestinationConfig?.OnFailure?.Destination,
    (err) => (err instanceof ResourceNotFoundException ? undefined : Promise.reject(err)),
  );
  const target = onFailure ?? deadLetterArn;
  if (!target) {
    problem(
      'the function has no on-failure destination (and no dead-letter queue): an update it cannot record is retried twice, then dropped, with a log line as the only trace.',
      `in ${STEP_FILE} keep the PutFunctionEventInvokeConfig call with DestinationConfig: { OnFailure: { Destination: the failures queue's ARN } }, ${RERUN}.`,
    );
  }
  const action = target.split(':')[2] === 'sns' ? 'sns:Publish' : 'sqs:SendMessage';
  const allowed = role.inline.some(
    ({ statement }) =>
      statement.Effect === 'Allow' && list(statement.Action).some((a) => matches(a, action, true)) && list(statement.Resource).some((r) => matches(r, target)),
  );
  if (!allowed) {
    problem(
      `failures go to ${target}, but ${roleName} may not ${action} there: Lambda sends them with the function's role, so they would be lost.`,
      `in ${STEP_FILE} keep the inline policy that allows ${action} on the failures queue's ARN, ${RERUN}.`,
    );
  }
  return target;
}

/** What the role grants beyond logs, PutItem on the table and sending to the failure destination, in words. */
function broaderThanNeeded(role: LambdaRole, tableArn: string, failureTargets: string[]): string[] {
  const excess: string[] = [];
  for (const policy of role.attached) {
    if (policy.name === BASIC_EXECUTION_POLICY) continue;
    excess.push(
      /FullAccess|AdministratorAccess|PowerUserAccess/.test(policy.name)
        ? `has ${policy.name} attached, which allows every action on every resource of its service(s) — deleting the table, reading every order`
        : `has ${policy.name} attached, which the recorder does not need`,
    );
  }
  for (const { policy, statement } of role.inline) {
    if (statement.Effect !== 'Allow') continue;
    const where = `(inline policy ${policy}${statement.Sid ? `, statement ${statement.Sid}` : ''})`;
    if (statement.NotAction || statement.NotResource) {
      excess.push(`allows everything except a list, with NotAction/NotResource ${where}`);
      continue;
    }
    const actions = list(statement.Action).map((a) => a.toLowerCase());
    if (actions.every((a) => LOG_ACTIONS.includes(a))) continue;
    const sending = actions.every((a) => a === 'sqs:sendmessage' || a === 'sns:publish');
    for (const action of actions) {
      if (hasWildcard(action)) excess.push(`allows the wildcard action ${action} ${where}`);
      else if (action !== 'dynamodb:putitem' && !sending) excess.push(`also allows ${action} ${where}`);
    }
    const allowed = sending ? failureTargets : [tableArn];
    for (const resource of list(statement.Resource)) {
      if (!allowed.includes(resource)) excess.push(`allows it on ${resource}, not only on ${allowed.join(' or ')} ${where}`);
    }
  }
  return excess;
}

interface PermissionFound {
  /** Whether SNS's deliveries from the topic are let through (a permission too broad lets them through too). */
  snsMayInvoke: boolean;
  /** What is wrong with the permission, and the fix; undefined when it is as the lesson makes it. */
  problem?: { wrong: string; fix: string };
}

/**
 * The function's resource policy, judged: it must let sns.amazonaws.com invoke it from this
 * topic, and only from it. A permission without SourceArn is not refused by SNS — it is too broad.
 */
async function readPermission(lambda: LambdaClient, functionName: string, topicArn: string, fix: string): Promise<PermissionFound> {
  const sources = await invokeSourceArns(lambda, functionName, 'sns.amazonaws.com');
  if (sources.length === 0) {
    const wrong = `${functionName} has no permission for sns.amazonaws.com: SNS may not invoke it, so nothing published to the topic is recorded.`;
    return { snsMayInvoke: false, problem: { wrong, fix: `add it: ${fix}` } };
  }
  if (sources.some((arns) => arns.length === 0)) {
    const wrong =
      'the permission for sns.amazonaws.com has no SourceArn. SNS does invoke the function — but so would any SNS topic, in any AWS account: ' +
      "whoever subscribes your function's ARN to a topic of theirs can have it write what they publish into your table, with your function's role " +
      '(the "confused deputy": the SNS service acting for someone it should not). Too broad, not refused.';
    return { snsMayInvoke: true, problem: { wrong, fix: `scope it: ${fix}` } };
  }
  const all = sources.flat();
  const broader = all.filter((arn) => arn !== topicArn && matches(arn, topicArn));
  if (broader.length > 0) {
    return { snsMayInvoke: true, problem: { wrong: `the permission's SourceArn ${broader[0]} lets more topics than ${topicArn} invoke the function.`, fix: `narrow it: ${fix}` } };
  }
  if (!all.includes(topicArn)) {
    return { snsMayInvoke: false, problem: { wrong: `the permission's SourceArn ${all.join(', ')} does not match the topic ${topicArn}: SNS's deliveries are refused.`, fix } };
  }
  return { snsMayInvoke: true };
}

/** The one confirmed lambda subscription of the topic for the function (its ARN); fails otherwise. */
async function findSubscription(sns: SNSClient, topicArn: string, functionArn: string, fix: string): Promise<string> {
  const ours: { arn: string; endpoint: string }[] = [];
  let NextToken: string | undefined;
  do {
    const page = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken }));
    for (const s of page.Subscriptions ?? []) {
      if (s.Protocol === 'lambda' && (s.Endpoint === functionArn || s.Endpoint?.startsWith(`${functionArn}:`))) ours.push({ arn: s.SubscriptionArn!, endpoint: s.Endpoint! });
    }
    NextToken = page.NextToken;
  } while (NextToken);
  if (ours.length === 0) problem(`the topic has no lambda subscription for ${functionArn}: updates published to it never reach the recorder.`, `subscribe it: ${fix}`);
  if (ours.length > 1) {
    const cli = `npm run aws -- sns unsubscribe --subscription-arn ${ours[1].arn}`;
    problem(
      `the topic has ${ours.length} subscriptions for the function (${ours.map((s) => s.endpoint).join(', ')}): every update invokes it ${ours.length} times (stored once, paid ${ours.length} times).`,
      `keep one: \`${cli}\`.`,
    );
  }
  const { Attributes = {} } = await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: ours[0].arn }));
  if (Attributes.PendingConfirmation === 'true') problem('the subscription is pending confirmation.', `lambda subscriptions are confirmed at once: ${fix}`);
  return ours[0].arn;
}

async function verifySubscriptionDeadLetters(sns: SNSClient, sqs: SQSClient, subscriptionArn: string, topicArn: string): Promise<void> {
  const { Attributes = {} } = await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: subscriptionArn }));
  const fix = `in ${STEP_FILE} keep the SetSubscriptionAttributes call (RedrivePolicy: the failures queue's ARN) and the queue's Policy, ${RERUN}.`;
  if (!Attributes.RedrivePolicy) {
    problem(
      'the subscription has no RedrivePolicy: an update SNS cannot deliver (the permission removed, the function deleted) is dropped, and no one learns of it.',
      fix,
    );
  }
  const target = (JSON.parse(Attributes.RedrivePolicy) as { deadLetterTargetArn?: string }).deadLetterTargetArn ?? '';
  const queue = await queueOf(sqs, target);
  if (!queue) problem(`the subscription's dead-letter queue ${target} does not exist.`, fix);
  const letsSnsIn = (policy: string | undefined) =>
    statementsOf(policy).some(
      (s) =>
        s.Effect === 'Allow' &&
        servicePrincipals(s).includes('sns.amazonaws.com') &&
        list(s.Action).some((a) => matches(a, 'sqs:SendMessage', true)) &&
        list(s.Resource).some((r) => matches(r, target)) &&
        [...conditionValues(s, 'ArnEquals', 'aws:SourceArn'), ...conditionValues(s, 'ArnLike', 'aws:SourceArn')].some((arn) => matches(arn, topicArn)),
    );
  // A queue's Policy takes up to a minute to show after SetQueueAttributes on AWS: wait for it there.
  const { settled } = await settle(
    async () => (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue, AttributeNames: ['Policy'] }))).Attributes?.Policy,
    letsSnsIn,
    within({ instant: 0, emulator: 5_000, aws: 60_000 }),
  );
  if (!settled) {
    problem(`the queue ${target} does not let sns.amazonaws.com send to it from ${topicArn} (its Policy): SNS's dead-letter copies would be refused.`, fix);
  }
}

/** The URL of an SQS queue given by ARN; undefined for anything else, or a queue that is gone. */
async function queueOf(sqs: SQSClient, arn: string): Promise<string | undefined> {
  const [, , service, , account, name] = arn.split(':');
  if (service !== 'sqs' || !name) return undefined;
  try {
    return (await sqs.send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }))).QueueUrl;
  } catch (err) {
    if (err instanceof QueueDoesNotExist) return undefined;
    throw err;
  }
}

interface RecordOutcome {
  items: OrderEvent[];
  failures: FailureFound[];
  logLines: string[];
  /** Set when the wait ended at its deadline, with nothing found. */
  gaveUpAfterMs?: number;
}

/**
 * Polls the table for the probe (nothing better exists for DynamoDB), with a short interval and a
 * deadline. Meanwhile it reads the function's log and the failures queue: as soon as either says
 * why the probe failed, it stops waiting. A failed invocation's record reaches the failures queue
 * after Lambda's retries; on the local cloud (seconds) the check waits for it and removes it.
 */
async function waitForRecord(p: {
  db: DynamoDBDocumentClient;
  sqs: SQSClient;
  table: Table;
  orderId: string;
  published: number;
  expectNothing: boolean;
  failuresQueue: string | undefined;
  logGroup: string;
  /** Sends the update again, for a subscription that may not receive yet: after 1 s, 2 s, 4 s, then every 5 s. */
  republish?: () => Promise<void>;
}): Promise<RecordOutcome> {
  const deadlineMs = p.expectNothing ? within({ instant: 1_000, emulator: 5_000, aws: 15_000 }) : within({ instant: 10_000, emulator: 30_000, aws: 60_000 });
  const logs = logsClient();
  const outcome: RecordOutcome = { items: [], failures: [], logLines: [] };
  let pause = 20;
  let rounds = 0;
  let failedAt: number | undefined;
  let republishAt = p.published + 1_000;
  let republishEvery = 1_000;
  for (;;) {
    outcome.items = await readTimeline(p.db, p.table.name, p.orderId, true);
    const elapsed = Date.now() - p.published;
    if (outcome.items.length > 0) return outcome;
    if (p.republish && failedAt === undefined && Date.now() >= republishAt) {
      await p.republish();
      republishEvery = Math.min(republishEvery * 2, 5_000);
      republishAt = Date.now() + republishEvery;
    }
    if (++rounds % 4 === 0 || elapsed >= deadlineMs) {
      if (p.failuresQueue) outcome.failures.push(...(await takeFailures(p.sqs, p.failuresQueue, p.orderId)));
      outcome.logLines = await logLinesAbout(logs, p.logGroup, p.orderId, p.published);
      if (outcome.failures.length > 0) return outcome;
      // "already recorded" with nothing in the table: the write's condition failed with nothing stored. Waiting will not change that.
      if (outcome.logLines.some(saysAlreadyStored)) {
        // A republished probe meets the first one's item: that is a record, not a refusal.
        outcome.items = await readTimeline(p.db, p.table.name, p.orderId, true);
        return outcome;
      }
      const failed = outcome.logLines.some((line) => causeOf(line, p.table) || /\tERROR\t/.test(line));
      if (failed) {
        failedAt ??= Date.now();
        // Locally the invocation record follows within seconds: wait for it, to show it (and remove it).
        if (patience() !== 'instant' || !p.failuresQueue || Date.now() - failedAt > 8_000) return outcome;
      }
    }
    if (elapsed >= deadlineMs && failedAt === undefined) return { ...outcome, gaveUpAfterMs: deadlineMs };
    await delay(pause);
    pause = Math.min(pause * 2, 250);
  }
}

function explainNothingRecorded(
  outcome: RecordOutcome,
  known: { table: Table; subscribed: boolean; mayInvoke: boolean; mayPut: boolean; waitedMs: number },
): { wrong: string; fix?: string } {
  const grantFix = `grant it: in ${STEP_FILE} the inline policy needs { Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: tableArn }, ${RERUN}.`;
  const failed = outcome.failures.find((f) => f.kind === 'failed');
  const cause = causeOf([failed?.error ?? '', ...outcome.logLines].join('\n'), known.table);
  const record = failed
    ? ` After ${failed.attempts ?? 3} attempts Lambda sent it to the failures queue (the check removed it).`
    : resolveTarget().realAws
      ? ' After its retries (minutes on AWS) Lambda will put the probe in the failures queue; its orderId starts with check-, and it is safe to delete.'
      : '';
  if (cause?.grant && known.mayPut) {
    // The role's policy grants PutItem on the table (the ✔ above), yet the call was refused.
    const notYet = grantNotInForceYet(`dynamodb:PutItem on ${known.table.name}`, known.waitedMs);
    return { wrong: `${cause.wrong}; ${notYet.wrong}${record}`, fix: notYet.fix };
  }
  if (cause) {
    return {
      wrong: `${cause.wrong} (from the function's ${failed ? 'failure destination' : 'log'}).${record}`,
      fix: cause.grant ? grantFix : cause.tableName ? `in ${STEP_FILE} set TABLE_NAME: n.orderEventsTable, ${RERUN}.` : `compare ${HANDLER_FILE} with README.md, ${RERUN}.`,
    };
  }
  const refusedAsRepeat = outcome.logLines.find(saysAlreadyStored);
  if (refusedAsRepeat) return conditionInverted(refusedAsRepeat);
  if (outcome.failures.some((f) => f.kind === 'undeliverable')) {
    return { wrong: 'SNS could not invoke the function: the update went to the failures queue as undeliverable (the check removed it).' };
  }
  if (!known.subscribed) return { wrong: 'the topic has no subscription for the function, so SNS never calls it.' };
  if (!known.mayInvoke) return { wrong: 'SNS may not invoke the function (no permission that matches the topic), so the delivery is refused.' };
  if (!known.mayPut) return { wrong: "the role may not PutItem on the table (see above), and the function's log does not show the attempt yet.", fix: grantFix };
  const line = outcome.logLines.find((l) => /\tERROR\t/.test(l));
  return {
    wrong: line ? `the function's log says: ${clip(line.split('\t').slice(3).join(' '))}` : "the function's log says nothing about it.",
    fix: `compare ${HANDLER_FILE} and ${STEP_FILE} with README.md, ${RERUN}; then check again.`,
  };
}

/** A log line saying the PutItem's condition failed: the handler's "already recorded", or the error itself. */
const saysAlreadyStored = (line: string): boolean => /already recorded|ConditionalCheckFailed/.test(line);

/**
 * The write's condition failed although the table holds nothing for the probe: the condition
 * refuses a first write. attribute_exists(…) instead of attribute_not_exists(…) does exactly that.
 */
function conditionInverted(logLine: string): { wrong: string; fix: string } {
  const said = clip(logLine.replace(/^\S+\t\S+\t(INFO|ERROR)\t/, '').trim(), 200);
  return {
    wrong:
      `the function's log says "${said}" for this very probe, yet the table holds no item for it: the PutItem's condition failed on the first write, ` +
      'when nothing was stored. The condition is inverted — attribute_exists(…) holds only when an item with this key is already stored, so every ' +
      'new update is turned away as a repeat, and nothing is ever recorded.',
    fix: `in ${HANDLER_FILE} write ConditionExpression: 'attribute_not_exists(${EVENT_KEY})' (it holds while no item has this key), then run \`npm run step:7\`.`,
  };
}

/** What is wrong with the probe's item, in words; undefined when it is as the lesson describes. */
function itemProblem(item: OrderEvent, expected: { orderId: string; messageIds: string[]; update: ReturnType<typeof probeUpdate> }): string | undefined {
  if (item.status !== PROBE_STATUS) return `status is ${JSON.stringify(item.status)}, not "${PROBE_STATUS}"`;
  if (!expected.messageIds.includes(item.messageId)) return `messageId is ${JSON.stringify(item.messageId)}, not the SNS MessageId ${expected.messageIds.join(' or ')}`;
  if (typeof item.eventId !== 'string' || !UUID.test(item.eventId)) return `eventId is ${JSON.stringify(item.eventId)}, not a UUID`;
  if (typeof item.eventTime !== 'string' || !ISO_TIME.test(item.eventTime)) return `eventTime is ${JSON.stringify(item.eventTime)}, not an ISO-8601 UTC time with milliseconds`;
  if (item.eventEpochMs !== Date.parse(item.eventTime)) return `eventEpochMs (${item.eventEpochMs}) is not eventTime in epoch milliseconds (${Date.parse(item.eventTime)})`;
  const orderTime = orderTimeOf(expected.update.times);
  if (item.eventKey !== eventKeyOf(orderTime, PROBE_STATUS)) return `eventKey is ${JSON.stringify(item.eventKey)}, not "${eventKeyOf(orderTime, PROBE_STATUS)}"`;
  if (item.timeBucket !== timeBucketOf(orderTime, expected.orderId)) return `timeBucket is ${JSON.stringify(item.timeBucket)}, not "${timeBucketOf(orderTime, expected.orderId)}"`;
  const times = (item.times ?? {}) as unknown as Record<string, unknown>;
  const missing = STAGES.filter((stage) => typeof times[stage] !== 'number');
  if (missing.length > 0) return `times lacks ${missing.join(', ')} (epoch milliseconds)`;
  for (const stage of ['acceptedAt', 'queuedAt', 'processedAt', 'publishedAt'] as const) {
    if (times[stage] !== expected.update.times[stage]) return `times.${stage} is ${String(times[stage])}, not the update's ${expected.update.times[stage]}`;
  }
  return undefined;
}

/** Invokes the function synchronously (as the check, not as SNS) with an event; its error, if any, and its log tail. */
async function invoke(lambda: LambdaClient, functionName: string, event: unknown): Promise<{ error?: string; log: string }> {
  const out = await lambda.send(new InvokeCommand({ FunctionName: functionName, LogType: 'Tail', Payload: Buffer.from(JSON.stringify(event)) }));
  const log = out.LogResult ? Buffer.from(out.LogResult, 'base64').toString('utf8') : '';
  if (!out.FunctionError) return { log };
  const text = Buffer.from(out.Payload ?? []).toString('utf8');
  try {
    const doc = JSON.parse(text) as { errorType?: string; errorMessage?: string };
    return { error: `${doc.errorType ?? out.FunctionError}: ${doc.errorMessage ?? text}`, log };
  } catch {
    return { error: `${out.FunctionError}: ${text}`, log };
  }
}

runCheckWhenExecuted(import.meta.url, check);
