/**
 * `npm run check:step-2`: the intake function, its execution role and its log group.
 * Configuration (describe calls): the function's settings, the role's trust and permissions —
 * enough to send to the orders queue, and nothing more. Behaviour: the function is invoked
 * directly with API Gateway-shaped events; bad requests must get 400 and queue nothing, a good
 * order 202 and one message on the queue. Every probe is deleted from the queue afterwards.
 */
import { randomUUID } from 'node:crypto';
import { DescribeLogGroupsCommand, ListTagsForResourceCommand } from '@aws-sdk/client-cloudwatch-logs';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, GetQueueUrlCommand, QueueDoesNotExist, type SQSClient } from '@aws-sdk/client-sqs';
import { iamClient, lambdaClient, logsClient, sqsClient } from '../lib/clients.ts';
import { resolveTarget } from '../lib/config.ts';
import { HANDLER } from '../lib/lambda.ts';
import { executeApiHost } from '../lib/api.ts';
import { managedPolicyArn, partitionOfArn } from '../lib/partition.ts';
import { TAG_KEY, names } from '../lib/names.ts';
import { defineCheck, problem, runCheckWhenExecuted } from './kit.ts';
import {
  answerOf,
  badAnswers,
  badRequests,
  clip,
  goodOrder,
  newProbeCustomer,
  queueBusy,
  queuedProbeProblem,
  readBackProbes,
  type Answer,
  type OrderRequest,
} from './orders.ts';
import { hasWildcard, list, matches } from './policy.ts';
import { describeLambdaRole, type LambdaRole } from './lambda-role.ts';
import { getFunction } from './lambda-function.ts';

const STEP_FILE = 'steps/02-intake-lambda/deploy.ts';
const RERUN = 'then run `npm run step:2` (it updates what exists)';
const RUNTIMES = ['nodejs22.x', 'nodejs24.x'];
/** API Gateway waits at most 29 s for an integration (REST APIs, by default). */
const API_GATEWAY_TIMEOUT_SECONDS = 29;
const BASIC_EXECUTION_POLICY = 'AWSLambdaBasicExecutionRole';
const LOG_ACTIONS = ['logs:createloggroup', 'logs:createlogstream', 'logs:putlogevents'];

export const check = defineCheck({
  step: 2,
  title: 'the intake function, its role and its log group',
  async run(t) {
    const n = names();
    const sqs = sqsClient();
    const lambda = lambdaClient();
    const iam = iamClient();

    const queue = await t.require(`the orders queue ${n.ordersQueue} exists (step 1)`, () => findQueue(sqs, n.ordersQueue));
    const fn = await t.exists(`the function ${n.intakeFunction} exists`, () => getFunction(lambda, n.intakeFunction, 2));
    const config = fn.Configuration!;

    await t.item(`it carries the tag ${TAG_KEY}=${n.prefix}`, () => {
      if (fn.Tags?.[TAG_KEY] !== n.prefix) {
        problem(
          `${n.intakeFunction} has no tag ${TAG_KEY}=${n.prefix}, so \`npm run teardown\` will never remove it.`,
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
        problem(
          `the function runs ${config.Runtime}: the workbook's code is built for Node.js 22 (target node22), and older runtimes are being retired.`,
          `in ${STEP_FILE} set RUNTIME = Runtime.nodejs22x, ${RERUN}.`,
        );
      }
      if (config.Handler !== HANDLER) {
        problem(
          `the handler is "${config.Handler}": the bundle is index.mjs and exports "handler", so Lambda would not find it.`,
          `in ${STEP_FILE} set Handler: HANDLER ("${HANDLER}"), ${RERUN}.`,
        );
      }
    });

    await t.item(`its timeout is shorter than API Gateway's ${API_GATEWAY_TIMEOUT_SECONDS} s`, () => {
      const timeout = config.Timeout ?? 3;
      if (timeout >= API_GATEWAY_TIMEOUT_SECONDS) {
        problem(
          `the timeout is ${timeout} s: API Gateway gives up after ${API_GATEWAY_TIMEOUT_SECONDS} s and answers 504, while the ` +
            'function runs on (and bills) for nothing; a stuck SendMessage should fail fast instead.',
          `in ${STEP_FILE} set TIMEOUT_SECONDS = 5, ${RERUN}.`,
        );
      }
    });

    await t.item(`QUEUE_URL names the orders queue`, () => {
      const value = config.Environment?.Variables?.QUEUE_URL;
      if (value !== queue.url) {
        problem(
          value ? `QUEUE_URL is ${value}, not the orders queue (${queue.url}).` : 'the function has no QUEUE_URL in its environment.',
          `in ${STEP_FILE} set Environment: { Variables: { QUEUE_URL: ordersQueueUrl } }, ${RERUN}.`,
        );
      }
    });

    const roleName = config.Role!.slice(config.Role!.lastIndexOf('/') + 1);
    const role = await t.require(`its execution role ${roleName} exists, and only Lambda may assume it`, () =>
      describeLambdaRole(iam, roleName, { step: 2, stepFile: STEP_FILE, rerun: RERUN }),
    );

    await t.item(`the role lets the function write its logs (${BASIC_EXECUTION_POLICY})`, () => {
      const attached = role.attached.some((p) => p.name === BASIC_EXECUTION_POLICY);
      const inline = LOG_ACTIONS.slice(1).every((action) =>
        role.inline.some(({ statement }) => statement.Effect === 'Allow' && list(statement.Action).some((a) => matches(a, action, true))),
      );
      if (!attached && !inline) {
        problem(
          `${roleName} has no ${BASIC_EXECUTION_POLICY} (nor logs:CreateLogStream and logs:PutLogEvents): on AWS the ` +
            "function's logs are silently dropped, and nobody can see why an order failed.",
          `in ${STEP_FILE} keep the AttachRolePolicy call with PolicyArn ${managedPolicyArn(partitionOfArn(config.Role!), `service-role/${BASIC_EXECUTION_POLICY}`)}, ${RERUN}.`,
        );
      }
    });

    const mayCall = await t.item(`the role allows sqs:SendMessage on ${n.ordersQueue} (its ARN)`, () => {
      const grants = role.inline.filter(
        ({ statement }) =>
          statement.Effect === 'Allow' &&
          !statement.NotAction &&
          !statement.NotResource &&
          list(statement.Action).some((a) => matches(a, 'sqs:SendMessage', true)) &&
          list(statement.Resource).some((r) => matches(r, queue.arn)),
      );
      if (grants.length === 0 && !role.attached.some((p) => /SQS.*FullAccess|AdministratorAccess|PowerUserAccess/.test(p.name))) {
        problem(
          `no policy of ${roleName} allows sqs:SendMessage on ${queue.arn}: every order would fail with AccessDenied.` +
            misnamedActions(role, queue.arn),
          `in ${STEP_FILE} fill the policy statement: { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: ordersQueueArn }, ${RERUN}.`,
        );
      }
      return true;
    });

    await t.item('the role allows nothing more (one action on one queue; no wildcards, no *FullAccess)', () => {
      const excess = broaderThanNeeded(role, queue.arn);
      if (excess.length > 0) {
        problem(
          `${roleName} ${excess.join('; ')}. If the function were tricked or had a bug, all of that would be at stake.`,
          `in ${STEP_FILE} grant exactly { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: ordersQueueArn }, ` +
            `and detach or delete the rest (\`npm run teardown\` then \`npm run step:2\` starts the role afresh).`,
        );
      }
    });

    await t.item(`the log group ${n.intakeLogGroup} keeps logs for a limited time, and carries the tag`, async () => {
      const logs = logsClient();
      const { logGroups = [] } = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: n.intakeLogGroup }));
      const group = logGroups.find((g) => g.logGroupName === n.intakeLogGroup);
      if (!group) problem(`there is no log group ${n.intakeLogGroup}.`, `run \`npm run step:2\`: it creates the log group before the function.`);
      if (!group.retentionInDays) {
        problem(
          `${n.intakeLogGroup} keeps logs forever (no retention): log storage is billed every month, for ever.`,
          `in ${STEP_FILE} keep the PutRetentionPolicy call (LOG_RETENTION_DAYS), ${RERUN}.`,
        );
      }
      const arn = group.logGroupArn ?? group.arn!.replace(/:\*$/, '');
      const { tags = {} } = await logs.send(new ListTagsForResourceCommand({ resourceArn: arn }));
      if (tags[TAG_KEY] !== n.prefix) {
        problem(`${n.intakeLogGroup} has no tag ${TAG_KEY}=${n.prefix}, so \`npm run teardown\` will never remove it.`, `run \`npm run step:2\` again: it tags the log group.`);
      }
    });

    // Behaviour: the function itself, invoked as API Gateway would.
    t.behaviourFollows();
    const badLabel = 'bad requests get 400 with the reason, and nothing is queued';
    const goodLabel = `a good order gets 202 {orderId} and lands on ${n.ordersQueue}, with its attributes`;
    const busy = await queueBusy(sqs, queue.url, queue.arn, n.ordersQueue, 2);
    if (busy?.kind === 'consumed') {
      t.deferred(badLabel, busy.why);
      t.deferred(goodLabel, busy.why);
      return;
    }
    if (busy) {
      t.skip(badLabel, busy.why, busy.todo);
      t.skip(goodLabel, busy.why, busy.todo);
      return;
    }
    const customerId = newProbeCustomer();
    const bad = badRequests(customerId);
    const badResults: Invocation[] = [];
    for (const request of bad) badResults.push(await invokeAsApiGateway(lambda, config.FunctionName!, request));
    const good = goodOrder(customerId, 'npm run check:step-2');
    const goodResult = await invokeAsApiGateway(lambda, config.FunctionName!, good);

    // Every 202 announced an order: the good one, and any bad one wrongly accepted.
    const announced = [goodResult, ...badResults]
      .map((r) => r.answer?.status === 202 && typeof r.answer.body?.orderId === 'string' ? r.answer.body.orderId : undefined)
      .filter((id): id is string => id !== undefined);
    const queued = await readBackProbes(sqs, queue.url, announced, customerId);

    await t.item(badLabel, () => {
      const failed = badResults.find((r) => !r.answer);
      if (failed) problem(`the function failed on a bad request: ${failed.failure}`, failureFix(failed));
      const wrong = badAnswers(bad, badResults.map((r) => r.answer!));
      if (wrong.length > 0) {
        problem(
          `the function answered ${wrong.map((w) => `${w.request.label} with ${w.got}`).join('; ')}.`,
          `see ${wrong[0].request.rule}, then run \`npm run step:2\` (it deploys the new code).`,
        );
      }
      if (queued.strays.length > 0) {
        problem(
          `a refused request still put ${queued.strays.length} message(s) on the queue (deleted now): ${clip(queued.strays[0].message.Body ?? '')}.`,
          `in steps/02-intake-lambda/handler.ts validate first, and call SendMessage only for a valid order; then run \`npm run step:2\`.`,
        );
      }
    });

    await t.item(goodLabel, () => {
      const answer = goodResult.answer;
      if (!answer) problem(`the function failed: ${goodResult.failure}`, failureFix(goodResult));
      if (answer.status === 500) {
        const cause = diagnose(goodResult.log, queue);
        // On AWS a policy change takes a few seconds to reach the function's credentials.
        const settling = mayCall && resolveTarget().realAws ? ' If you ran `npm run step:2` a moment ago, IAM may still be applying the grant: check again in a minute.' : '';
        problem(`the function answered 500 (${clip(answer.text, 120)}); ${cause.wrong}${settling}`, mayCall ? cause.fix : `${cause.fix} (see the ✘ above)`);
      }
      if (answer.status !== 202 || typeof answer.body?.orderId !== 'string') {
        problem(
          `a good order got ${answer.status} ${clip(answer.text)}, not 202 with an orderId.`,
          answer.status === 400
            ? `the rules in steps/02-intake-lambda/order.ts refuse a valid order; compare them with README.md, then run \`npm run step:2\`.`
            : `compare steps/02-intake-lambda/handler.ts with README.md, then run \`npm run step:2\`.`,
        );
      }
      const orderId = answer.body.orderId;
      const probe = queued.found.get(orderId);
      if (!probe) {
        problem(
          `the function answered 202 for order ${orderId}, but the order did not reach ${n.ordersQueue} within 10 s.`,
          `the function must send to QUEUE_URL (${queue.url}); check the QueueUrl in steps/02-intake-lambda/handler.ts, then run \`npm run step:2\`.`,
        );
      }
      const wrong = queuedProbeProblem(probe, good, orderId);
      if (wrong) problem(`the queued order is not what step 5 expects: ${wrong}.`, 'compare the SendMessage call in steps/02-intake-lambda/handler.ts with README.md, then run `npm run step:2`.');
    });
  },
});

interface Queue {
  url: string;
  arn: string;
}

async function findQueue(sqs: SQSClient, name: string): Promise<Queue> {
  try {
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    return { url: QueueUrl!, arn: Attributes!.QueueArn! };
  } catch (err) {
    if (err instanceof QueueDoesNotExist) problem(`there is no queue named ${name} on ${resolveTarget().label}.`, 'create it: `npm run step:1` (and `npm run check:step-1`).');
    throw err;
  }
}

/**
 * The SQS actions a statement on the queue names that are not SendMessage (a typo such as
 * sqs:Send): IAM takes an action name it does not know without a word, and it grants nothing.
 */
function misnamedActions(role: LambdaRole, queueArn: string): string {
  const named = role.inline
    .filter(({ statement }) => statement.Effect === 'Allow' && list(statement.Resource).some((r) => matches(r, queueArn)))
    .flatMap(({ statement }) => list(statement.Action))
    .filter((action) => /^sqs:/i.test(action) && !matches(action, 'sqs:SendMessage', true));
  if (named.length === 0) return '';
  return (
    ` The statement on the queue allows ${named.join(', ')}, which is not sqs:SendMessage: IAM accepts an action ` +
    'name it does not know without a word, and such a name grants nothing (the letter case does not matter, the spelling does).'
  );
}

/** What the role grants beyond logs and sqs:SendMessage on the one queue, in words. */
function broaderThanNeeded(role: LambdaRole, queueArn: string): string[] {
  const excess: string[] = [];
  for (const policy of role.attached) {
    if (policy.name === BASIC_EXECUTION_POLICY) continue;
    excess.push(
      /FullAccess|AdministratorAccess|PowerUserAccess/.test(policy.name)
        ? `has ${policy.name} attached, which allows every action on every resource of its service(s) — deleting queues, reading every order`
        : `has ${policy.name} attached, which the intake function does not need`,
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
    if (actions.every((a) => LOG_ACTIONS.includes(a))) continue; // logging, like AWSLambdaBasicExecutionRole
    for (const action of actions) {
      if (hasWildcard(action)) excess.push(`allows the wildcard action ${action} ${where}`);
      else if (action !== 'sqs:sendmessage') excess.push(`also allows ${action} ${where}`);
    }
    for (const resource of list(statement.Resource)) {
      if (resource !== queueArn) excess.push(`allows it on ${resource}, not only on the orders queue ${where}`);
    }
  }
  return excess;
}

interface Invocation {
  /** The proxy result, when the function answered. */
  answer?: Answer;
  /** Why it did not (an unhandled error, a timeout). */
  failure?: string;
  errorType?: string;
  /** The last 4 KB of the invocation's log. */
  log: string;
}

/** Invokes the function with the event API Gateway would send for POST /orders. */
async function invokeAsApiGateway(lambda: LambdaClient, functionName: string, request: OrderRequest): Promise<Invocation> {
  const out = await lambda.send(
    new InvokeCommand({ FunctionName: functionName, LogType: 'Tail', Payload: Buffer.from(JSON.stringify(proxyEvent(request))) }),
  );
  const log = out.LogResult ? Buffer.from(out.LogResult, 'base64').toString('utf8') : '';
  const text = Buffer.from(out.Payload ?? []).toString('utf8');
  if (out.FunctionError) {
    const error = answerOf(200, text).body ?? {};
    return { failure: `${String(error.errorType ?? out.FunctionError)}: ${clip(String(error.errorMessage ?? text))}`, errorType: String(error.errorType ?? ''), log };
  }
  const result = answerOf(200, text).body;
  if (!result || typeof result.statusCode !== 'number') {
    return { failure: `it returned ${clip(text)}, not a proxy result {statusCode, headers, body}`, log };
  }
  return { answer: answerOf(result.statusCode, typeof result.body === 'string' ? result.body : ''), log };
}

function failureFix(invocation: Invocation): string {
  if (/^Runtime\.(ImportModuleError|HandlerNotFound|MalformedHandlerName)/.test(invocation.errorType ?? '')) {
    return `Lambda cannot load the handler: keep Handler: HANDLER in ${STEP_FILE} and export "handler" from handler.ts, then run \`npm run step:2\`.`;
  }
  if (/Timedout/.test(invocation.errorType ?? '')) return `the function timed out: look at what it waits for in steps/02-intake-lambda/handler.ts.`;
  return 'the log (`npm run check:step-2` invokes with LogType Tail) shows where; compare steps/02-intake-lambda/handler.ts with README.md, then run `npm run step:2`.';
}

/** Why the function could not queue the order, from the error it logged. */
function diagnose(log: string, queue: Queue): { wrong: string; fix: string } {
  const denied = /not authorized to perform: (sqs:\w+) on resource: (\S+?)(?: because|\s|$)/i.exec(log);
  if (denied && denied[2] === queue.arn) {
    return {
      wrong: `its log says AccessDenied: the role may not ${denied[1].replace('sendmessage', 'SendMessage')} on ${queue.arn}.`,
      fix: `grant sqs:SendMessage on the orders queue's ARN: in ${STEP_FILE} fill the policy statement with { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: ordersQueueArn }, ${RERUN}.`,
    };
  }
  if (denied) {
    return {
      wrong: `its log says AccessDenied on ${denied[2]}: the function sends to that queue, not to the orders queue (${queue.arn}).`,
      fix: `QUEUE_URL is wrong: in ${STEP_FILE} set QUEUE_URL: ordersQueueUrl, ${RERUN}.`,
    };
  }
  if (/QUEUE_URL is not set/.test(log)) {
    return { wrong: 'its log says QUEUE_URL is not set.', fix: `in ${STEP_FILE} set Environment: { Variables: { QUEUE_URL: ordersQueueUrl } }, ${RERUN}.` };
  }
  if (/QueueDoesNotExist|NonExistentQueue|does not exist/i.test(log)) {
    return { wrong: 'its log says the queue it sends to does not exist.', fix: `QUEUE_URL is wrong: in ${STEP_FILE} set QUEUE_URL: ordersQueueUrl, ${RERUN}.` };
  }
  // The handler's own error is the last ERROR line (a runtime may log warnings at that level first).
  const line = log.split('\n').findLast((l) => /\tERROR\t/.test(l));
  return {
    wrong: line ? `its log says: ${clip(line.split('\t').slice(3).join(' '), 240)}` : 'its log does not say why.',
    fix: 'compare steps/02-intake-lambda/handler.ts with README.md, then run `npm run step:2`.',
  };
}

/** The event API Gateway sends an AWS_PROXY integration for POST /orders (the fields the handler reads, and the usual rest). */
function proxyEvent(request: OrderRequest) {
  const headers: Record<string, string> = { Host: 'check.invalid', 'User-Agent': 'npm run check:step-2' };
  if (request.contentType) headers['Content-Type'] = request.contentType;
  const { region } = resolveTarget();
  const now = new Date();
  return {
    resource: '/orders',
    path: '/orders',
    httpMethod: 'POST',
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      resourcePath: '/orders',
      httpMethod: 'POST',
      path: '/v1/orders',
      stage: 'v1',
      protocol: 'HTTP/1.1',
      requestId: randomUUID(),
      requestTime: now.toUTCString(),
      requestTimeEpoch: now.getTime(),
      domainName: executeApiHost('check', region),
      identity: { sourceIp: '127.0.0.1', userAgent: 'npm run check:step-2' },
    },
    body: request.body,
    isBase64Encoded: false,
  };
}

runCheckWhenExecuted(import.meta.url, check);
