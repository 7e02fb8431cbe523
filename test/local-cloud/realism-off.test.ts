import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  CreateEventSourceMappingCommand,
  CreateFunctionCommand,
  GetEventSourceMappingCommand,
  GetFunctionCommand,
  InvokeCommand,
  LambdaClient,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { RealismProfile } from '../../local-cloud/realism/profile.ts';
import { realismEnvironment, realismFromSettings } from '../../local-cloud/realism/settings.ts';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { startCloudProcess } from '../support/process.ts';
import { runScript } from '../workbook/support.ts';
import { createLambdaRole, payloadOf, zipOf } from '../fixtures/lambda/helpers.ts';

/**
 * Realism off (the default) changes nothing: every change is in force at once. And the setting
 * itself: flags and variables, the errors that name what is accepted, the ready line and health.
 */

const ACCOUNT = '000000000000';

describe('realism off (the default)', () => {
  let cloud: TestCloud;
  beforeAll(async () => {
    cloud = await startTestCloud();
  });
  afterAll(async () => {
    await cloud?.close();
  });

  it('a new role, its policy, the function, updates and a mapping are all in effect at once', async () => {
    expect(cloud.cloud.realism.enabled).toBe(false);
    const started = performance.now();
    const lambda = new LambdaClient(cloud.clientConfig);
    const sqs = new SQSClient(cloud.clientConfig);
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'off-queue' }));
    const queueArn = `arn:aws:sqs:us-east-1:${ACCOUNT}:off-queue`;
    const role = await createLambdaRole(cloud, 'off-role');
    await new IAMClient(cloud.clientConfig).send(
      new PutRolePolicyCommand({
        RoleName: 'off-role',
        PolicyName: 'queue',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: ['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'], Resource: queueArn }],
        }),
      }),
    );
    // No waiting anywhere: CreateFunction right after CreateRole, no waiter, no retry.
    const handler = `
      import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
      export const handler = async () => { await new SQSClient({}).send(new SendMessageCommand({ QueueUrl: process.env.QUEUE_URL, MessageBody: 'x' })); return 'sent'; };`;
    const created = await lambda.send(
      new CreateFunctionCommand({
        FunctionName: 'off-fn',
        Runtime: 'nodejs22.x',
        Role: role,
        Handler: 'index.handler',
        Environment: { Variables: { QUEUE_URL: QueueUrl! } },
        Code: { ZipFile: zipOf({ 'index.mjs': handler }) },
      }),
    );
    expect(created.State).toBe('Pending'); // as AWS answers; reads wait for the (quick) transition
    expect((await lambda.send(new GetFunctionCommand({ FunctionName: 'off-fn' }))).Configuration?.State).toBe('Active');
    expect(payloadOf(await lambda.send(new InvokeCommand({ FunctionName: 'off-fn' })))).toBe('sent');
    // Two updates back to back: the second waits for the first, no ResourceConflictException.
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'off-fn', Timeout: 5 }));
    const second = await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'off-fn', Timeout: 6 }));
    expect(second.Timeout).toBe(6);
    // The mapping: accepted with a policy put a moment ago, Enabled at once.
    const mapping = await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'off-fn', EventSourceArn: queueArn }));
    expect(mapping.State).toBe('Creating');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await lambda.send(new GetEventSourceMappingCommand({ UUID: mapping.UUID }))).State).toBe('Enabled');
    // Everything above but the worker's cold start is a matter of milliseconds.
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('/_localcloud/health says realism is off', async () => {
    const health = await (await cloud.control('health')).json();
    expect(health).toMatchObject({ status: 'ready', realism: { name: 'off' } });
  });
});

describe('the realism setting', () => {
  it('reads flags and variables, the flags winning; the scale defaults to 0.1', () => {
    expect(realismFromSettings([], {}).enabled).toBe(false);
    expect(realismFromSettings([], { LOCAL_CLOUD_REALISM: 'off' }).enabled).toBe(false);
    expect(realismFromSettings([], { LOCAL_CLOUD_REALISM: 'aws' })).toMatchObject({ name: 'aws', scale: 0.1 });
    expect(realismFromSettings([], { LOCAL_CLOUD_REALISM: ' AWS ', LOCAL_CLOUD_REALISM_SCALE: '0.5' })).toMatchObject({ name: 'aws', scale: 0.5 });
    expect(realismFromSettings(['--realism', 'aws', '--realism-scale', '2'], { LOCAL_CLOUD_REALISM: 'off' })).toMatchObject({ name: 'aws', scale: 2 });
    expect(realismFromSettings(['--realism=aws', '--realism-scale=0.3'], {})).toMatchObject({ name: 'aws', scale: 0.3 });
    expect(realismFromSettings(['--realism', 'off'], { LOCAL_CLOUD_REALISM: 'aws' }).enabled).toBe(false);
    expect(realismEnvironment(RealismProfile.aws(0.2))).toEqual({ LOCAL_CLOUD_REALISM: 'aws', LOCAL_CLOUD_REALISM_SCALE: '0.2' });
  });

  it('refuses bad values, naming where they came from and what is accepted', () => {
    expect(() => realismFromSettings([], { LOCAL_CLOUD_REALISM: 'fast' })).toThrow(
      'LOCAL_CLOUD_REALISM is "fast": use "aws" (AWS\'s timing: propagation, Pending functions, rate limits) or "off" (every change at once, the default).',
    );
    expect(() => realismFromSettings(['--realism', 'awz'], {})).toThrow('--realism is "awz": use "aws"');
    for (const bad of ['0', '-1', 'abc', '11', 'Infinity']) {
      expect(() => realismFromSettings([], { LOCAL_CLOUD_REALISM: 'aws', LOCAL_CLOUD_REALISM_SCALE: bad })).toThrow(
        `LOCAL_CLOUD_REALISM_SCALE is "${bad}": use a number above 0 and at most 10`,
      );
    }
    expect(() => realismFromSettings(['--realism-scale', '0.5'], {})).toThrow('--realism-scale needs --realism aws');
    expect(() => realismFromSettings(['--realism'], {})).toThrow('--realism needs a value');
  });

  it('npm run local -- --realism BAD exits with the message', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'realism-setting-'));
    try {
      const env = { ...process.env, LOCAL_CLOUD_PORT: '0', LOCAL_CLOUD_DATA: dataDir, NO_COLOR: '1' };
      const result = await runScript('local', env, '--realism', 'sometimes');
      expect(result.code).toBe(1);
      expect(result.output).toContain('✘ --realism is "sometimes": use "aws"');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('npm run local with LOCAL_CLOUD_REALISM=aws says so in its ready line and its health', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'realism-setting-'));
    const proc = await startCloudProcess(dataDir, { LOCAL_CLOUD_REALISM: 'aws', LOCAL_CLOUD_REALISM_SCALE: '0.25' });
    try {
      expect(proc.output.join('\n')).toContain("realism aws (AWS's timing × 0.25)");
      const res = await fetch(`${proc.url}/_localcloud/health`, { headers: { 'x-local-cloud-token': proc.controlToken() } });
      expect(await res.json()).toMatchObject({ status: 'ready', realism: { name: 'aws', scale: 0.25 } });
    } finally {
      await proc.kill('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
