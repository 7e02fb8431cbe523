import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  CreateEventSourceMappingCommand,
  DeleteEventSourceMappingCommand,
  GetEventSourceMappingCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { createLambdaRole, deployFunction } from '../fixtures/lambda/helpers.ts';

/** The event source mapping API: shapes, states, AWS's create-time checks word for word, the aws CLI. */

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const HANDLER = { 'index.mjs': 'export const handler = async () => ({});' };

let cloud: TestCloud;
let lambda: LambdaClient;
let sqs: SQSClient;
let iam: IAMClient;
let role: string;
const functionArn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
const queueArn = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;

async function failure(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

async function queue(name: string, attributes: Record<string, string> = {}): Promise<string> {
  await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  return queueArn(name);
}

/** A role Lambda can assume, allowed exactly these SQS actions. */
async function roleAllowing(name: string, actions: string[]): Promise<string> {
  const arn = await createLambdaRole(cloud, name);
  if (actions.length) {
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: name,
        PolicyName: 'sqs',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] }),
      }),
    );
  }
  return arn;
}

/** Polls Get (every 20 ms, with a deadline) until the state is reached. */
async function untilState(uuid: string, state: string): Promise<void> {
  const deadline = performance.now() + 5000;
  for (;;) {
    const current = await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid })).then((m) => m.State);
    if (current === state) return;
    if (performance.now() > deadline) throw new Error(`mapping ${uuid} stayed ${current}, expected ${state}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeAll(async () => {
  cloud = await startTestCloud();
  lambda = new LambdaClient(cloud.clientConfig);
  sqs = new SQSClient(cloud.clientConfig);
  iam = new IAMClient(cloud.clientConfig);
  role = await roleAllowing('esm-api-role', ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes']);
  await Promise.all([
    deployFunction(lambda, { FunctionName: 'consumer', Role: role, Handler: 'index.handler', Timeout: 3, files: HANDLER }),
    deployFunction(lambda, { FunctionName: 'other', Role: role, Handler: 'index.handler', Timeout: 3, files: HANDLER }),
    deployFunction(lambda, { FunctionName: 'slow', Role: role, Handler: 'index.handler', Timeout: 60, files: HANDLER }),
  ]);
});

afterAll(async () => {
  lambda?.destroy();
  sqs?.destroy();
  iam?.destroy();
  await cloud?.close();
});

describe('lifecycle', () => {
  it('Create answers 202 Creating with AWS fields; Get then shows Enabled; Update 202 Updating; Delete 202 Deleting, then gone', async () => {
    const source = await queue('lifecycle');
    const created = await lambda.send(
      new CreateEventSourceMappingCommand({ FunctionName: 'consumer', EventSourceArn: source, FunctionResponseTypes: ['ReportBatchItemFailures'] }),
    );
    const { $metadata, ...body } = created;
    expect($metadata.httpStatusCode).toBe(202);
    expect(body).toEqual({
      UUID: expect.stringMatching(/^[0-9a-f-]{36}$/),
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 0,
      EventSourceArn: source,
      FunctionArn: functionArn('consumer'),
      LastModified: expect.any(Date),
      State: 'Creating',
      StateTransitionReason: 'USER_INITIATED',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      EventSourceMappingArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:event-source-mapping:${created.UUID}`,
    });
    const uuid = created.UUID!;
    await untilState(uuid, 'Enabled');

    const updated = await lambda.send(
      new UpdateEventSourceMappingCommand({ UUID: uuid, BatchSize: 100, MaximumBatchingWindowInSeconds: 2, ScalingConfig: { MaximumConcurrency: 4 } }),
    );
    expect(updated.$metadata.httpStatusCode).toBe(202);
    expect(updated).toMatchObject({ State: 'Updating', BatchSize: 100, MaximumBatchingWindowInSeconds: 2, ScalingConfig: { MaximumConcurrency: 4 } });
    await untilState(uuid, 'Enabled');

    const tooBig = await failure(lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, MaximumBatchingWindowInSeconds: 0 })));
    expect(tooBig.name).toBe('InvalidParameterValueException');
    expect(tooBig.message).toBe('Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10');

    const deleted = await lambda.send(new DeleteEventSourceMappingCommand({ UUID: uuid }));
    expect(deleted.$metadata.httpStatusCode).toBe(202);
    expect(deleted.State).toBe('Deleting');
    const deadline = performance.now() + 5000;
    let gone: any;
    while (!gone) {
      gone = await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid })).then(() => undefined, (err) => err);
      if (!gone && performance.now() > deadline) throw new Error('the mapping was not deleted');
      if (!gone) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(gone.name).toBe('ResourceNotFoundException');
    expect(gone.message).toBe('The resource you requested does not exist.');
    expect(gone.$metadata.httpStatusCode).toBe(404);
  });

  it('List filters by EventSourceArn and FunctionName and pages with Marker/MaxItems; the aws CLI reads it', async () => {
    const a = await queue('list-a');
    const b = await queue('list-b');
    const ab = await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'consumer', EventSourceArn: a }));
    const bb = await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'consumer', EventSourceArn: b }));
    const ao = await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: functionArn('other'), EventSourceArn: a }));

    const byQueue = await lambda.send(new ListEventSourceMappingsCommand({ EventSourceArn: a }));
    expect(byQueue.EventSourceMappings!.map((m) => m.UUID)).toEqual([ab.UUID, ao.UUID]);
    const byFunction = await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: 'other' }));
    expect(byFunction.EventSourceMappings!.map((m) => m.UUID)).toEqual([ao.UUID]);
    const both = await lambda.send(new ListEventSourceMappingsCommand({ EventSourceArn: b, FunctionName: functionArn('consumer') }));
    expect(both.EventSourceMappings!.map((m) => m.UUID)).toEqual([bb.UUID]);

    const page1 = await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: 'consumer', MaxItems: 1 }));
    expect(page1.EventSourceMappings!.map((m) => m.UUID)).toEqual([ab.UUID]);
    expect(page1.NextMarker).toBeTruthy();
    const page2 = await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: 'consumer', MaxItems: 1, Marker: page1.NextMarker }));
    expect(page2.EventSourceMappings!.map((m) => m.UUID)).toEqual([bb.UUID]);
    expect(page2.NextMarker).toBeUndefined();

    await untilState(ao.UUID!, 'Enabled');
    const cli = await cloud.aws('lambda', 'list-event-source-mappings', '--function-name', 'other');
    expect(cli.code).toBe(0);
    // The CLI (botocore 2.9) prints LastModified as a date and does not know EventSourceMappingArn yet.
    expect(cli.json.EventSourceMappings).toEqual([
      {
        UUID: ao.UUID,
        BatchSize: 10,
        MaximumBatchingWindowInSeconds: 0,
        EventSourceArn: a,
        FunctionArn: functionArn('other'),
        LastModified: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/),
        State: 'Enabled',
        StateTransitionReason: 'USER_INITIATED',
        FunctionResponseTypes: [],
      },
    ]);
  });

  it('Create with Enabled=false settles Disabled', async () => {
    const source = await queue('born-disabled');
    const created = await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'consumer', EventSourceArn: source, Enabled: false }));
    expect(created.State).toBe('Creating');
    await untilState(created.UUID!, 'Disabled');
    expect(cloud.cloud.lambda.eventSourceMappings.pollerCount(created.UUID!)).toBe(0);
  });
});

describe("AWS's create-time checks, word for word", () => {
  it('the queue visibility timeout below the function timeout', async () => {
    const source = await queue('short-visibility'); // VisibilityTimeout 30 (the default), the function's timeout 60
    const err = await failure(lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'slow', EventSourceArn: source })));
    expect(err.name).toBe('InvalidParameterValueException');
    expect(err.$metadata.httpStatusCode).toBe(400);
    expect(err.message).toBe('Queue visibility timeout: 30 seconds is less than Function timeout: 60 seconds');
  });

  it('an execution role that cannot ReceiveMessage, DeleteMessage or GetQueueAttributes names the first missing call', async () => {
    const source = await queue('guarded');
    const cases: Array<[string, string[], string]> = [
      ['no-sqs', [], 'ReceiveMessage'],
      ['receive-only', ['sqs:ReceiveMessage'], 'DeleteMessage'],
      ['receive-delete', ['sqs:ReceiveMessage', 'sqs:DeleteMessage'], 'GetQueueAttributes'],
    ];
    for (const [name, actions, missing] of cases) {
      const arn = await roleAllowing(`esm-${name}`, actions);
      await deployFunction(lambda, { FunctionName: `fn-${name}`, Role: arn, Handler: 'index.handler', files: HANDLER });
      const err = await failure(lambda.send(new CreateEventSourceMappingCommand({ FunctionName: `fn-${name}`, EventSourceArn: source })));
      expect(err.name).toBe('InvalidParameterValueException');
      expect(err.$metadata.httpStatusCode).toBe(400);
      expect(err.message).toBe(`The provided execution role does not have permissions to call ${missing} on SQS`);
    }
  });

  it('a duplicate mapping is a 409 naming the existing one', async () => {
    const source = await queue('duplicated');
    const first = await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'consumer', EventSourceArn: source }));
    const err = await failure(lambda.send(new CreateEventSourceMappingCommand({ FunctionName: functionArn('consumer'), EventSourceArn: source })));
    expect(err.name).toBe('ResourceConflictException');
    expect(err.$metadata.httpStatusCode).toBe(409);
    expect(err.message).toBe(
      `An event source mapping with SQS arn (" ${source} ") and function (" consumer ") already exists. ` +
        `Please update or delete the existing mapping with UUID ${first.UUID}`,
    );
  });

  it('a missing queue, a missing function', async () => {
    const noQueue = await failure(
      lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'consumer', EventSourceArn: queueArn('no-such-queue') })),
    );
    expect(noQueue.name).toBe('InvalidParameterValueException');
    expect(noQueue.message).toBe(
      'Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue does not exist.',
    );
    const noFunction = await failure(
      lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'no-such-function', EventSourceArn: await queue('orphan') })),
    );
    expect(noFunction.name).toBe('ResourceNotFoundException');
    expect(noFunction.$metadata.httpStatusCode).toBe(404);
    expect(noFunction.message).toBe(`Function not found: ${functionArn('no-such-function')}`);
  });

  it('batch size and batching window rules', async () => {
    const source = await queue('batching', { VisibilityTimeout: '60' });
    const create = (input: Record<string, unknown>) =>
      failure(lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'consumer', EventSourceArn: source, ...input })));

    const needsWindow = await create({ BatchSize: 11 });
    expect(needsWindow.name).toBe('InvalidParameterValueException');
    expect(needsWindow.message).toBe('Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10');

    const tooMany = await create({ BatchSize: 10_001, MaximumBatchingWindowInSeconds: 1 });
    expect(tooMany.name).toBe('ValidationException');
    expect(tooMany.message).toBe(
      "1 validation error detected: Value '10001' at 'batchSize' failed to satisfy constraint: Member must have value less than or equal to 10000",
    );
    const none = await create({ BatchSize: 0 });
    expect(none.message).toBe(
      "1 validation error detected: Value '0' at 'batchSize' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
    const longWindow = await create({ MaximumBatchingWindowInSeconds: 301 });
    expect(longWindow.message).toBe(
      "1 validation error detected: Value '301' at 'maximumBatchingWindowInSeconds' failed to satisfy constraint: Member must have value less than or equal to 300",
    );
    const oneWorker = await create({ ScalingConfig: { MaximumConcurrency: 1 } });
    expect(oneWorker.message).toBe(
      "1 validation error detected: Value '1' at 'scalingConfig.maximumConcurrency' failed to satisfy constraint: Member must have value greater than or equal to 2",
    );
    const position = await create({ StartingPosition: 'LATEST' });
    expect(position.name).toBe('InvalidParameterValueException');
    expect(position.message).toBe('StartingPosition is not valid for SQS event sources.');

    const ok = await lambda.send(
      new CreateEventSourceMappingCommand({ FunctionName: 'consumer', EventSourceArn: source, BatchSize: 1000, MaximumBatchingWindowInSeconds: 5 }),
    );
    expect(ok).toMatchObject({ BatchSize: 1000, MaximumBatchingWindowInSeconds: 5, State: 'Creating' });
  });

  it('an unknown UUID is a 404', async () => {
    const err = await failure(lambda.send(new GetEventSourceMappingCommand({ UUID: '00000000-0000-0000-0000-000000000000' })));
    expect(err.name).toBe('ResourceNotFoundException');
    expect(err.$metadata.httpStatusCode).toBe(404);
  });
});
