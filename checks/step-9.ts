/**
 * `npm run check:step-9`: order status for customers, GET /orders/{orderId}.
 * Configuration (describe calls): the status function and its settings; its role — Query on the
 * order-events table and nothing more; its log group; the resource /orders/{orderId} with an open
 * GET, proxied to the function; the function's permission for API Gateway, scoped to this API's
 * GET /orders/*. Behaviour, over HTTP as a customer calls it: a malformed id answers 400, an
 * unknown one 404; an order sent through POST /orders names its status URL (Location), and that
 * URL answers the order's timeline once the pipeline has recorded it. The probe's records are
 * deleted afterwards.
 */
import { DescribeLogGroupsCommand, ListTagsForResourceCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeTableCommand, ResourceNotFoundException as TableNotFound } from '@aws-sdk/client-dynamodb';
import {
  GetIntegrationCommand,
  GetMethodCommand,
  GetResourcesCommand,
  GetRestApisCommand,
  NotFoundException,
  type APIGatewayClient,
} from '@aws-sdk/client-api-gateway';
import { ResourceNotFoundException, type LambdaClient } from '@aws-sdk/client-lambda';
import { setTimeout as delay } from 'node:timers/promises';
import { executeApiArn, invokeUrl, lambdaIntegrationUri } from '../lib/api.ts';
import { apiGatewayClient, documentClient, dynamoDbClient, iamClient, lambdaClient, logsClient } from '../lib/clients.ts';
import { resolveTarget } from '../lib/config.ts';
import { errorName } from '../lib/errors.ts';
import { identityOf } from '../lib/identity.ts';
import { TAG_KEY, names } from '../lib/names.ts';
import { readTimeline } from '../lib/order-events.ts';
import { ORDER_CONFIRMED } from '../lib/pipeline.ts';
import { defineCheck, problem, runCheckWhenExecuted } from './kit.ts';
import { invokeSourceArns } from './invoke-permissions.ts';
import { getFunction } from './lambda-function.ts';
import { describeLambdaRole, type LambdaRole } from './lambda-role.ts';
import { answerOf, clip, goodOrder, newProbeCustomer, type Answer } from './orders.ts';
import { within } from './patience.ts';
import { hasWildcard, list, matches } from './policy.ts';
import { removeProbeRecords } from './probe-records.ts';
import { logLinesAbout } from './recorder-probes.ts';
import { mismatch, whereToLook500 } from './step-3.ts';

const STEP_FILE = 'steps/09-order-status/deploy.ts';
const HANDLER_FILE = 'steps/09-order-status/handler.ts';
const RERUN = 'then run `npm run step:9`';
const PARENT = '/orders';
const ROUTE = '/orders/{orderId}';
const BASIC_EXECUTION_POLICY = 'AWSLambdaBasicExecutionRole';
const LOG_ACTIONS = ['logs:createloggroup', 'logs:createlogstream', 'logs:putlogevents'];
const RUNTIMES = ['nodejs22.x', 'nodejs24.x'];
/** An order id that was never issued (intake gives random UUIDs), for the 404 and for the presented ARN. */
const UNKNOWN_ORDER = '00000000-0000-4000-8000-000000000000';
const QUERY_FIX = `in ${HANDLER_FILE} read with a QueryCommand whose KeyConditionExpression is the partition key equal to :orderId ('orderId = :orderId'), then run \`npm run step:9\``;
const PATH_PART_FIX = `in ${STEP_FILE} the resource's path part is '{orderId}' (the name the handler reads, in braces), ${RERUN} (it replaces the old resource).`;

export const check = defineCheck({
  step: 9,
  title: 'order status: GET /orders/{orderId}',
  async run(t) {
    const n = names();
    const { region } = resolveTarget();
    const lambda = lambdaClient();
    const apigw = apiGatewayClient();

    const table = await t.require(`the table ${n.orderEventsTable} exists (step 6)`, () => findTable(n.orderEventsTable));
    const apiId = await t.require(`the REST API ${n.api} exists with POST ${PARENT} (step 3)`, () => findApi(apigw, n.api, n.prefix));

    const fn = await t.exists(`the function ${n.statusFunction} exists, tagged ${TAG_KEY}=${n.prefix}, Active, on Node.js 22, with TABLE_NAME`, async () => {
      const found = await getFunction(lambda, n.statusFunction, 9);
      const config = found.Configuration!;
      if (found.Tags?.[TAG_KEY] !== n.prefix) problem(`${n.statusFunction} has no tag ${TAG_KEY}=${n.prefix}: the workbook did not make it.`, 'run `npm run step:9` (it refuses to change a function it did not make).');
      if (config.State !== 'Active') problem(`the function is ${config.State}${config.StateReason ? ` (${config.StateReason})` : ''}.`, `wait a moment and check again; if it stays so, run \`npm run step:9\`.`);
      if (!RUNTIMES.includes(config.Runtime ?? '')) problem(`the function runs ${config.Runtime}: the workbook's code is built for Node.js 22.`, `in ${STEP_FILE} set RUNTIME = Runtime.nodejs22x, ${RERUN}.`);
      const tableName = config.Environment?.Variables?.TABLE_NAME;
      if (tableName !== table.name) {
        problem(tableName ? `TABLE_NAME is ${tableName}, not ${table.name}.` : 'the function has no TABLE_NAME in its environment.', `in ${STEP_FILE} set Environment: { Variables: { TABLE_NAME: n.orderEventsTable } }, ${RERUN}.`);
      }
      return config;
    });

    const iam = iamClient();
    const roleName = fn.Role!.slice(fn.Role!.lastIndexOf('/') + 1);
    const role = await t.require(`its execution role ${roleName} exists, and only Lambda may assume it`, () =>
      describeLambdaRole(iam, roleName, { step: 9, stepFile: STEP_FILE, rerun: RERUN }),
    );
    await t.item(`the role lets the function write its logs (${BASIC_EXECUTION_POLICY})`, () => {
      if (!role.attached.some((p) => p.name === BASIC_EXECUTION_POLICY)) {
        problem(`${roleName} has no ${BASIC_EXECUTION_POLICY}: on AWS the function's logs are dropped, and a failed read leaves no trace.`, `in ${STEP_FILE} keep the AttachRolePolicy call, ${RERUN}.`);
      }
    });
    const grantFix = `in ${STEP_FILE} the inline policy is { Effect: 'Allow', Action: 'dynamodb:Query', Resource: tableArn }, ${RERUN}.`;
    await t.item(`the role allows dynamodb:Query on ${n.orderEventsTable} (its ARN)`, () => {
      const granted = role.inline.some(
        ({ statement }) =>
          statement.Effect === 'Allow' &&
          !statement.NotAction &&
          !statement.NotResource &&
          list(statement.Action).some((a) => matches(a, 'dynamodb:Query', true)) &&
          list(statement.Resource).some((r) => matches(r, table.arn)),
      );
      if (!granted) problem(`no inline policy of ${roleName} allows dynamodb:Query on ${table.arn}: every lookup fails with AccessDeniedException.`, grantFix);
    });
    await t.item('the role allows nothing more (no Scan, no GetItem, no writes, no other table)', () => {
      const excess = broaderThanQuery(role, table.arn);
      if (excess.length > 0) {
        problem(
          `${roleName} ${excess.join('; ')}. The status function answers anyone on the internet: it should be able to read one order at a time, and nothing else.`,
          `${grantFix.replace(`, ${RERUN}.`, '')}, and detach or delete the rest (\`npm run teardown\`, then the steps again, starts the role afresh).`,
        );
      }
    });
    await t.item(`the log group ${n.statusLogGroup} keeps logs for a limited time, and carries the tag`, async () => {
      const logs = logsClient();
      const { logGroups = [] } = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: n.statusLogGroup }));
      const group = logGroups.find((g) => g.logGroupName === n.statusLogGroup);
      if (!group) problem(`there is no log group ${n.statusLogGroup}.`, 'run `npm run step:9`: it creates the log group before the function.');
      if (!group.retentionInDays) problem(`${n.statusLogGroup} keeps logs forever (no retention).`, `in ${STEP_FILE} keep the PutRetentionPolicy call, ${RERUN}.`);
      const { tags = {} } = await logs.send(new ListTagsForResourceCommand({ resourceArn: group.logGroupArn ?? group.arn!.replace(/:\*$/, '') }));
      if (tags[TAG_KEY] !== n.prefix) problem(`${n.statusLogGroup} has no tag ${TAG_KEY}=${n.prefix}.`, 'run `npm run step:9` again: it tags the log group.');
    });

    // The route.
    const route = await t.item(`the API has the resource ${ROUTE}, with a GET open to customers (authorization NONE)`, () => findRoute(apigw, apiId));
    if (route) {
      await t.item(`GET ${ROUTE} passes each request to ${n.statusFunction} (AWS_PROXY)`, async () => {
        const integration = await apigw.send(new GetIntegrationCommand({ restApiId: apiId, resourceId: route.id, httpMethod: 'GET' })).catch((err) => {
          if (err instanceof NotFoundException) problem(`GET ${ROUTE} has no integration: API Gateway has nowhere to send it.`, `${RERUN} (PutIntegration).`);
          throw err;
        });
        if (integration.type !== 'AWS_PROXY') problem(`the integration type is ${integration.type}: only AWS_PROXY hands the function the whole request, path parameters included.`, `in ${STEP_FILE} use type: 'AWS_PROXY', ${RERUN}.`);
        if (integration.httpMethod !== 'POST') {
          problem(`integrationHttpMethod is ${integration.httpMethod}: Lambda's Invoke API takes POST only, whatever the client's method, so every GET fails with 500.`, `in ${STEP_FILE} use integrationHttpMethod: 'POST', ${RERUN}.`);
        }
        if (!integration.uri?.includes(`/functions/${fn.FunctionArn}/invocations`)) {
          problem(`the integration calls ${integration.uri}, not ${n.statusFunction}.`, `in ${STEP_FILE} use uri: ${lambdaIntegrationUri(fn.FunctionArn!)}, ${RERUN}.`);
        }
      });
    }

    const { account: accountId, partition } = await identityOf();
    const arns = {
      presented: executeApiArn({ partition, region, accountId, apiId, stage: n.apiStage, method: 'GET', path: `${PARENT}/${UNKNOWN_ORDER}` }),
      recommended: executeApiArn({ partition, region, accountId, apiId, stage: '*', method: 'GET', path: `${PARENT}/*` }),
      apiId,
      accountId,
    };
    const permission = await permissionVerdict(lambda, n.statusFunction, arns);
    await t.item(`${n.statusFunction} lets API Gateway invoke it from this API's GET ${PARENT}/* only (AddPermission, SourceArn)`, () => {
      if (permission) problem(permission.wrong, permission.fix);
    });

    // Behaviour: over HTTP, as a customer calls it.
    t.behaviourFollows();
    const explain = (answer: Answer, since: number) => explainAnswer(answer, { functionName: n.statusFunction, logGroup: n.statusLogGroup, permission, route, since });
    const statusUrl = (id: string) => invokeUrl(apiId, n.apiStage, `${PARENT}/${id}`);

    await t.item('a malformed order id answers 400 (InvalidOrderId), for each kind of garbage', async () => {
      for (const garbage of ['not-an-order', '%27%20OR%201%3D1', '__proto__', 'x'.repeat(300)]) {
        const sent = Date.now();
        const answer = await get(statusUrl(garbage));
        if (answer.status === 400 && answer.body?.error === 'InvalidOrderId' && typeof answer.body.message === 'string') continue;
        if (answer.status === 400 || answer.status === 404 || answer.status === 200) {
          problem(
            `GET ${PARENT}/${clip(garbage, 20)} answered ${answer.status} ${clip(answer.text)}: an id that is not a UUID can never be an order's, and the customer should hear so (400).`,
            `in ${HANDLER_FILE} keep the ORDER_ID test that answers 400 {error: "InvalidOrderId"} before the Query, then run \`npm run step:9\`.`,
          );
        }
        problem(...(await explain(answer, sent)));
      }
    });

    await t.item('an order id nobody was given answers 404 (OrderNotFound) with a message', async () => {
      const sent = Date.now();
      const answer = await get(statusUrl(UNKNOWN_ORDER));
      if (answer.status === 404 && answer.body?.error === 'OrderNotFound' && typeof answer.body.message === 'string') return;
      if (answer.status === 200) problem(`GET ${PARENT}/${UNKNOWN_ORDER} answered 200 ${clip(answer.text)}: that order does not exist.`, `in ${HANDLER_FILE} answer 404 when the Query finds no event, then run \`npm run step:9\`.`);
      problem(...(await explain(answer, sent)));
    });

    const customerId = newProbeCustomer();
    const ordersUrl = invokeUrl(apiId, n.apiStage, PARENT);
    const placed = await t.item(`POST ${PARENT} answers 202, naming the order's status URL in Location`, async () => {
      const response = await send(ordersUrl, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: goodOrder(customerId, 'npm run check:step-9').body });
      const answer = answerOf(response.status, await response.text());
      const orderId = typeof answer.body?.orderId === 'string' ? answer.body.orderId : undefined;
      if (answer.status !== 202 || !orderId) problem(`a good order got ${answer.status} ${clip(answer.text)}, not 202 with an orderId.`, '`npm run check:step-3` shows why.');
      const location = response.headers.get('location');
      const expected = statusUrl(orderId);
      if (!location) {
        return {
          orderId,
          url: expected,
          missing: problemText(
            `the 202 has no Location header: the customer is not told where to follow the order (${expected}).`,
            "steps/02-intake-lambda/handler.ts answers 202 with headers { Location: statusLocation(event, orderId) }: run `npm run step:2` to deploy it, then `npm run check:step-9`.",
          ),
        };
      }
      const resolved = new URL(location, ordersUrl).href;
      if (resolved !== expected) {
        return { orderId, url: expected, missing: problemText(`Location is ${location}, which leads to ${resolved}, not the order's status URL ${expected}.`, "in steps/02-intake-lambda/handler.ts keep statusLocation() (\"orders/ORDER_ID\", relative to the request's URL), run `npm run step:2`.") };
      }
      return { orderId, url: resolved, missing: undefined };
    });
    if (placed?.missing) await t.item(`the 202's Location is the order's status URL`, () => problem(placed.missing!.wrong, placed.missing!.fix));

    if (!placed) {
      t.skip("the order's status URL answers its timeline, once the pipeline has recorded it", 'no order was accepted (see above).', 'fix POST /orders first (`npm run check:step-3`).');
      return;
    }
    try {
      await t.item("the order's status URL answers its timeline, once the pipeline has recorded it", async () => {
        const deadline = Date.now() + within({ instant: 10_000, emulator: 30_000, aws: 60_000 });
        let pause = 50;
        let answer: Answer;
        let sent: number;
        for (;;) {
          sent = Date.now();
          answer = await get(placed.url);
          if (answer.status !== 404 || Date.now() > deadline) break;
          await delay(pause);
          pause = Math.min(pause * 2, 1_000);
        }
        if (answer.status === 404) {
          const recorded = await readTimeline(documentClient(), table.name, placed.orderId, true);
          if (recorded.length > 0) {
            problem(
              `the table holds ${recorded.length} event(s) for order ${placed.orderId}, yet its status URL answers 404: the function's Query does not find them.`,
              QUERY_FIX + '.',
            );
          }
          problem(
            `order ${placed.orderId} was accepted but not recorded within ${Math.round(within({ instant: 10_000, emulator: 30_000, aws: 60_000 }) / 1000)} s, so its status URL still answers 404.`,
            'the pipeline behind the API records orders: `npm run check:step-8` says where it stops.',
          );
        }
        if (answer.status !== 200) problem(...(await explain(answer, sent)));
        const timeline = Array.isArray(answer.body?.timeline) ? (answer.body.timeline as Record<string, unknown>[]) : [];
        const wrong =
          answer.body?.orderId !== placed.orderId
            ? `orderId is ${JSON.stringify(answer.body?.orderId)}, not ${placed.orderId}`
            : timeline.length === 0
              ? 'its timeline is empty'
              : timeline.some((e) => typeof e.status !== 'string' || typeof e.eventTime !== 'string')
                ? 'a timeline entry lacks its status or eventTime'
                : !timeline.some((e) => e.status === ORDER_CONFIRMED)
                  ? `no event has the status "${ORDER_CONFIRMED}" the monitor announces`
                  : timeline.some((e, i) => i > 0 && String(e.eventTime) < String(timeline[i - 1].eventTime))
                    ? 'its events are not oldest first'
                    : answer.body?.status !== timeline.at(-1)!.status
                      ? `status is ${JSON.stringify(answer.body?.status)}, not the latest event's`
                      : undefined;
        if (wrong) problem(`GET ${PARENT}/${placed.orderId} answered 200, but ${wrong}: ${clip(answer.text)}.`, `compare ${HANDLER_FILE} with README.md, then run \`npm run step:9\`.`);
      });
    } finally {
      await removeProbeRecords(t, [placed.orderId]);
    }
  },
});

const problemText = (wrong: string, fix: string) => ({ wrong, fix });

async function findTable(name: string): Promise<{ name: string; arn: string }> {
  try {
    const { Table } = await dynamoDbClient().send(new DescribeTableCommand({ TableName: name }));
    return { name, arn: Table!.TableArn! };
  } catch (err) {
    if (err instanceof TableNotFound) problem(`there is no table named ${name} on ${resolveTarget().label}.`, 'create it: `npm run step:6`.');
    throw err;
  }
}

/** The newest API with this name and our tag (as the steps pick it), and that it has /orders. */
async function findApi(apigw: APIGatewayClient, name: string, prefix: string): Promise<string> {
  const tagged: { id: string; created: number }[] = [];
  let position: string | undefined;
  do {
    const page = await apigw.send(new GetRestApisCommand({ limit: 500, position }));
    for (const api of page.items ?? []) if (api.name === name && api.tags?.[TAG_KEY] === prefix) tagged.push({ id: api.id!, created: api.createdDate?.getTime() ?? 0 });
    position = page.position;
  } while (position);
  if (tagged.length === 0) problem(`there is no REST API named ${name}, tagged ${TAG_KEY}=${prefix}.`, 'create it: `npm run step:3`.');
  return tagged.sort((a, b) => b.created - a.created)[0].id;
}

/** The resource /orders/{orderId} and its open GET; a child of /orders with another path part is explained. */
async function findRoute(apigw: APIGatewayClient, restApiId: string): Promise<{ id: string }> {
  const { items = [] } = await apigw.send(new GetResourcesCommand({ restApiId, limit: 500 }));
  const parent = items.find((r) => r.path === PARENT);
  if (!parent) problem(`the API has no ${PARENT} resource.`, 'run `npm run step:3`, then `npm run step:9`.');
  const children = items.filter((r) => r.parentId === parent.id);
  const resource = children.find((r) => r.path === ROUTE);
  if (!resource) {
    const other = children[0];
    if (!other) problem(`the API has no resource under ${PARENT}: GET ${PARENT}/ORDER_ID answers 403 Missing Authentication Token.`, `${RERUN} (CreateResource with pathPart '{orderId}' under ${PARENT}).`);
    const part = other.pathPart ?? '';
    problem(
      part.startsWith('{')
        ? `the resource under ${PARENT} is ${other.path}: its path parameter is named ${part.slice(1, -1)}, but the function reads event.pathParameters.orderId, so it finds no order id in any request.`
        : `the resource under ${PARENT} is ${other.path}, a literal path part: it matches only the URL ${other.path} itself, never ${PARENT}/3f2c…. A path parameter is written in braces.`,
      PATH_PART_FIX,
    );
  }
  const method = await apigw.send(new GetMethodCommand({ restApiId, resourceId: resource.id, httpMethod: 'GET' })).catch((err) => {
    if (err instanceof NotFoundException) problem(`${ROUTE} has no GET method.`, `${RERUN} (PutMethod with httpMethod "GET").`);
    throw err;
  });
  if (method.authorizationType !== 'NONE' || method.apiKeyRequired) {
    problem(
      `GET ${ROUTE} requires ${method.apiKeyRequired ? 'an API key' : `${method.authorizationType} authorization`}: customers are not AWS users, so every lookup would be refused with 403.`,
      `in ${STEP_FILE} use authorizationType: 'NONE' in PutMethod, ${RERUN}.`,
    );
  }
  return { id: resource.id! };
}

/** What the role allows beyond logs and Query on the table, in words. */
function broaderThanQuery(role: LambdaRole, tableArn: string): string[] {
  const excess: string[] = [];
  for (const policy of role.attached) {
    if (policy.name !== BASIC_EXECUTION_POLICY) excess.push(`has ${policy.name} attached`);
  }
  for (const { policy, statement } of role.inline) {
    if (statement.Effect !== 'Allow') continue;
    const where = `(inline policy ${policy})`;
    if (statement.NotAction || statement.NotResource) {
      excess.push(`allows everything except a list, with NotAction/NotResource ${where}`);
      continue;
    }
    const actions = list(statement.Action).map((a) => a.toLowerCase());
    if (actions.every((a) => LOG_ACTIONS.includes(a))) continue;
    for (const action of actions) {
      if (hasWildcard(action)) excess.push(`allows the wildcard action ${action} ${where}`);
      else if (action !== 'dynamodb:query') excess.push(`also allows ${action} ${where}`);
    }
    for (const resource of list(statement.Resource)) {
      if (resource !== tableArn) excess.push(`allows it on ${resource}, not only on ${tableArn} ${where}`);
    }
  }
  return excess;
}

type Verdict = { wrong: string; fix: string } | undefined;

/**
 * Whether the function's resource policy lets API Gateway invoke it for GET /orders/<an id> of
 * this API (the ARN it presents, with the id as called), and for nothing else.
 */
async function permissionVerdict(lambda: LambdaClient, functionName: string, arns: { presented: string; recommended: string; apiId: string; accountId: string }): Promise<Verdict> {
  const fix = (why: string) =>
    `${why}in ${STEP_FILE} the AddPermission call needs SourceArn ${arns.recommended} ` +
    "(executeApiArn with stage '*', method GET and path '/orders/*'), then run `npm run step:9` (it replaces the statement).";
  const sourceArns = await invokeSourceArns(lambda, functionName, 'apigateway.amazonaws.com');
  if (sourceArns.length === 0) {
    return { wrong: `${functionName} has no permission for apigateway.amazonaws.com: API Gateway may not invoke it, so GET ${ROUTE} answers 500 Internal server error.`, fix: fix('add it: ') };
  }
  if (sourceArns.some((arnsOfStatement) => arnsOfStatement.length === 0)) {
    return { wrong: `${functionName}'s permission for API Gateway has no SourceArn: any API in any AWS account could invoke the function.`, fix: fix('scope it: ') };
  }
  const patterns = sourceArns.flat();
  if (!patterns.some((p) => matches(p, arns.presented))) {
    const literal = patterns.find((p) => /\{[^}]*\}/.test(p));
    const why = literal
      ? ` Its path holds ${/\{[^}]*\}/.exec(literal)![0]} literally: API Gateway presents the path as called, with the order's id in it (…/GET/orders/${UNKNOWN_ORDER}), so only a * matches every order.`
      : (patterns.map((p) => mismatch(p, arns.presented)).find(Boolean) ?? '');
    return {
      wrong: `the permission's SourceArn ${patterns.join(', ')} does not match ${arns.presented}, the ARN API Gateway presents for GET of an order: the invoke is refused, and every lookup answers 500 Internal server error.${why}`,
      fix: fix(''),
    };
  }
  const others = [
    arns.presented.replace(`:${arns.apiId}/`, ':otherapi00/'),
    arns.presented.replace('/GET/', '/DELETE/'),
    arns.presented.replace(`/GET${PARENT}/`, '/GET/admin/'),
    arns.presented.replace(`:${arns.accountId}:`, ':111122223333:'),
  ];
  const tooBroad = patterns.find((p) => others.some((other) => matches(p, other)));
  if (tooBroad) return { wrong: `the permission's SourceArn ${tooBroad} lets more than this API's GET ${PARENT}/* invoke the function (other APIs, methods or paths).`, fix: fix('narrow it: ') };
  return undefined;
}

/** What an unexpected answer means, from its status, its body and the function's log. */
async function explainAnswer(
  answer: Answer,
  known: { functionName: string; logGroup: string; permission: Verdict; route: { id: string } | undefined; since: number },
): Promise<[string, string]> {
  const got = `it answered ${answer.status} ${clip(answer.text, 120)}`;
  if (answer.status === 403) {
    return [`${got}: stage v1 serves no GET ${ROUTE}${known.route ? ' (the route exists but is not deployed)' : ' (see the resource above)'}.`, known.route ? `${RERUN}: it makes a new deployment.` : PATH_PART_FIX];
  }
  if (answer.status === 429) return [`${got}: the stage's throttling refused it.`, 'wait a few seconds and check again.'];
  if (answer.body?.error === 'NoOrderIdParameter') {
    return [`${got}: the function found no orderId in the request's path parameters — the route's path parameter has another name.`, PATH_PART_FIX];
  }
  if (answer.status === 500 && answer.body?.message === 'Internal server error') {
    if (known.permission) return [`${got}: API Gateway may not invoke ${known.functionName} (the permission ✘ above says why).`, known.permission.fix];
    return [`${got}: API Gateway could not invoke ${known.functionName}.`, `look at the integration above, and at ${whereToLook500(known.functionName)}; ${RERUN}.`];
  }
  const requestId = typeof answer.body?.requestId === 'string' ? answer.body.requestId : undefined;
  if (answer.status === 500 && requestId) {
    const said = await functionSaid(known.logGroup, requestId, known.since);
    const denied = /not authorized to perform: (dynamodb:\w+)/i.exec(said ?? '');
    if (denied && denied[1].toLowerCase() !== 'dynamodb:query') {
      return [
        `${got}: the function calls ${denied[1]}, which its role does not allow (AccessDeniedException) — the role may only Query. ${denied[1] === 'dynamodb:Scan' ? 'A Scan reads every item of every order, and pays for all of them, to find one order.' : ''}`.trim(),
        `${QUERY_FIX}.`,
      ];
    }
    if (denied) return [`${got}: the function may not Query the table (AccessDeniedException).`, `in ${STEP_FILE} the inline policy is { Effect: 'Allow', Action: 'dynamodb:Query', Resource: tableArn }, ${RERUN}.`];
    if (said) return [`${got}: the function's log says: ${clip(said, 300)}`, `${QUERY_FIX}.`];
    return [`${got}: the function could not read the table, and its log says nothing yet about request ${requestId}.`, `its log group ${known.logGroup} shows why (the logs tail command of the aws CLI); compare ${HANDLER_FILE} with solutions/.`];
  }
  if (answer.status === 502) return [`${got}: the function failed, or returned something that is not a proxy result.`, `its log group ${known.logGroup} shows why (the logs tail command of the aws CLI); compare ${HANDLER_FILE} with solutions/.`];
  return [`${got}.`, `compare ${HANDLER_FILE} with README.md, ${RERUN}.`];
}

/** The function's error line for one request, waiting a little for it (logs arrive after the answer on AWS). */
async function functionSaid(logGroup: string, requestId: string, since: number): Promise<string | undefined> {
  const deadline = Date.now() + within({ instant: 3_000, emulator: 10_000, aws: 30_000 });
  let pause = 50;
  for (;;) {
    const lines = await logLinesAbout(logsClient(), logGroup, requestId, since);
    const error = lines.find((line) => /\tERROR\t/.test(line));
    if (error) return error.split('\t').slice(3).join(' ').trim();
    if (Date.now() > deadline) return undefined;
    await delay(pause);
    pause = Math.min(pause * 2, 2_000);
  }
}

async function get(url: string): Promise<Answer> {
  const response = await send(url, { method: 'GET' });
  return answerOf(response.status, await response.text());
}

/** An HTTP call as a customer makes it; the stage's throttle (429) and a new API's host name (AWS) are waited out. */
async function send(url: string, init: RequestInit): Promise<Response> {
  const deadline = Date.now() + 90_000;
  let pause = 200;
  for (;;) {
    try {
      const response = await fetch(url, { ...init, signal: AbortSignal.timeout(35_000) });
      if (response.status !== 429 || Date.now() > deadline) return response;
      await response.arrayBuffer();
    } catch (err) {
      const cause = errorName((err as { cause?: unknown }).cause ?? err);
      if (!(resolveTarget().realAws && cause === 'ENOTFOUND') || Date.now() > deadline) throw err;
    }
    await delay(pause);
    pause = Math.min(pause * 2, 5_000);
  }
}

runCheckWhenExecuted(import.meta.url, check);
