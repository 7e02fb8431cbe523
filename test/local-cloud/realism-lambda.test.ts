import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateFunctionCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import { RealismProfile } from '../../local-cloud/realism/profile.ts';
import { AWS_TIMING } from '../../local-cloud/realism/aws-timing.ts';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { createLambdaRole, payloadOf, zipOf } from '../fixtures/lambda/helpers.ts';

/**
 * The realism profile in Lambda: CreateFunction leaves the function Pending for AWS's time
 * (scaled), updates stay InProgress, both refuse what AWS refuses meanwhile with AWS's words, the
 * SDK's waiters see it through, and a cold start costs what it costs on AWS. (The aws CLI:
 * realism-cli.test.ts.)
 */

const SCALE = 0.1;
const ACCOUNT = '000000000000';
const HANDLER = `export const handler = async () => ({ version: process.env.VERSION ?? 'none' });`;
const ROLE = 'realism-lambda-role';

let cloud: TestCloud;
let lambda: LambdaClient;
let roleArn: string;

beforeAll(async () => {
  cloud = await startTestCloud({ realism: RealismProfile.aws(SCALE) });
  lambda = new LambdaClient(cloud.clientConfig);
  roleArn = await createLambdaRole(cloud, ROLE, { logs: true });
  // The new role reaches Lambda only after a while (realism-iam.test.ts): wait it out by the cloud's clock.
  await sleep(cloud.cloud.iam.inForce.remainingMs(ROLE) + 20);
});

afterAll(async () => {
  await cloud?.close();
});

const pendingMessage = 'The operation cannot be performed at this time. The function is currently in the following state: Pending';
const inProgressMessage = (name: string) =>
  `The operation cannot be performed at this time. An update is in progress for resource: arn:aws:lambda:us-east-1:${ACCOUNT}:function:${name}`;

async function create(name: string, version = '1') {
  return lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'nodejs22.x',
      Role: roleArn,
      Handler: 'index.handler',
      Environment: { Variables: { VERSION: version } },
      Code: { ZipFile: zipOf({ 'index.mjs': HANDLER }) },
    }),
  );
}

describe('CreateFunction under the realism profile', () => {
  it('answers Pending (Creating), refuses invocations and updates with ResourceConflictException, then turns Active', async () => {
    const started = Date.now();
    const created = await create('pending-fn');
    expect(created).toMatchObject({ State: 'Pending', StateReason: 'The function is being created.', StateReasonCode: 'Creating' });

    const read = await lambda.send(new GetFunctionCommand({ FunctionName: 'pending-fn' }));
    expect(read.Configuration).toMatchObject({ State: 'Pending', StateReasonCode: 'Creating' });

    const conflict = { name: 'ResourceConflictException', message: pendingMessage, $metadata: { httpStatusCode: 409 } };
    await expect(lambda.send(new InvokeCommand({ FunctionName: 'pending-fn', Payload: Buffer.from('{}') }))).rejects.toMatchObject(conflict);
    await expect(
      lambda.send(new InvokeCommand({ FunctionName: 'pending-fn', InvocationType: 'Event', Payload: Buffer.from('{}') })),
    ).rejects.toMatchObject(conflict);
    await expect(
      lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'pending-fn', Timeout: 5 })),
    ).rejects.toMatchObject(conflict);
    await expect(
      lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'pending-fn', ZipFile: zipOf({ 'index.mjs': HANDLER }) })),
    ).rejects.toMatchObject(conflict);

    const waited = await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 20 }, { FunctionName: 'pending-fn' });
    expect(waited.state).toBe('SUCCESS');
    expect(Date.now() - started).toBeGreaterThanOrEqual(AWS_TIMING.functionPending * SCALE - 20);

    const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'pending-fn' }));
    expect(config.State).toBe('Active');
    expect(config.StateReason).toBeUndefined();
    expect(config.StateReasonCode).toBeUndefined();
    expect(config.LastUpdateStatus).toBe('Successful');
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'pending-fn', Payload: Buffer.from('{}') }));
    expect(payloadOf(out)).toEqual({ version: '1' });
  });
});

describe('updates under the realism profile', () => {
  it('stay InProgress for AWS time; a second update conflicts with AWS words; the old version serves meanwhile', async () => {
    await create('update-fn', '1');
    await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 20 }, { FunctionName: 'update-fn' });
    expect(payloadOf(await lambda.send(new InvokeCommand({ FunctionName: 'update-fn' })))).toEqual({ version: '1' });

    const started = Date.now();
    const updated = await lambda.send(
      new UpdateFunctionConfigurationCommand({ FunctionName: 'update-fn', Environment: { Variables: { VERSION: '2' } } }),
    );
    expect(updated).toMatchObject({
      State: 'Active',
      LastUpdateStatus: 'InProgress',
      LastUpdateStatusReason: 'The function is being created.',
      LastUpdateStatusReasonCode: 'Creating',
    });
    const read = await lambda.send(new GetFunctionCommand({ FunctionName: 'update-fn' }));
    expect(read.Configuration?.LastUpdateStatus).toBe('InProgress');

    const conflict = { name: 'ResourceConflictException', message: inProgressMessage('update-fn'), $metadata: { httpStatusCode: 409 } };
    await expect(
      lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'update-fn', Timeout: 7 })),
    ).rejects.toMatchObject(conflict);
    await expect(
      lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'update-fn', ZipFile: zipOf({ 'index.mjs': HANDLER }) })),
    ).rejects.toMatchObject(conflict);
    // As on AWS, invocations go to the previous version until the update is done.
    expect(payloadOf(await lambda.send(new InvokeCommand({ FunctionName: 'update-fn' })))).toEqual({ version: '1' });

    const waited = await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 20 }, { FunctionName: 'update-fn' });
    expect(waited.state).toBe('SUCCESS');
    expect(Date.now() - started).toBeGreaterThanOrEqual(AWS_TIMING.functionUpdate * SCALE - 20);
    const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'update-fn' }));
    expect(config).toMatchObject({ LastUpdateStatus: 'Successful', Environment: { Variables: { VERSION: '2' } } });
    expect(config.LastUpdateStatusReason).toBeUndefined();
    expect(payloadOf(await lambda.send(new InvokeCommand({ FunctionName: 'update-fn' })))).toEqual({ version: '2' });

    // UpdateFunctionCode the same way: InProgress, a conflict, the waiter, the new code.
    const code = await lambda.send(
      new UpdateFunctionCodeCommand({
        FunctionName: 'update-fn',
        ZipFile: zipOf({ 'index.mjs': `export const handler = async () => ({ version: 'code-3' });` }),
      }),
    );
    expect(code.LastUpdateStatus).toBe('InProgress');
    await expect(
      lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'update-fn', Timeout: 7 })),
    ).rejects.toMatchObject(conflict);
    await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 20 }, { FunctionName: 'update-fn' });
    expect(payloadOf(await lambda.send(new InvokeCommand({ FunctionName: 'update-fn' })))).toEqual({ version: 'code-3' });
  });
});

describe('cold starts under the realism profile', () => {
  it("a new sandbox's first invocation takes AWS's cold start on top of the local one; a warm one none", async () => {
    await create('cold-fn');
    await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 20 }, { FunctionName: 'cold-fn' });
    const coldMs = AWS_TIMING.coldStart * SCALE;
    const cold = await lambda.send(new InvokeCommand({ FunctionName: 'cold-fn', LogType: 'Tail' }));
    const coldLog = Buffer.from(cold.LogResult!, 'base64').toString('utf8');
    const init = Number(/Init Duration: ([\d.]+) ms/.exec(coldLog)?.[1]);
    expect(init).toBeGreaterThanOrEqual(coldMs);
    const warm = await lambda.send(new InvokeCommand({ FunctionName: 'cold-fn', LogType: 'Tail' }));
    expect(Buffer.from(warm.LogResult!, 'base64').toString('utf8')).not.toContain('Init Duration');
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
