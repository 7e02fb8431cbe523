/**
 * Step 9: order status for customers (read README.md next to this file first).
 *
 * GET /orders/{orderId} on the REST API of step 3: a resource with a path parameter under
 * /orders, proxied (AWS_PROXY) to a small function that reads the order's timeline from the
 * order-events table (step 6) with one Query. The function's role may Query this table, and
 * nothing else; the function may be invoked by this API's GET /orders/{orderId}, and by nothing
 * else. A new deployment publishes the route in stage v1.
 *
 * Run it with `npm run step:9`; running it again is harmless (it updates what changed).
 */
import {
  CreateDeploymentCommand,
  CreateResourceCommand,
  DeleteMethodCommand,
  DeleteResourceCommand,
  GetMethodCommand,
  GetResourcesCommand,
  GetRestApisCommand,
  NotFoundException,
  PutIntegrationCommand,
  PutMethodCommand,
  TooManyRequestsException,
  type APIGatewayClient,
  type Resource,
} from '@aws-sdk/client-api-gateway';
import {
  CreateLogGroupCommand,
  DescribeLogGroupsCommand,
  PutRetentionPolicyCommand,
  TagResourceCommand as TagLogGroupCommand,
  type CloudWatchLogsClient,
} from '@aws-sdk/client-cloudwatch-logs';
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
  AddPermissionCommand,
  CreateFunctionCommand,
  GetFunctionCommand,
  GetPolicyCommand,
  RemovePermissionCommand,
  ResourceNotFoundException,
  Runtime,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
  type FunctionConfiguration,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { executeApiArn, invokeUrl } from '../../lib/api.ts';
import { apiGatewayClient, dynamoDbClient, iamClient, lambdaClient, logsClient, stsClient } from '../../lib/clients.ts';
import { resolveTarget } from '../../lib/config.ts';
import { WorkbookError } from '../../lib/errors.ts';
import { HANDLER, bundleHandler, oneChangeAtATime, waitUntilFunctionSettled, whenRoleAssumable } from '../../lib/lambda.ts';
import { TAG_KEY, names, workbookTagList, workbookTags } from '../../lib/names.ts';
import { refuseUnlessOurs } from '../../lib/ownership.ts';
import { cmd, detail, heading, next, ok, say } from '../../lib/output.ts';
import { granted } from '../../lib/policy-text.ts';
import { managedPolicyArn, partitionOfArn } from '../../lib/partition.ts';
import { runWhenExecuted } from '../../lib/steps.ts';
import { todo } from '../../lib/todo.ts';
import { retryWhileBusy } from '../../lib/wait.ts';

/** The route: GET /orders/{orderId}, under step 3's /orders. */
const PARENT_PATH = '/orders';
const HTTP_METHOD = 'GET';
/** The permission's statement id: fixed, so a second run finds (and keeps or replaces) its own statement. */
const PERMISSION_ID = 'apigateway-get-order';

/** The function's settings (README.md explains each). */
const RUNTIME = Runtime.nodejs22x;
/** One Query takes milliseconds; a stuck call should fail well before API Gateway's 29 s. */
const TIMEOUT_SECONDS = 5;
const MEMORY_MB = 256;
const LOG_RETENTION_DAYS = 14;

/** Who may assume the role (its trust policy): the Lambda service, and nobody else. */
const TRUST_POLICY = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};
const BASIC_EXECUTION_POLICY = 'service-role/AWSLambdaBasicExecutionRole';
/** The role's inline policy: what the function may do beyond logging. */
const READ_POLICY_NAME = 'read-order-timeline';

export async function deploy() {
  const n = names();
  const { region } = resolveTarget();
  heading(`Step 9: order status, GET /orders/{orderId} (${resolveTarget().label})`);

  // 0. What steps 6 and 3 made: the table (by ARN) and the REST API with its /orders resource.
  //    And the account and partition, for the permission's SourceArn.
  const tableArn = await findTable(n.orderEventsTable);
  const apigw = apiGatewayClient();
  const restApiId = await findApi(apigw, n.api);
  const { Account: accountId, Arn: callerArn } = await stsClient().send(new GetCallerIdentityCommand({}));
  const partition = partitionOfArn(callerArn!);

  // 1. The execution role: logs, and dynamodb:Query on this one table. Not Scan, not GetItem:
  //    a customer asks about one order, and one Query on its key answers that.
  const iam = iamClient();
  const roleArn = await ensureRole(iam, n.statusRole);
  await iam.send(new AttachRolePolicyCommand({ RoleName: n.statusRole, PolicyArn: managedPolicyArn(partition, BASIC_EXECUTION_POLICY) }));
  const readPolicy = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 'dynamodb:Query', Resource: tableArn }],
  };
  await iam.send(new PutRolePolicyCommand({ RoleName: n.statusRole, PolicyName: READ_POLICY_NAME, PolicyDocument: JSON.stringify(readPolicy) }));
  ok(`${n.statusRole}: assumable by Lambda; may write logs; ${READ_POLICY_NAME}: ${granted(readPolicy.Statement)}`);
  detail(roleArn);

  // 2. The log group, before the function: with our tag and a retention period.
  await ensureLogGroup(logsClient(), n.statusLogGroup);
  ok(`${n.statusLogGroup}: keeps the function's logs ${LOG_RETENTION_DAYS} days`);

  // 3. The function: handler.ts bundled and zipped, the table's name in its environment.
  const lambda = lambdaClient();
  const code = await bundleHandler(new URL('./handler.ts', import.meta.url));
  const functionArn = await ensureFunction(lambda, code, {
    FunctionName: n.statusFunction,
    Role: roleArn,
    Runtime: RUNTIME,
    Handler: HANDLER,
    Timeout: TIMEOUT_SECONDS,
    MemorySize: MEMORY_MB,
    Environment: { Variables: { TABLE_NAME: n.orderEventsTable } },
    Description: "Answers GET /orders/{orderId} with the order's timeline from the order-events table",
  });

  // 4. Exercise: the resource under /orders. A path part in braces is a path parameter: it matches
  //    any one segment, and the proxy event carries its value under that name (pathParameters).
  const pathPart: string = todo('step 9: the path part of the order\'s resource: a path parameter, the name the handler reads (event.pathParameters.orderId) in curly braces');
  const resource = await ensureChildResource(apigw, restApiId, pathPart);
  ok(`resource ${resource.path} (id ${resource.id})`);

  // 5. GET on it: open to anyone (customers are not AWS users), proxied to the status function.
  //    Lambda's Invoke API is an HTTP POST whatever the client's method: integrationHttpMethod POST.
  await ensureOpenMethod(apigw, restApiId, resource.id!);
  const integration = await apigw.send(
    new PutIntegrationCommand({
      restApiId,
      resourceId: resource.id!,
      httpMethod: HTTP_METHOD,
      type: 'AWS_PROXY',
      integrationHttpMethod: 'POST',
      uri: `arn:${partition}:apigateway:${region}:lambda:path/2015-03-31/functions/${functionArn}/invocations`,
    }),
  );
  ok(`${HTTP_METHOD} ${resource.path} → ${n.statusFunction} (${integration.type}, no authorization)`);

  // 6. Let API Gateway invoke the function, for this API's GET /orders/<any order id> only. API
  //    Gateway presents the path as called (…/GET/orders/3f2c…), never as "{orderId}": hence the *.
  const sourceArn = executeApiArn({ partition, region, accountId: accountId!, apiId: restApiId, stage: '*', method: HTTP_METHOD, path: `${PARENT_PATH}/*` });
  await allowApiGateway(lambda, n.statusFunction, sourceArn);

  // 7. Publish: a new deployment of the whole API (POST /orders too) into the stage. AWS takes one
  //    CreateDeployment per account every 5 seconds: a quick re-run waits its turn.
  const deployment = await retryWhileBusy(
    () =>
      apigw.send(
        new CreateDeploymentCommand({ restApiId, stageName: n.apiStage, description: `npm run step:9 at ${new Date().toISOString()}` }),
      ),
    {
      busy: (err) => err instanceof TooManyRequestsException,
      waitingMessage: 'API Gateway takes one deployment every 5 seconds per account. Waiting our turn…',
      deadlineMs: 60_000,
      initialDelayMs: 1_000,
      maxDelayMs: 5_000,
    },
  );
  ok(`stage ${n.apiStage}: deployment ${deployment.id}`);

  const url = invokeUrl(restApiId, n.apiStage, `${PARENT_PATH}/ORDER_ID`);
  ok(`a customer's URL: ${HTTP_METHOD} ${url}`);
  say(`\n  Try it with an order id from POST /orders (its 202 answer names this URL in Location):\n  curl -i ${url}`);
  next(`${cmd('npm run check:step-9')} sends an order, follows its Location, and reads its timeline.`);
  return { restApiId, functionArn, url };
}

async function findTable(name: string): Promise<string> {
  try {
    return (await dynamoDbClient().send(new DescribeTableCommand({ TableName: name }))).Table!.TableArn!;
  } catch (err) {
    if (!(err instanceof TableNotFound)) throw err;
    throw new WorkbookError(`There is no table named ${name}: the status function reads it.`, 'create it first: `npm run step:6`.');
  }
}

/** The REST API step 3 made: this name and our tag (the newest, as step 3 picks it). */
async function findApi(apigw: APIGatewayClient, name: string): Promise<string> {
  const ours: { id: string; created: number }[] = [];
  let position: string | undefined;
  do {
    const page = await apigw.send(new GetRestApisCommand({ limit: 500, position }));
    for (const api of page.items ?? []) {
      if (api.name === name && api.tags?.[TAG_KEY] === workbookTags()[TAG_KEY]) ours.push({ id: api.id!, created: api.createdDate?.getTime() ?? 0 });
    }
    position = page.position;
  } while (position);
  if (ours.length === 0) throw new WorkbookError(`There is no REST API named ${name}: the new route goes on it.`, 'create it first: `npm run step:3`.');
  return ours.sort((a, b) => b.created - a.created)[0].id;
}

/**
 * The resource `pathPart` under /orders, created when missing. /orders has one child, this one:
 * a child an earlier run made with another path part ({id}, say) is removed first — API Gateway
 * allows one path parameter among siblings, and a stale route would keep answering.
 */
async function ensureChildResource(apigw: APIGatewayClient, restApiId: string, pathPart: string): Promise<Resource> {
  const { items = [] } = await apigw.send(new GetResourcesCommand({ restApiId, limit: 500 }));
  const parent = items.find((r) => r.path === PARENT_PATH);
  if (!parent) throw new WorkbookError(`The API has no ${PARENT_PATH} resource: the order's route goes under it.`, 'run `npm run step:3` first.');
  const children = items.filter((r) => r.parentId === parent.id);
  const existing = children.find((r) => r.pathPart === pathPart);
  for (const stale of children.filter((r) => r !== existing)) {
    await apigw.send(new DeleteResourceCommand({ restApiId, resourceId: stale.id }));
    ok(`removed ${stale.path}: an earlier run's path part (this run makes ${PARENT_PATH}/${pathPart})`);
  }
  if (existing) return existing;
  return apigw.send(new CreateResourceCommand({ restApiId, parentId: parent.id, pathPart }));
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
  const current = await lambda.send(new GetPolicyCommand({ FunctionName: functionName })).then(
    (out) => ((JSON.parse(out.Policy ?? '{}') as { Statement?: PolicyStatement[] }).Statement ?? []).find((s) => s.Sid === PERMISSION_ID),
    (err) => (err instanceof ResourceNotFoundException ? undefined : Promise.reject(err)), // no policy at all yet
  );
  if (current?.Condition?.ArnLike?.['AWS:SourceArn'] === sourceArn) {
    ok(`${functionName} lets API Gateway invoke it, from ${sourceArn} only (unchanged)`);
    return;
  }
  if (current) await lambda.send(new RemovePermissionCommand({ FunctionName: functionName, StatementId: PERMISSION_ID }));
  await lambda.send(
    new AddPermissionCommand({
      FunctionName: functionName,
      StatementId: PERMISSION_ID,
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
      SourceArn: sourceArn,
    }),
  );
  ok(`${functionName} lets API Gateway invoke it, from ${sourceArn} only`);
}

interface PolicyStatement {
  Sid?: string;
  Condition?: { ArnLike?: Record<string, string> };
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
        Description: 'Execution role of the order-status function: logs, Query on the order-events table',
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

runWhenExecuted(import.meta.url, deploy);
