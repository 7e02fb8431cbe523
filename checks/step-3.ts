/**
 * `npm run check:step-3`: the REST API in front of the intake function.
 * Configuration (describe calls): the API, POST /orders and its AWS_PROXY integration, the
 * deployed stage and its throttling, and the function's permission for API Gateway, scoped by
 * SourceArn. Behaviour, over HTTP as a shop would call it: 202 for a good order (read back from
 * the queue and deleted), 400 for a bad request of each error code (nothing queued), 403 for a
 * path the API does not have.
 */
import {
  GetIntegrationCommand,
  GetMethodCommand,
  GetResourcesCommand,
  GetRestApisCommand,
  GetStageCommand,
  NotFoundException,
  type APIGatewayClient,
  type RestApi,
} from '@aws-sdk/client-api-gateway';
import { GetFunctionCommand, ResourceNotFoundException, type LambdaClient } from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, GetQueueUrlCommand, QueueDoesNotExist } from '@aws-sdk/client-sqs';
import { executeApiArn, invokeUrl, lambdaIntegrationUri } from '../lib/api.ts';
import { apiGatewayClient, lambdaClient, sqsClient } from '../lib/clients.ts';
import { resolveTarget } from '../lib/config.ts';
import { identityOf } from '../lib/identity.ts';
import { errorName } from '../lib/errors.ts';
import { TAG_KEY, names } from '../lib/names.ts';
import { retry } from '../lib/wait.ts';
import { defineCheck, problem, runCheckWhenExecuted } from './kit.ts';
import { invokeSourceArns } from './invoke-permissions.ts';
import {
  answerOf,
  badAnswers,
  badRequestPerError,
  clip,
  goodOrder,
  newProbeCustomer,
  queueBusy,
  queuedProbeProblem,
  readBackProbes,
  type Answer,
  type OrderRequest,
} from './orders.ts';
import { matches } from './policy.ts';

const STEP_FILE = 'steps/03-api/deploy.ts';
const RERUN = 'then run `npm run step:3`';
const PATH = '/orders';

export const check = defineCheck({
  step: 3,
  title: 'the REST API: POST /orders',
  async run(t) {
    const n = names();
    const { region } = resolveTarget();
    const lambda = lambdaClient();
    const apigw = apiGatewayClient();

    const functionArn = await t.require(`the intake function ${n.intakeFunction} exists (step 2)`, () =>
      findFunction(lambda, n.intakeFunction),
    );
    const api = await t.exists(`the REST API ${n.api} exists, tagged ${TAG_KEY}=${n.prefix}`, () => findApi(apigw, n.api, n.prefix));
    const apiId = api.id!;
    const resourceId = await t.require(`it has POST ${PATH}, open to the shop (authorization NONE, no API key)`, () =>
      findOpenMethod(apigw, apiId),
    );

    await t.item(`POST ${PATH} passes each request to ${n.intakeFunction} (AWS_PROXY)`, async () => {
      const integration = await apigw.send(new GetIntegrationCommand({ restApiId: apiId, resourceId, httpMethod: 'POST' })).catch((err) => {
        if (err instanceof NotFoundException) problem(`POST ${PATH} has no integration: API Gateway has nowhere to send it.`, `${RERUN} (PutIntegration).`);
        throw err;
      });
      if (integration.type !== 'AWS_PROXY') {
        problem(
          `the integration type is ${integration.type}: only AWS_PROXY hands the function the whole request and returns its answer as the response.`,
          `in ${STEP_FILE} use type: 'AWS_PROXY' in PutIntegration, ${RERUN}.`,
        );
      }
      if (integration.httpMethod !== 'POST') {
        problem(
          `integrationHttpMethod is ${integration.httpMethod}: Lambda's Invoke API takes POST only, so every call would fail with 500.`,
          `in ${STEP_FILE} use integrationHttpMethod: 'POST', ${RERUN}.`,
        );
      }
      if (!integration.uri?.includes(`/functions/${functionArn}/invocations`)) {
        problem(
          `the integration calls ${integration.uri}, not ${n.intakeFunction}.`,
          `in ${STEP_FILE} use uri: ${lambdaIntegrationUri(functionArn)}, ${RERUN}.`,
        );
      }
    });

    await t.item(`the stage ${n.apiStage} is deployed, with throttling`, async () => {
      const stage = await apigw.send(new GetStageCommand({ restApiId: apiId, stageName: n.apiStage })).catch((err) => {
        if (err instanceof NotFoundException) {
          problem(`the API has no stage ${n.apiStage}: nothing is published, every call answers 403.`, `${RERUN} (CreateDeployment with stageName "${n.apiStage}").`);
        }
        throw err;
      });
      const throttle = stage.methodSettings?.['*/*'];
      if (!throttle?.throttlingRateLimit || !throttle.throttlingBurstLimit) {
        problem(
          `stage ${n.apiStage} has no throttling of its own: only the account's limit (10,000 requests/s) stands between a runaway client and your bill.`,
          `in ${STEP_FILE} keep the UpdateStage call that sets /*/*/throttling/rateLimit and burstLimit, ${RERUN}.`,
        );
      }
    });

    const { account: accountId, partition } = await identityOf();
    const presented = executeApiArn({ partition, region, accountId, apiId, stage: n.apiStage, method: 'POST', path: PATH });
    const recommended = executeApiArn({ partition, region, accountId, apiId, stage: '*', method: 'POST', path: PATH });
    const permission = await permissionVerdict(lambda, n.intakeFunction, { presented, recommended, apiId, accountId });
    await t.item(`${n.intakeFunction} lets API Gateway invoke it from this API's POST ${PATH} only (AddPermission, SourceArn)`, () => {
      if (permission) problem(permission.wrong, permission.fix);
    });

    // Behaviour: over HTTP, as a shop calls it.
    t.behaviourFollows();
    const sqs = sqsClient();
    const queue = await ordersQueue(n.ordersQueue);
    const url = invokeUrl(apiId, n.apiStage, PATH);

    await t.item('a path the API does not have answers 403 (Missing Authentication Token)', async () => {
      const answer = await call(invokeUrl(apiId, n.apiStage, '/no-such-path'), goodOrder('nobody', 'npm run check:step-3'));
      if (answer.status !== 403 || answer.body?.message !== 'Missing Authentication Token') {
        problem(
          `POST /no-such-path answered ${answer.status} ${clip(answer.text)}: only POST ${PATH} should exist.`,
          `remove other resources and methods from the API (or \`npm run teardown\` and run steps 1–3 again).`,
        );
      }
    });

    const badLabel = 'bad requests get 400 with the reason, and nothing is queued';
    const goodLabel = `a good order gets 202 {orderId} and lands on ${n.ordersQueue}`;
    if (!queue) {
      t.skip(badLabel, `there is no queue ${n.ordersQueue} to look at.`, 'create it: `npm run step:1`, then run `npm run check:step-3` again.');
      t.skip(goodLabel, `there is no queue ${n.ordersQueue} to look at.`, 'create it: `npm run step:1`, then run `npm run check:step-3` again.');
      return;
    }
    const busy = await queueBusy(sqs, queue.url, queue.arn, n.ordersQueue, 3);
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
    // One per error code: five POSTs in all, inside the stage's burst, so the check never meets its own throttle.
    const bad = badRequestPerError(customerId);
    const badAnswersGot: Answer[] = [];
    for (const request of bad) badAnswersGot.push(await call(url, request));
    const good = goodOrder(customerId, 'npm run check:step-3');
    const goodAnswer = await call(url, good);
    const announced = [goodAnswer, ...badAnswersGot]
      .map((a) => (a.status === 202 && typeof a.body?.orderId === 'string' ? a.body.orderId : undefined))
      .filter((id): id is string => id !== undefined);
    const queued = await readBackProbes(sqs, queue.url, announced, customerId);

    await t.item(badLabel, () => {
      const refusedByGateway = badAnswersGot.find((a) => a.status >= 500 || a.status === 403);
      if (refusedByGateway) problem(...explainGatewayAnswer(refusedByGateway, permission, n.intakeFunction, recommended));
      const wrong = badAnswers(bad, badAnswersGot);
      if (wrong.length > 0) {
        problem(
          `POST ${PATH} answered ${wrong.map((w) => `${w.request.label} with ${w.got}`).join('; ')}.`,
          `the intake function decides: see ${wrong[0].request.rule}, run \`npm run step:2\`, and \`npm run check:step-2\`.`,
        );
      }
      if (queued.strays.length > 0) {
        problem(
          `a refused request still put ${queued.strays.length} message(s) on the queue (deleted now).`,
          'the intake function must validate before SendMessage: `npm run check:step-2` shows more.',
        );
      }
    });

    await t.item(goodLabel, () => {
      if (goodAnswer.status !== 202) {
        if (goodAnswer.status >= 500 || goodAnswer.status === 403 || goodAnswer.status === 429) {
          problem(...explainGatewayAnswer(goodAnswer, permission, n.intakeFunction, recommended));
        }
        problem(`a good order got ${goodAnswer.status} ${clip(goodAnswer.text)}, not 202.`, 'the intake function decides: `npm run check:step-2` shows why.');
      }
      const orderId = String(goodAnswer.body?.orderId ?? '');
      const probe = queued.found.get(orderId);
      if (!orderId || !probe) {
        problem(
          `POST ${PATH} answered 202 ${clip(goodAnswer.text)}, but the order did not reach ${n.ordersQueue} within 10 s.`,
          '`npm run check:step-2` checks where the intake function sends orders.',
        );
      }
      const wrong = queuedProbeProblem(probe, good, orderId);
      if (wrong) problem(`the queued order is not what step 5 expects: ${wrong}.`, '`npm run check:step-2` shows more.');
    });
  },
});

async function findFunction(lambda: LambdaClient, name: string): Promise<string> {
  try {
    return (await lambda.send(new GetFunctionCommand({ FunctionName: name }))).Configuration!.FunctionArn!;
  } catch (err) {
    if (err instanceof ResourceNotFoundException) problem(`there is no function named ${name} on ${resolveTarget().label}.`, 'create it: `npm run step:2` (and `npm run check:step-2`).');
    throw err;
  }
}

/** The newest API with this name and our tag (as the step picks it). */
async function findApi(apigw: APIGatewayClient, name: string, prefix: string): Promise<RestApi> {
  const ours: RestApi[] = [];
  let position: string | undefined;
  do {
    const page = await apigw.send(new GetRestApisCommand({ limit: 500, position }));
    ours.push(...(page.items ?? []).filter((api) => api.name === name));
    position = page.position;
  } while (position);
  const tagged = ours.filter((api) => api.tags?.[TAG_KEY] === prefix);
  if (tagged.length === 0) {
    problem(
      ours.length
        ? `there is a REST API named ${name} (${ours.map((a) => a.id).join(', ')}), but without the tag ${TAG_KEY}=${prefix}: the workbook did not make it.`
        : `there is no REST API named ${name} on ${resolveTarget().label}.`,
      'create it: `npm run step:3`.',
    );
  }
  return tagged.sort((a, b) => (b.createdDate?.getTime() ?? 0) - (a.createdDate?.getTime() ?? 0))[0];
}

async function findOpenMethod(apigw: APIGatewayClient, restApiId: string): Promise<string> {
  const { items = [] } = await apigw.send(new GetResourcesCommand({ restApiId, limit: 500 }));
  const resource = items.find((r) => r.path === PATH);
  if (!resource) problem(`the API has no ${PATH} resource.`, `${RERUN} (CreateResource with pathPart "orders").`);
  const method = await apigw.send(new GetMethodCommand({ restApiId, resourceId: resource.id, httpMethod: 'POST' })).catch((err) => {
    if (err instanceof NotFoundException) problem(`${PATH} has no POST method.`, `${RERUN} (PutMethod with httpMethod "POST").`);
    throw err;
  });
  if (method.authorizationType !== 'NONE' || method.apiKeyRequired) {
    problem(
      `POST ${PATH} requires ${method.apiKeyRequired ? 'an API key' : `${method.authorizationType} authorization`}: the shop's customers are not AWS users, so every order would be refused with 403.`,
      `in ${STEP_FILE} use authorizationType: 'NONE' in PutMethod, ${RERUN} (it makes the method again).`,
    );
  }
  return resource.id!;
}

async function ordersQueue(name: string): Promise<{ url: string; arn: string } | undefined> {
  const sqs = sqsClient();
  try {
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    return { url: QueueUrl!, arn: Attributes!.QueueArn! };
  } catch (err) {
    if (err instanceof QueueDoesNotExist) return undefined;
    throw err;
  }
}

type Verdict = { wrong: string; fix: string } | undefined;

/**
 * Whether the function's resource policy lets API Gateway invoke it for POST /orders of this API
 * (the ARN it presents), and for nothing else; undefined when it does exactly that.
 */
async function permissionVerdict(
  lambda: LambdaClient,
  functionName: string,
  arns: { presented: string; recommended: string; apiId: string; accountId: string },
): Promise<Verdict> {
  const fix = (why: string) =>
    `${why}in ${STEP_FILE} the AddPermission call needs SourceArn ${arns.recommended} ` +
    '(`arn:PARTITION:execute-api:REGION:ACCOUNT:API_ID/*/POST/orders`: executeApiArn in lib/api.ts builds it), then run `npm run step:3` (it replaces the statement).';
  const sourceArns = await invokeSourceArns(lambda, functionName, 'apigateway.amazonaws.com');
  if (sourceArns.length === 0) {
    return {
      wrong: `${functionName} has no permission for apigateway.amazonaws.com: API Gateway may not invoke it, so POST ${PATH} answers 500 Internal server error.`,
      fix: fix('add it with AddPermission (Principal apigateway.amazonaws.com, Action lambda:InvokeFunction): '),
    };
  }
  if (sourceArns.some((arnsOfStatement) => arnsOfStatement.length === 0)) {
    return {
      wrong: `${functionName}'s permission for API Gateway has no SourceArn: any API in any AWS account could invoke the function.`,
      fix: fix('scope it: '),
    };
  }
  const patterns = sourceArns.flat();
  if (!patterns.some((p) => matches(p, arns.presented))) {
    return {
      wrong:
        `the permission's SourceArn ${patterns.join(', ')} does not match ${arns.presented}, the ARN API Gateway presents ` +
        `for POST ${PATH} in this API: the invoke is refused, and POST ${PATH} answers 500 Internal server error.` +
        (patterns.map((p) => mismatch(p, arns.presented)).find(Boolean) ?? ''),
      fix: fix(''),
    };
  }
  // Broader than needed: the same pattern would also let another API, method or path in.
  const others = [
    arns.presented.replace(`:${arns.apiId}/`, ':otherapi00/'),
    arns.presented.replace('/POST/', '/GET/'),
    arns.presented.replace(`/POST${PATH}`, '/POST/admin'),
    arns.presented.replace(`:${arns.accountId}:`, ':111122223333:'),
  ];
  const tooBroad = patterns.find((p) => others.some((other) => matches(p, other)));
  if (tooBroad) {
    return {
      wrong: `the permission's SourceArn ${tooBroad} lets more than this API's POST ${PATH} invoke the function (other APIs, methods or paths).`,
      fix: fix('narrow it: '),
    };
  }
  return undefined;
}

/**
 * Which part of a SourceArn keeps it from matching the ARN API Gateway presents
 * (arn:PARTITION:execute-api:REGION:ACCOUNT:API_ID/STAGE/METHOD/PATH), in a sentence; '' if none stands out.
 */
export function mismatch(pattern: string, presented: string): string {
  const got = pattern.split(':');
  const want = presented.split(':');
  if (got[0] !== 'arn' || got.length < 6) return ` ${JSON.stringify(pattern)} is not an ARN.`;
  if (got[2] !== 'execute-api') {
    const own = got[2] === 'lambda' ? " (it is a function's ARN: the permission's SourceArn names the caller, not the function)" : '';
    return ` It names the service ${got[2]}${own}; API Gateway presents an execute-api ARN.`;
  }
  const fields = ['', 'partition', '', 'region', 'account'];
  for (const index of [1, 3, 4]) {
    if (!matches(got[index], want[index])) return ` Its ${fields[index]} is ${JSON.stringify(got[index])}, not ${want[index]}.`;
  }
  const [apiId, stage, method, ...path] = got.slice(5).join(':').split('/');
  const [wantApi, , wantMethod, ...wantPath] = want.slice(5).join(':').split('/');
  if (!matches(apiId, wantApi)) return ` Its API id is ${apiId}, not this API's ${wantApi}.`;
  if (stage !== undefined && matches(stage, wantMethod) && !matches(stage, '*')) {
    return ' It has no stage part: after the API id come the stage (* for any stage), the method, then the path.';
  }
  if (method === undefined) return ` It stops before the method and path: they follow the stage (…/${stage ?? '*'}/${wantMethod}/${wantPath.join('/')}).`;
  if (method !== wantMethod && method.toUpperCase().startsWith(wantMethod) && method.length > wantMethod.length) {
    return ` Its method part is ${method}: the path needs its leading slash (/${wantPath.join('/')}).`;
  }
  if (!matches(method, wantMethod)) return ` Its method is ${method}, not ${wantMethod}.`;
  if (path.length > 0 && !matches(path.join('/'), wantPath.join('/'))) return ` Its path is /${path.join('/')}, not /${wantPath.join('/')}.`;
  return '';
}

/** What API Gateway's own answer (403, 429, 500, 502, 504) means here, and what to do. */
function explainGatewayAnswer(answer: Answer, permission: Verdict, functionName: string, recommended: string): [string, string] {
  const got = `POST ${PATH} answered ${answer.status} ${clip(answer.text, 80)}`;
  if (answer.status === 500 && permission) {
    return [
      `${got}: API Gateway may not invoke ${functionName} (the permission ✘ above says why).`,
      `give it the permission the ✘ above asks for (AddPermission with SourceArn ${recommended}), then run \`npm run step:3\`.`,
    ];
  }
  if (answer.status === 500) {
    return [`${got}: API Gateway could not invoke ${functionName}.`, `look at the integration above, and at ${whereToLook500(functionName)}; then run \`npm run step:3\` again.`];
  }
  if (answer.status === 502) return [`${got}: the function failed or returned something that is not a proxy result.`, '`npm run check:step-2` shows why.'];
  if (answer.status === 504) return [`${got}: the function did not answer within API Gateway's 29 s.`, '`npm run check:step-2` shows why.'];
  if (answer.status === 429) return [`${got}: the stage's throttling refused it.`, 'wait a few seconds and check again; the stage allows a few requests a second (RATE_LIMIT in steps/03-api/deploy.ts).'];
  return [
    `${got}: the stage does not serve POST ${PATH} (a change not deployed yet?).`,
    `${RERUN}: it makes a new deployment (CreateDeployment) into the stage.`,
  ];
}

/**
 * Where a learner sees why API Gateway answered 500: the local cloud's live log; elsewhere the
 * function's log and, on AWS, the stage's execution log (off unless turned on: it needs an
 * account-wide CloudWatch role for API Gateway).
 */
export function whereToLook500(functionName: string, target = resolveTarget()): string {
  if (target.kind === 'local') return "the local cloud's live log (`npm run local`)";
  const tail = `\`npm run aws -- logs tail /aws/lambda/${functionName} --since 10m\``;
  if (!target.realAws) return `the function's log (${tail}) and the emulator's own log`;
  return (
    `the function's log (${tail}); if the function logged nothing, API Gateway's execution log for the stage says why it ` +
    "could not call it (turn it on in the stage's Logs and tracing settings; it needs the account's CloudWatch role for API Gateway)"
  );
}

/** POSTs a request to the API, as a shop's back end would. On AWS a new API's host name may take a minute to resolve. */
async function call(url: string, request: OrderRequest): Promise<Answer> {
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
    waitingMessage: (err) =>
      errorName(err) === 'Throttled'
        ? 'The stage\'s throttling (step 3) answered 429 Too Many Requests: it lets a few requests a second through. Sending again…'
        : 'The API\'s host name does not resolve yet (new APIs take up to a minute). Waiting…',
    deadlineMs: 90_000,
    // A throttled request gets through once the stage's bucket refills (1/rate s); a new host name takes longer.
    initialDelayMs: 200,
    maxDelayMs: 10_000,
  });
}

runCheckWhenExecuted(import.meta.url, check);
