import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  CreateEventSourceMappingCommand,
  CreateFunctionCommand,
  DeleteEventSourceMappingCommand,
  GetEventSourceMappingCommand,
  LambdaClient,
  UpdateEventSourceMappingCommand,
  waitUntilFunctionActiveV2,
} from '@aws-sdk/client-lambda';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { RealismProfile } from '../../local-cloud/realism/profile.ts';
import { AWS_TIMING } from '../../local-cloud/realism/aws-timing.ts';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { createLambdaRole, zipOf } from '../fixtures/lambda/helpers.ts';

/**
 * The realism profile in event source mappings: Creating → Enabled after AWS's time (the pollers
 * start only then), Updating, Disabling (still polling until Disabled), Enabling and Deleting.
 */

const SCALE = 0.05;
const ACCOUNT = '000000000000';
/** Forwards each record's body to CAPTURE_URL. */
const HANDLER = `
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
const sqs = new SQSClient({});
export const handler = async (event) => {
  for (const r of event.Records) await sqs.send(new SendMessageCommand({ QueueUrl: process.env.CAPTURE_URL, MessageBody: r.body }));
  return {};
};
`;

let cloud: TestCloud;
let lambda: LambdaClient;
let sqs: SQSClient;
let source: { url: string; arn: string };
let capture: { url: string; arn: string };

beforeAll(async () => {
  cloud = await startTestCloud({ realism: RealismProfile.aws(SCALE) });
  lambda = new LambdaClient(cloud.clientConfig);
  sqs = new SQSClient(cloud.clientConfig);
  const iam = new IAMClient(cloud.clientConfig);
  source = await queue('esm-source');
  capture = await queue('esm-capture');
  const role = await createLambdaRole(cloud, 'esm-role');
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: 'esm-role',
      PolicyName: 'queues',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'], Resource: source.arn },
          { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: capture.arn },
        ],
      }),
    }),
  );
  await sleep(cloud.cloud.iam.inForce.remainingMs('esm-role') + 20);
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: 'esm-fn',
      Runtime: 'nodejs22.x',
      Role: role,
      Handler: 'index.handler',
      Environment: { Variables: { CAPTURE_URL: capture.url } },
      Code: { ZipFile: zipOf({ 'index.mjs': HANDLER }) },
    }),
  );
  await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 20, minDelay: 0.05, maxDelay: 0.2 }, { FunctionName: 'esm-fn' });
});

afterAll(async () => {
  await cloud?.close();
});

async function queue(name: string) {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '30' } }));
  return { url: QueueUrl!, arn: `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}` };
}

async function state(uuid: string): Promise<string | undefined> {
  return (await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }))).State;
}

/** Polls the mapping until it is in `wanted`; answers how long that took. */
async function until(uuid: string, wanted: string, seen: string[] = []): Promise<number> {
  const started = Date.now();
  for (;;) {
    const now = await state(uuid);
    if (seen.at(-1) !== now) seen.push(now!);
    if (now === wanted) return Date.now() - started;
    if (Date.now() - started > 20_000) throw new Error(`still ${now} after 20 s (wanted ${wanted})`);
    await sleep(25);
  }
}

async function captured(body: string, waitSeconds = 5): Promise<boolean> {
  const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: capture.url, WaitTimeSeconds: waitSeconds, MaxNumberOfMessages: 10 }));
  return (out.Messages ?? []).some((m) => m.Body === body);
}

describe('event source mappings under the realism profile', () => {
  it('Creating → Enabled after AWS time; nothing is polled before; then Updating, Disabling, Enabling, Deleting', async () => {
    const pollers = (uuid: string) => cloud.cloud.lambda.eventSourceMappings.pollerCount(uuid);
    await sqs.send(new SendMessageCommand({ QueueUrl: source.url, MessageBody: 'before-enabled' }));
    const created = await lambda.send(
      new CreateEventSourceMappingCommand({ FunctionName: 'esm-fn', EventSourceArn: source.arn, BatchSize: 1 }),
    );
    const uuid = created.UUID!;
    expect(created.State).toBe('Creating');
    expect(await state(uuid)).toBe('Creating');
    expect(pollers(uuid)).toBe(0);

    const seen: string[] = [];
    const tookMs = await until(uuid, 'Enabled', seen);
    expect(seen).toEqual(['Creating', 'Enabled']);
    expect(tookMs).toBeGreaterThanOrEqual(AWS_TIMING.mappingCreate * SCALE - 200);
    expect(pollers(uuid)).toBeGreaterThan(0);
    expect(await captured('before-enabled')).toBe(true);

    const updated = await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, BatchSize: 5 }));
    expect(updated.State).toBe('Updating');
    await until(uuid, 'Enabled');
    expect((await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }))).BatchSize).toBe(5);

    const disabling = await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: false }));
    expect(disabling.State).toBe('Disabling');
    expect(pollers(uuid)).toBeGreaterThan(0); // it still polls until it is Disabled
    await until(uuid, 'Disabled');
    expect(pollers(uuid)).toBe(0);

    const enabling = await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: true }));
    expect(enabling.State).toBe('Enabling');
    expect(pollers(uuid)).toBe(0);
    await until(uuid, 'Enabled');
    await sqs.send(new SendMessageCommand({ QueueUrl: source.url, MessageBody: 'after-enabling' }));
    expect(await captured('after-enabling')).toBe(true);

    const deleting = await lambda.send(new DeleteEventSourceMappingCommand({ UUID: uuid }));
    expect(deleting.State).toBe('Deleting');
    expect(await state(uuid)).toBe('Deleting');
    const started = Date.now();
    for (;;) {
      try {
        await state(uuid);
      } catch (err) {
        expect(err).toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
        break;
      }
      if (Date.now() - started > 20_000) throw new Error('the mapping is still there');
      await sleep(25);
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(AWS_TIMING.mappingDelete * SCALE - 200);
    expect(pollers(uuid)).toBe(0);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
