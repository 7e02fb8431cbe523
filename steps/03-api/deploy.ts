/**
 * Step 3: the REST API (read README.md next to this file first).
 *
 * The shop's way in: POST /orders on an API Gateway REST API, passed as it is (AWS_PROXY) to the
 * intake function from step 2. The function must allow API Gateway to invoke it — from this
 * API's POST /orders, and from nowhere else. A deployment then publishes the API as stage v1.
 *
 * Run it with `npm run step:3`; running it again is harmless (it finds the API it made before).
 */
import {
  CreateDeploymentCommand,
  CreateResourceCommand,
  CreateRestApiCommand,
  DeleteMethodCommand,
  GetMethodCommand,
  GetResourcesCommand,
  GetRestApisCommand,
  NotFoundException,
  PutIntegrationCommand,
  PutMethodCommand,
  TooManyRequestsException,
  UpdateStageCommand,
  type APIGatewayClient,
  type RestApi,
} from '@aws-sdk/client-api-gateway';
import {
  AddPermissionCommand,
  GetFunctionCommand,
  GetPolicyCommand,
  RemovePermissionCommand,
  ResourceNotFoundException,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { executeApiArn, invokeUrl } from '../../lib/api.ts';
import { apiGatewayClient, lambdaClient, stsClient } from '../../lib/clients.ts';
import { resolveTarget } from '../../lib/config.ts';
import { WorkbookError, errorName } from '../../lib/errors.ts';
import { partitionOfArn } from '../../lib/partition.ts';
import { TAG_KEY, names, workbookTags } from '../../lib/names.ts';
import { refuseUnlessOurs } from '../../lib/ownership.ts';
import { cmd, detail, heading, next, ok, say } from '../../lib/output.ts';
import { runWhenExecuted } from '../../lib/steps.ts';
import { todo } from '../../lib/todo.ts';
import { retryWhileBusy } from '../../lib/wait.ts';

/** The one route: POST /orders. */
const PATH_PART = 'orders';
const HTTP_METHOD = 'POST';
/** The permission's statement id: fixed, so a second run finds (and keeps or replaces) its own statement. */
const PERMISSION_ID = 'apigateway-post-orders';
/**
 * Stage throttling: a steady 5 requests a second, bursts up to 10 — plenty for a learner's shop.
 * Beyond that API Gateway answers 429 without invoking the function (and without billing the
 * call). It bounds, roughly (AWS applies it on a best-effort basis), what anyone on the internet
 * can make this public API spend: at most 432,000 orders a day, about $4 a day beyond the free
 * tier (README.md shows the arithmetic). It is no substitute for a budget alert.
 */
const RATE_LIMIT = 5;
const BURST_LIMIT = 10;

export async function deploy() {
  const n = names();
  const { region } = resolveTarget();
  heading(`Step 3: the REST API, POST /orders (${resolveTarget().label})`);

  // 0. What step 2 made: the intake function, by ARN. And the account the API lives in, and its
  //    partition (the second field of every ARN: aws; aws-cn in China; aws-us-gov in GovCloud).
  const lambda = lambdaClient();
  const functionArn = await findFunction(lambda, n.intakeFunction);
  const { Account: accountId, Arn: callerArn } = await stsClient().send(new GetCallerIdentityCommand({}));
  const partition = partitionOfArn(callerArn!);

  // 1. The REST API, found by name and tag, or created.
  const apigw = apiGatewayClient();
  const api = await ensureRestApi(apigw, n.api);
  const restApiId = api.id!;

  // 2. The /orders resource, under the root resource "/".
  const resourceId = await ensureResource(apigw, restApiId, PATH_PART);

  // 3. POST /orders: open to anyone (a shop's customers are not AWS users), proxied to intake.
  await ensureOpenMethod(apigw, restApiId, resourceId);
  // AWS_PROXY: the whole request goes to the function as an event, its answer back as the response.
  // Lambda's Invoke API is itself an HTTP POST, whatever the client's method: integrationHttpMethod POST.
  const integration = await apigw.send(
    new PutIntegrationCommand({
      restApiId,
      resourceId,
      httpMethod: HTTP_METHOD,
      type: 'AWS_PROXY',
      integrationHttpMethod: 'POST',
      uri: `arn:${partition}:apigateway:${region}:lambda:path/2015-03-31/functions/${functionArn}/invocations`,
    }),
  );
  ok(`${HTTP_METHOD} /${PATH_PART} → ${n.intakeFunction} (${integration.type}, Lambda called with ${integration.httpMethod}; no authorization)`);

  // 4. Exercise: let API Gateway invoke the function, only for calls to this API's POST /orders,
  //    in any stage. API Gateway presents arn:PARTITION:execute-api:REGION:ACCOUNT:API_ID/STAGE/METHOD/PATH.
  const sourceArn: string = todo('step 3: the SourceArn arn:PARTITION:execute-api:REGION:ACCOUNT:API_ID/*/POST/orders: executeApiArn({ partition, region, accountId: accountId!, apiId: restApiId, stage: "*", method: HTTP_METHOD, path: `/${PATH_PART}` }) from lib/api.ts');
  await allowApiGateway(lambda, n.intakeFunction, sourceArn);

  // 5. Publish: a deployment is a snapshot of the API; the stage serves it. Then the stage's throttling.
  //    AWS takes one CreateDeployment per account every 5 seconds, and refuses more with
  //    TooManyRequestsException (saying when to come back: Retry-After): a quick re-run waits its turn.
  const deployment = await retryWhileBusy(
    () =>
      apigw.send(
        new CreateDeploymentCommand({ restApiId, stageName: n.apiStage, description: `npm run step:3 at ${new Date().toISOString()}` }),
      ),
    {
      busy: (err) => err instanceof TooManyRequestsException,
      waitingMessage: 'API Gateway takes one deployment every 5 seconds per account. Waiting our turn…',
      deadlineMs: 60_000,
      initialDelayMs: 1_000,
      maxDelayMs: 5_000,
    },
  );
  const stage = await apigw.send(
    new UpdateStageCommand({
      restApiId,
      stageName: n.apiStage,
      patchOperations: [
        { op: 'replace', path: '/*/*/throttling/rateLimit', value: String(RATE_LIMIT) },
        { op: 'replace', path: '/*/*/throttling/burstLimit', value: String(BURST_LIMIT) },
      ],
    }),
  );
  const throttle = stage.methodSettings?.['*/*'];
  ok(
    `stage ${n.apiStage}: deployment ${deployment.id}, throttled to ${throttle?.throttlingRateLimit} requests/s (bursts of ${throttle?.throttlingBurstLimit})`,
  );

  const url = invokeUrl(restApiId, n.apiStage, `/${PATH_PART}`);
  ok(`the shop's URL: ${HTTP_METHOD} ${url}`);
  say(`\n  Try it:\n  curl -i -X POST ${url} \\\n    -H 'Content-Type: application/json' \\\n    -d '{"customerId":"c-1","items":[{"sku":"tea-earl-grey","quantity":2}]}'`);
  next(`${cmd('npm run check:step-3')} calls the API as a shop would, with good and bad orders.`);
  return { restApiId, url };
}

async function findFunction(lambda: LambdaClient, name: string): Promise<string> {
  try {
    return (await lambda.send(new GetFunctionCommand({ FunctionName: name }))).Configuration!.FunctionArn!;
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err;
    throw new WorkbookError(`There is no function named ${name}: the API passes orders to it.`, 'create it first: `npm run step:2`.');
  }
}

/**
 * API names are not unique in API Gateway: creating one per run would leave a heap of APIs.
 * So the script looks for the one it made (this name AND our tag) before creating it. An API of
 * this name without our tag is someone else's: the script stops rather than set up a second
 * API of the same name beside it.
 */
async function ensureRestApi(apigw: APIGatewayClient, name: string): Promise<RestApi> {
  const sameName: RestApi[] = [];
  let position: string | undefined;
  do {
    const page = await apigw.send(new GetRestApisCommand({ limit: 500, position }));
    sameName.push(...(page.items ?? []).filter((api) => api.name === name));
    position = page.position;
  } while (position);
  const ours = sameName.filter((api) => api.tags?.[TAG_KEY] === workbookTags()[TAG_KEY]);
  if (ours.length === 0 && sameName.length > 0) refuseUnlessOurs('REST API', `${name} (id ${sameName[0].id})`, sameName[0].tags);
  if (ours.length > 0) {
    // Several, after some mishap: use the newest; `npm run teardown` removes them all.
    const api = ours.sort((a, b) => (b.createdDate?.getTime() ?? 0) - (a.createdDate?.getTime() ?? 0))[0];
    ok(`${name}: found (id ${api.id})`);
    return api;
  }
  const api = await apigw.send(
    new CreateRestApiCommand({
      name,
      description: 'The shop front-end sends orders here: POST /orders',
      // REGIONAL: served from this region (EDGE adds a CloudFront distribution in front).
      endpointConfiguration: { types: ['REGIONAL'] },
      tags: workbookTags(), // `npm run teardown` removes only what carries this tag
    }),
  );
  ok(`${name}: created (id ${api.id})`);
  return api;
}

async function ensureResource(apigw: APIGatewayClient, restApiId: string, pathPart: string): Promise<string> {
  const { items = [] } = await apigw.send(new GetResourcesCommand({ restApiId, limit: 500 }));
  const existing = items.find((r) => r.path === `/${pathPart}`);
  if (existing) return existing.id!;
  const root = items.find((r) => r.path === '/')!;
  const created = await apigw.send(new CreateResourceCommand({ restApiId, parentId: root.id, pathPart }));
  return created.id!;
}

/** PutMethod refuses a method that exists (ConflictException): keep it if it is right, else make it again. */
async function ensureOpenMethod(apigw: APIGatewayClient, restApiId: string, resourceId: string): Promise<void> {
  const ids = { restApiId, resourceId, httpMethod: HTTP_METHOD };
  try {
    const method = await apigw.send(new GetMethodCommand(ids));
    if (method.authorizationType === 'NONE' && !method.apiKeyRequired) return;
    await apigw.send(new DeleteMethodCommand(ids));
  } catch (err) {
    if (!(err instanceof NotFoundException)) throw err;
  }
  await apigw.send(new PutMethodCommand({ ...ids, authorizationType: 'NONE' }));
}

/**
 * AddPermission adds a statement to the function's resource policy. A statement id can be used
 * once, so a second run keeps our statement when it already says the same, and replaces it otherwise.
 */
async function allowApiGateway(lambda: LambdaClient, functionName: string, sourceArn: string): Promise<void> {
  const current = await ourStatement(lambda, functionName);
  if (current?.Condition?.ArnLike?.['AWS:SourceArn'] === sourceArn) {
    ok(`${functionName} lets API Gateway invoke it, from ${sourceArn} only (unchanged)`);
    return;
  }
  if (current) await lambda.send(new RemovePermissionCommand({ FunctionName: functionName, StatementId: PERMISSION_ID }));
  try {
    await lambda.send(
      new AddPermissionCommand({
        FunctionName: functionName,
        StatementId: PERMISSION_ID,
        Action: 'lambda:InvokeFunction',
        Principal: 'apigateway.amazonaws.com',
        SourceArn: sourceArn,
      }),
    );
  } catch (err) {
    // Lambda answers a SourceArn that is not an ARN with its regular expression: say what to write instead.
    if (errorName(err) === 'ValidationException' && /'sourceArn'/.test((err as Error).message)) {
      throw new WorkbookError(
        `Lambda refused the SourceArn ${JSON.stringify(sourceArn)}: it is not an ARN. A permission names its caller by ARN, ` +
          'and API Gateway presents arn:PARTITION:execute-api:REGION:ACCOUNT:API_ID/STAGE/METHOD/PATH for each call ' +
          '(not the invoke URL, not the API id alone).',
        'in steps/03-api/deploy.ts write the SourceArn blank as executeApiArn({ partition, region, accountId: accountId!, apiId: restApiId, ' +
          "stage: '*', method: HTTP_METHOD, path: `/${PATH_PART}` }), then run `npm run step:3` again.",
      );
    }
    throw err;
  }
  ok(`${functionName} lets API Gateway invoke it, from ${sourceArn} only`);
}

interface PolicyStatement {
  Sid?: string;
  Condition?: { ArnLike?: Record<string, string> };
}

/** Our statement in the function's resource policy, if there is one. */
async function ourStatement(lambda: LambdaClient, functionName: string): Promise<PolicyStatement | undefined> {
  try {
    const { Policy } = await lambda.send(new GetPolicyCommand({ FunctionName: functionName }));
    const statements = (JSON.parse(Policy ?? '{}') as { Statement?: PolicyStatement[] }).Statement ?? [];
    return statements.find((s) => s.Sid === PERMISSION_ID);
  } catch (err) {
    if (err instanceof ResourceNotFoundException) return undefined; // no policy at all yet
    throw err;
  }
}

runWhenExecuted(import.meta.url, deploy);
