import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AddPermissionCommand,
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  GetPolicyCommand,
  InvokeCommand,
  LambdaClient,
  ListFunctionsCommand,
  ListTagsCommand,
  RemovePermissionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { signedFetch } from '../support/signed-fetch.ts';
import { createLambdaRole, deployFunction, fixture, payloadOf, zipOf } from '../fixtures/lambda/helpers.ts';

/** Lambda's control plane over the wire: SDK v3 and the aws CLI, shapes and errors as AWS gives them. */
let cloud: TestCloud;
let lambda: LambdaClient;
let role: string;
const ACCOUNT = '000000000000';
const fnArn = (name: string) => `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${name}`;
const echoFiles = () => ({ 'index.mjs': fixture('esm/index.mjs') });

/** The error an SDK call rejects with. */
async function failure(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  cloud = await startTestCloud();
  lambda = new LambdaClient(cloud.clientConfig);
  role = await createLambdaRole(cloud, 'lambda-basic');
});
afterAll(() => cloud?.close());

describe('CreateFunction', () => {
  it('answers 201 Pending with every field AWS returns, then goes Active; the waiter returns at once', async () => {
    const zip = zipOf(echoFiles());
    const out = await lambda.send(
      new CreateFunctionCommand({
        FunctionName: 'create-shape',
        Runtime: 'nodejs22.x',
        Role: role,
        Handler: 'index.echo',
        Code: { ZipFile: zip },
        Environment: { Variables: { STAGE: 'test' } },
      }),
    );
    expect(out.$metadata.httpStatusCode).toBe(201);
    const { $metadata, ...config } = out;
    expect(config).toEqual({
      FunctionName: 'create-shape',
      FunctionArn: fnArn('create-shape'),
      Runtime: 'nodejs22.x',
      Role: role,
      Handler: 'index.echo',
      CodeSize: zip.length,
      CodeSha256: createHash('sha256').update(zip).digest('base64'),
      Description: '',
      Timeout: 3,
      MemorySize: 128,
      LastModified: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/),
      Version: '$LATEST',
      Environment: { Variables: { STAGE: 'test' } },
      TracingConfig: { Mode: 'PassThrough' },
      RevisionId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      PackageType: 'Zip',
      Architectures: ['x86_64'],
      EphemeralStorage: { Size: 512 },
      SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
      RuntimeVersionConfig: { RuntimeVersionArn: expect.stringMatching(/^arn:aws:lambda:us-east-1::runtime:[0-9a-f]{64}$/) },
      LoggingConfig: { LogFormat: 'Text', LogGroup: '/aws/lambda/create-shape' },
      State: 'Pending',
      StateReason: 'The function is being created.',
      StateReasonCode: 'Creating',
    });

    const started = performance.now();
    await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 10 }, { FunctionName: 'create-shape' });
    expect(performance.now() - started).toBeLessThan(500);

    const got = await lambda.send(new GetFunctionCommand({ FunctionName: 'create-shape' }));
    expect(got.Configuration).toMatchObject({ State: 'Active', LastUpdateStatus: 'Successful', CodeSha256: config.CodeSha256 });
    expect(got.Configuration).not.toHaveProperty('StateReason');
    expect(got.Code?.RepositoryType).toBe('S3');
    // Code.Location serves the uploaded zip, byte for byte.
    const download = await fetch(got.Code!.Location!);
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(Buffer.from(zip))).toBe(true);
  });

  it('rejects a malformed role ARN with ValidationException', async () => {
    const err = await failure(
      lambda.send(new CreateFunctionCommand({ FunctionName: 'bad-role', Runtime: 'nodejs22.x', Role: 'r1', Handler: 'index.echo', Code: { ZipFile: zipOf(echoFiles()) } })),
    );
    expect(err.name).toBe('ValidationException');
    expect(err.$metadata.httpStatusCode).toBe(400);
    expect(err.message).toBe(
      "1 validation error detected: Value 'r1' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+",
    );
  });

  it('rejects a role that does not exist, or that does not trust lambda.amazonaws.com', async () => {
    const ec2Role = await createLambdaRole(cloud, 'ec2-only', {
      trust: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] }),
    });
    for (const Role of [`arn:aws:iam::${ACCOUNT}:role/no-such-role`, ec2Role]) {
      const err = await failure(
        lambda.send(new CreateFunctionCommand({ FunctionName: 'untrusted', Runtime: 'nodejs22.x', Role, Handler: 'index.echo', Code: { ZipFile: zipOf(echoFiles()) } })),
      );
      expect(err.name).toBe('InvalidParameterValueException');
      expect(err.message).toBe('The role defined for the function cannot be assumed by Lambda.');
    }
  });

  it('refuses a duplicate name with 409 ResourceConflictException', async () => {
    await deployFunction(lambda, { FunctionName: 'twice', Role: role, Handler: 'index.echo', files: echoFiles() });
    const err = await failure(
      lambda.send(new CreateFunctionCommand({ FunctionName: 'twice', Runtime: 'nodejs22.x', Role: role, Handler: 'index.echo', Code: { ZipFile: zipOf(echoFiles()) } })),
    );
    expect(err.name).toBe('ResourceConflictException');
    expect(err.$metadata.httpStatusCode).toBe(409);
    expect(err.message).toBe('Function already exist: twice');
  });

  it('accepts nodejs20.x/22.x/24.x; refuses retired, foreign and unknown runtimes as AWS does', async () => {
    for (const Runtime of ['nodejs20.x', 'nodejs24.x'] as const) {
      const out = await lambda.send(
        new CreateFunctionCommand({ FunctionName: `rt-${Runtime.replace('.', '-')}`, Runtime, Role: role, Handler: 'index.echo', Code: { ZipFile: zipOf(echoFiles()) } }),
      );
      expect(out.Runtime).toBe(Runtime);
    }
    const create = (Runtime: string) =>
      failure(lambda.send(new CreateFunctionCommand({ FunctionName: 'rt', Runtime: Runtime as 'nodejs22.x', Role: role, Handler: 'index.echo', Code: { ZipFile: zipOf(echoFiles()) } })));

    const retired = await create('nodejs16.x');
    expect(retired.name).toBe('InvalidParameterValueException');
    expect(retired.message).toBe(
      'The runtime parameter of nodejs16.x is no longer supported for creating or updating AWS Lambda functions. We recommend you use the new runtime (nodejs22.x) while creating or updating functions.',
    );
    const python = await create('python3.12');
    expect(python.name).toBe('InvalidParameterValueException');
    expect(python.message).toContain('runtime python3.12 cannot run here');
    const unknown = await create('node22');
    expect(unknown.name).toBe('ValidationException');
    expect(unknown.message).toMatch(/^1 validation error detected: Value 'node22' at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: \[.*nodejs22\.x.*\]$/);
  });

  it('refuses a zip it cannot unzip, and out-of-range settings', async () => {
    const bad = await failure(
      lambda.send(new CreateFunctionCommand({ FunctionName: 'bad-zip', Runtime: 'nodejs22.x', Role: role, Handler: 'index.echo', Code: { ZipFile: Buffer.from('not a zip') } })),
    );
    expect(bad.name).toBe('InvalidParameterValueException');
    expect(bad.message).toBe('Could not unzip uploaded file. Please check your file, then try to upload again.');

    const timeout = await failure(
      lambda.send(new CreateFunctionCommand({ FunctionName: 'slow', Runtime: 'nodejs22.x', Role: role, Handler: 'index.echo', Timeout: 901, Code: { ZipFile: zipOf(echoFiles()) } })),
    );
    expect(timeout.name).toBe('ValidationException');
    expect(timeout.message).toBe(
      "1 validation error detected: Value '901' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900",
    );

    const reserved = await failure(
      lambda.send(
        new CreateFunctionCommand({
          FunctionName: 'reserved-env',
          Runtime: 'nodejs22.x',
          Role: role,
          Handler: 'index.echo',
          Environment: { Variables: { AWS_REGION: 'eu-west-1' } },
          Code: { ZipFile: zipOf(echoFiles()) },
        }),
      ),
    );
    expect(reserved.name).toBe('InvalidParameterValueException');
    expect(reserved.message).toBe(
      'Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: AWS_REGION',
    );
  });

  it('a fault switch makes the next role check fail like a freshly created role on AWS', async () => {
    const switched = await cloud.control('faults', { method: 'POST', body: JSON.stringify({ roleNotAssumableFor: 1 }) });
    expect(switched.status).toBe(200);
    expect(await switched.json()).toMatchObject({ roleNotAssumableFor: 1 });
    const input = { FunctionName: 'eventually', Runtime: 'nodejs22.x' as const, Role: role, Handler: 'index.echo', Code: { ZipFile: zipOf(echoFiles()) } };
    const err = await failure(lambda.send(new CreateFunctionCommand(input)));
    expect(err.message).toBe('The role defined for the function cannot be assumed by Lambda.');
    expect((await lambda.send(new CreateFunctionCommand(input))).State).toBe('Pending');
  });
});

describe('reading functions', () => {
  beforeAll(async () => {
    for (const name of ['list-a', 'list-b', 'list-c']) {
      await deployFunction(lambda, { FunctionName: name, Role: role, Handler: 'index.echo', files: echoFiles() });
    }
  });

  it('GetFunctionConfiguration, by name, partial ARN, full ARN and $LATEST', async () => {
    for (const FunctionName of ['list-a', `${ACCOUNT}:function:list-a`, fnArn('list-a'), `${fnArn('list-a')}:$LATEST`]) {
      const out = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName }));
      expect(out).toMatchObject({ FunctionName: 'list-a', State: 'Active', LastUpdateStatus: 'Successful' });
    }
  });

  it('a missing function is 404 "Function not found: ARN" (Invoke adds :$LATEST), body {Type, Message}', async () => {
    const err = await failure(lambda.send(new GetFunctionCommand({ FunctionName: 'nope' })));
    expect(err.name).toBe('ResourceNotFoundException');
    expect(err.$metadata.httpStatusCode).toBe(404);
    expect(err.message).toBe(`Function not found: ${fnArn('nope')}`);

    const invoke = await failure(lambda.send(new InvokeCommand({ FunctionName: 'nope' })));
    expect(invoke.message).toBe(`Function not found: ${fnArn('nope')}:$LATEST`);

    const raw = await signedFetch(`${cloud.url}/2015-03-31/functions/nope`, { service: 'lambda', method: 'GET' });
    expect(raw.status).toBe(404);
    expect(raw.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');
    expect(await raw.json()).toEqual({ Type: 'User', Message: `Function not found: ${fnArn('nope')}` });
  });

  it('ListFunctions pages by MaxItems and Marker, without the state fields', async () => {
    const first = await lambda.send(new ListFunctionsCommand({ MaxItems: 2 }));
    expect(first.Functions!.map((f) => f.FunctionName)).toHaveLength(2);
    expect(first.NextMarker).toBeTruthy();
    const names: string[] = [];
    let marker: string | undefined;
    do {
      const page = await lambda.send(new ListFunctionsCommand({ MaxItems: 2, Marker: marker }));
      names.push(...page.Functions!.map((f) => f.FunctionName!));
      marker = page.NextMarker;
    } while (marker);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(['list-a', 'list-b', 'list-c']));
    expect(first.Functions![0]).not.toHaveProperty('State');
    expect(first.Functions![0]).toMatchObject({ Runtime: expect.any(String), PackageType: 'Zip', Version: '$LATEST' });
  });
});

describe('updates', () => {
  beforeAll(() => deployFunction(lambda, { FunctionName: 'updatable', Role: role, Handler: 'index.echo', files: echoFiles() }));

  it('UpdateFunctionConfiguration: InProgress, then Successful; the waiter returns at once', async () => {
    const before = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'updatable' }));
    const out = await lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: 'updatable',
        Timeout: 10,
        MemorySize: 256,
        Description: 'takes orders',
        Environment: { Variables: { QUEUE_URL: 'http://q' } },
      }),
    );
    expect(out).toMatchObject({
      State: 'Active',
      LastUpdateStatus: 'InProgress',
      LastUpdateStatusReason: 'The function is being created.',
      LastUpdateStatusReasonCode: 'Creating',
      Timeout: 10,
      MemorySize: 256,
      Description: 'takes orders',
      Environment: { Variables: { QUEUE_URL: 'http://q' } },
    });
    expect(out.RevisionId).not.toBe(before.RevisionId);
    const started = performance.now();
    await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 10 }, { FunctionName: 'updatable' });
    expect(performance.now() - started).toBeLessThan(500);
    const after = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'updatable' }));
    expect(after).toMatchObject({ LastUpdateStatus: 'Successful', Timeout: 10, MemorySize: 256 });
    expect(after).not.toHaveProperty('LastUpdateStatusReason');
  });

  it('a stale RevisionId is 412 PreconditionFailedException', async () => {
    const err = await failure(lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'updatable', Timeout: 5, RevisionId: 'stale' })));
    expect(err.name).toBe('PreconditionFailedException');
    expect(err.$metadata.httpStatusCode).toBe(412);
  });

  it('UpdateFunctionCode swaps the code; the next invocation runs it', async () => {
    const files = { 'index.mjs': `export const echo = async () => 'version two';` };
    const out = await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'updatable', ZipFile: zipOf(files) }));
    expect(out.LastUpdateStatus).toBe('InProgress');
    expect(out.CodeSha256).toBe(createHash('sha256').update(zipOf(files)).digest('base64'));
    await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 10 }, { FunctionName: 'updatable' });
    expect(payloadOf(await lambda.send(new InvokeCommand({ FunctionName: 'updatable' })))).toBe('version two');
  });
});

describe('resource policy', () => {
  beforeAll(() => deployFunction(lambda, { FunctionName: 'guarded', Role: role, Handler: 'index.echo', files: echoFiles() }));

  it('GetPolicy without any statement is 404', async () => {
    const err = await failure(lambda.send(new GetPolicyCommand({ FunctionName: 'guarded' })));
    expect(err.name).toBe('ResourceNotFoundException');
    expect(err.message).toBe('The resource you requested does not exist.');
  });

  it('AddPermission returns the statement exactly as AWS writes it', async () => {
    const sourceArn = `arn:aws:execute-api:us-east-1:${ACCOUNT}:abc123/*/POST/orders`;
    const api = await lambda.send(
      new AddPermissionCommand({
        FunctionName: 'guarded',
        StatementId: 'apigateway',
        Action: 'lambda:InvokeFunction',
        Principal: 'apigateway.amazonaws.com',
        SourceArn: sourceArn,
      }),
    );
    expect(api.$metadata.httpStatusCode).toBe(201);
    expect(JSON.parse(api.Statement!)).toEqual({
      Sid: 'apigateway',
      Effect: 'Allow',
      Principal: { Service: 'apigateway.amazonaws.com' },
      Action: 'lambda:InvokeFunction',
      Resource: fnArn('guarded'),
      Condition: { ArnLike: { 'AWS:SourceArn': sourceArn } },
    });
    expect(Object.keys(JSON.parse(api.Statement!))).toEqual(['Sid', 'Effect', 'Principal', 'Action', 'Resource', 'Condition']);

    const sns = await lambda.send(
      new AddPermissionCommand({
        FunctionName: 'guarded',
        StatementId: 'sns',
        Action: 'lambda:InvokeFunction',
        Principal: 'sns.amazonaws.com',
        SourceAccount: ACCOUNT,
        SourceArn: `arn:aws:sns:us-east-1:${ACCOUNT}:updates`,
      }),
    );
    expect(JSON.parse(sns.Statement!).Condition).toEqual({
      StringEquals: { 'AWS:SourceAccount': ACCOUNT },
      ArnLike: { 'AWS:SourceArn': `arn:aws:sns:us-east-1:${ACCOUNT}:updates` },
    });

    const account = await lambda.send(
      new AddPermissionCommand({ FunctionName: 'guarded', StatementId: 'account', Action: 'lambda:InvokeFunction', Principal: '111122223333' }),
    );
    expect(JSON.parse(account.Statement!).Principal).toEqual({ AWS: 'arn:aws:iam::111122223333:root' });

    const policy = await lambda.send(new GetPolicyCommand({ FunctionName: 'guarded' }));
    const doc = JSON.parse(policy.Policy!);
    expect(doc).toMatchObject({ Version: '2012-10-17', Id: 'default' });
    expect(doc.Statement.map((s: { Sid: string }) => s.Sid)).toEqual(['apigateway', 'sns', 'account']);
    expect(policy.RevisionId).toBe((await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'guarded' }))).RevisionId);
  });

  it('a duplicate statement id is 409; a bad principal is 400', async () => {
    const duplicate = await failure(
      lambda.send(new AddPermissionCommand({ FunctionName: 'guarded', StatementId: 'apigateway', Action: 'lambda:InvokeFunction', Principal: 's3.amazonaws.com' })),
    );
    expect(duplicate.name).toBe('ResourceConflictException');
    expect(duplicate.$metadata.httpStatusCode).toBe(409);
    expect(duplicate.message).toBe(
      'The statement id (apigateway) provided already exists. Please provide a new statement id, or remove the existing statement.',
    );
    const principal = await failure(
      lambda.send(new AddPermissionCommand({ FunctionName: 'guarded', StatementId: 'odd', Action: 'lambda:InvokeFunction', Principal: 'not a principal' })),
    );
    expect(principal.name).toBe('InvalidParameterValueException');
    expect(principal.$metadata.httpStatusCode).toBe(400);
    expect(principal.message).toBe('The provided principal was invalid. Please check the principal and try again.');
  });

  it('RemovePermission removes one statement; an unknown one is 404', async () => {
    await lambda.send(new RemovePermissionCommand({ FunctionName: 'guarded', StatementId: 'account' }));
    const doc = JSON.parse((await lambda.send(new GetPolicyCommand({ FunctionName: 'guarded' }))).Policy!);
    expect(doc.Statement.map((s: { Sid: string }) => s.Sid)).toEqual(['apigateway', 'sns']);
    const err = await failure(lambda.send(new RemovePermissionCommand({ FunctionName: 'guarded', StatementId: 'account' })));
    expect(err.name).toBe('ResourceNotFoundException');
    expect(err.message).toBe('Statement account is not found in resource policy.');
  });

  it('the policy decides whether a service may invoke, by principal and SourceArn', async () => {
    const lambdaBackend = cloud.cloud.lambda;
    const allowed = `arn:aws:execute-api:us-east-1:${ACCOUNT}:abc123/prod/POST/orders`;
    expect(lambdaBackend.evaluateInvoke('guarded', 'apigateway.amazonaws.com', allowed, ACCOUNT).decision).toBe('Allow');
    expect(lambdaBackend.evaluateInvoke('guarded', 'apigateway.amazonaws.com', `arn:aws:execute-api:us-east-1:${ACCOUNT}:other/prod/POST/orders`).decision).toBe('ImplicitDeny');
    expect(lambdaBackend.evaluateInvoke('guarded', 'apigateway.amazonaws.com').decision).toBe('ImplicitDeny');
    expect(lambdaBackend.evaluateInvoke('guarded', 's3.amazonaws.com', allowed).decision).toBe('ImplicitDeny');

    const out = await lambdaBackend.invoke('guarded', { hello: 'api' }, { principal: 'apigateway.amazonaws.com', sourceArn: allowed });
    expect(JSON.parse(out.payload.toString()).event).toEqual({ hello: 'api' });
    await expect(
      lambdaBackend.invoke(fnArn('guarded'), {}, { principal: 'apigateway.amazonaws.com', sourceArn: 'arn:aws:execute-api:us-east-1:000000000000:zzz/prod/GET/' }),
    ).rejects.toMatchObject({
      code: 'AccessDeniedException',
      message: `User: apigateway.amazonaws.com is not authorized to perform: lambda:InvokeFunction on resource: ${fnArn('guarded')}`,
    });
  });

  it('every AddPermission and RemovePermission takes effect on the next decision (the parsed policy is kept per revision)', async () => {
    const lambdaBackend = cloud.cloud.lambda;
    const topic = `arn:aws:sns:us-east-1:${ACCOUNT}:later`;
    const decide = () => lambdaBackend.evaluateInvoke('guarded', 'sns.amazonaws.com', topic, ACCOUNT).decision;
    expect(decide()).toBe('ImplicitDeny');
    expect(decide()).toBe('ImplicitDeny');
    await lambda.send(
      new AddPermissionCommand({ FunctionName: 'guarded', StatementId: 'later', Action: 'lambda:InvokeFunction', Principal: 'sns.amazonaws.com', SourceArn: topic }),
    );
    expect(decide()).toBe('Allow');
    await lambda.send(new RemovePermissionCommand({ FunctionName: 'guarded', StatementId: 'later' }));
    expect(decide()).toBe('ImplicitDeny');
    await lambda.send(
      new AddPermissionCommand({ FunctionName: 'guarded', StatementId: 'later', Action: 'lambda:InvokeFunction', Principal: 'sns.amazonaws.com', SourceArn: `${topic}-other` }),
    );
    expect(decide()).toBe('ImplicitDeny');
    await lambda.send(new RemovePermissionCommand({ FunctionName: 'guarded', StatementId: 'later' }));
  });
});

describe('tags and deletion', () => {
  it('tags at creation, TagResource, UntagResource, ListTags; GetFunction shows them', async () => {
    await deployFunction(lambda, { FunctionName: 'tagged', Role: role, Handler: 'index.echo', files: echoFiles(), Tags: { workbook: 'test' } });
    await lambda.send(new TagResourceCommand({ Resource: fnArn('tagged'), Tags: { stage: 'intake', team: 'orders' } }));
    await lambda.send(new UntagResourceCommand({ Resource: fnArn('tagged'), TagKeys: ['team'] }));
    expect((await lambda.send(new ListTagsCommand({ Resource: fnArn('tagged') }))).Tags).toEqual({ workbook: 'test', stage: 'intake' });
    expect((await lambda.send(new GetFunctionCommand({ FunctionName: 'tagged' }))).Tags).toEqual({ workbook: 'test', stage: 'intake' });
    const err = await failure(lambda.send(new ListTagsCommand({ Resource: fnArn('untagged-nothing') })));
    expect(err.name).toBe('ResourceNotFoundException');
  });

  it('DeleteFunction answers 204; the function is gone', async () => {
    await deployFunction(lambda, { FunctionName: 'doomed', Role: role, Handler: 'index.echo', files: echoFiles() });
    const out = await lambda.send(new DeleteFunctionCommand({ FunctionName: 'doomed' }));
    expect(out.$metadata.httpStatusCode).toBe(204);
    const err = await failure(lambda.send(new GetFunctionCommand({ FunctionName: 'doomed' })));
    expect(err.message).toBe(`Function not found: ${fnArn('doomed')}`);
    const again = await failure(lambda.send(new DeleteFunctionCommand({ FunctionName: 'doomed' })));
    expect(again.name).toBe('ResourceNotFoundException');
  });
});

describe('aws CLI', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lambda-cli-'));
    await deployFunction(lambda, { FunctionName: 'cli-echo', Role: role, Handler: 'index.echo', files: echoFiles() });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lambda list-functions and get-function', async () => {
    const list = await cloud.aws('lambda', 'list-functions');
    expect(list.code, list.stderr).toBe(0);
    expect(list.json.Functions.map((f: { FunctionName: string }) => f.FunctionName)).toContain('cli-echo');
    const get = await cloud.aws('lambda', 'get-function', '--function-name', 'cli-echo');
    expect(get.code, get.stderr).toBe(0);
    expect(get.json.Configuration).toMatchObject({ FunctionName: 'cli-echo', State: 'Active', Handler: 'index.echo' });
    expect(get.json.Code.RepositoryType).toBe('S3');
    const missing = await cloud.aws('lambda', 'get-function', '--function-name', 'no-such-fn');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain(
      `An error occurred (ResourceNotFoundException) when calling the GetFunction operation: Function not found: ${fnArn('no-such-fn')}`,
    );
  });

  it('lambda invoke with a raw JSON payload', async () => {
    const outFile = join(dir, 'out.json');
    writeFileSync(outFile, '');
    const out = await cloud.aws(
      'lambda',
      'invoke',
      '--function-name',
      'cli-echo',
      '--cli-binary-format',
      'raw-in-base64-out',
      '--payload',
      '{"orderId":"o-42"}',
      outFile,
    );
    expect(out.code, out.stderr).toBe(0);
    expect(out.json).toEqual({ StatusCode: 200, ExecutedVersion: '$LATEST' });
    expect(JSON.parse(readFileSync(outFile, 'utf8')).event).toEqual({ orderId: 'o-42' });
  });
});
