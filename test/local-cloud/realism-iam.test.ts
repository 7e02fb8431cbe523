import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateRoleCommand, DeleteRolePolicyCommand, GetRolePolicyCommand, IAMClient, PutRolePolicyCommand, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  CreateEventSourceMappingCommand,
  CreateFunctionCommand,
  InvokeCommand,
  LambdaClient,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { RealismProfile } from '../../local-cloud/realism/profile.ts';
import { AWS_TIMING } from '../../local-cloud/realism/aws-timing.ts';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { LAMBDA_TRUST, createLambdaRole, payloadOf, zipOf } from '../fixtures/lambda/helpers.ts';

/**
 * The realism profile in IAM: a new role is not assumable by Lambda for a while, a new or
 * changed policy is not in force for the role's calls until it has propagated (the previous
 * version decides meanwhile), and CreateEventSourceMapping refuses a role whose policy is new.
 * The tests run concurrently (each its own roles and functions), so the file takes the time of
 * its longest test. (The aws CLI: realism-cli.test.ts.)
 */

const SCALE = 0.1;
const ACCOUNT = '000000000000';
/** The SDK's waiters, polling more often than their default second (the durations here are scaled down). */
const FAST_WAIT = { get client() { return lambda; }, maxWaitTime: 20, minDelay: 0.05, maxDelay: 0.2 };
const NOT_ASSUMABLE = 'The role defined for the function cannot be assumed by Lambda.';

/** Sends {QueueUrl} a message as the function's role; answers "sent" or the error's name and message. */
const SENDER = `
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
const sqs = new SQSClient({});
export const handler = async (event) => {
  try {
    await sqs.send(new SendMessageCommand({ QueueUrl: event.queueUrl, MessageBody: 'hello' }));
    return { sent: true };
  } catch (err) {
    return { sent: false, error: err.name, message: err.message };
  }
};
`;

let cloud: TestCloud;
let iam: IAMClient;
let lambda: LambdaClient;
let sqs: SQSClient;
let queueA: { url: string; arn: string };
let queueB: { url: string; arn: string };

beforeAll(async () => {
  cloud = await startTestCloud({ realism: RealismProfile.aws(SCALE) });
  iam = new IAMClient(cloud.clientConfig);
  lambda = new LambdaClient(cloud.clientConfig);
  sqs = new SQSClient(cloud.clientConfig);
  queueA = await queue('realism-a');
  queueB = await queue('realism-b');
});

afterAll(async () => {
  await cloud?.close();
});

async function queue(name: string) {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '30' } }));
  return { url: QueueUrl!, arn: `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}` };
}

function createFunction(name: string, role: string) {
  return lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'nodejs22.x',
      Role: role,
      Handler: 'index.handler',
      Code: { ZipFile: zipOf({ 'index.mjs': SENDER }) },
    }),
  );
}

function allow(actions: string[], resource: string): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: resource }] });
}

/** Waits until every change of the role is in force, by the cloud's own clock. */
async function propagated(role: string): Promise<void> {
  await sleep(cloud.cloud.iam.inForce.remainingMs(role) + 20);
}

async function send(fn: string, queueUrl: string) {
  return payloadOf(await lambda.send(new InvokeCommand({ FunctionName: fn, Payload: Buffer.from(JSON.stringify({ queueUrl })) })));
}

describe.concurrent('a new role under the realism profile', () => {
  it('is not assumable by Lambda for AWS time, with AWS words; CreateFunction then works', async () => {
    const started = Date.now();
    const role = await createLambdaRole(cloud, 'new-role');
    await expect(createFunction('new-role-fn', role)).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
      message: NOT_ASSUMABLE,
      $metadata: { httpStatusCode: 400 },
    });
    // As a script does: retry until Lambda can assume it.
    let attempts = 1;
    for (;;) {
      try {
        await createFunction('new-role-fn', role);
        break;
      } catch (err) {
        expect((err as Error).message).toBe(NOT_ASSUMABLE);
        attempts++;
        await sleep(50);
      }
    }
    expect(attempts).toBeGreaterThan(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(AWS_TIMING.roleAssumable * SCALE - 20);
    await waitUntilFunctionActiveV2(FAST_WAIT, { FunctionName: 'new-role-fn' });
  });

  it('UpdateFunctionConfiguration to a new role meets the same refusal until it has propagated', async () => {
    const first = await createLambdaRole(cloud, 'first-role');
    await propagated('first-role');
    await createFunction('switch-role-fn', first);
    await waitUntilFunctionActiveV2(FAST_WAIT, { FunctionName: 'switch-role-fn' });

    const second = await createLambdaRole(cloud, 'second-role');
    await expect(
      lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'switch-role-fn', Role: second })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValueException', message: NOT_ASSUMABLE });
    await propagated('second-role');
    const updated = await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'switch-role-fn', Role: second }));
    expect(updated.Role).toBe(second);
    await waitUntilFunctionUpdatedV2(FAST_WAIT, { FunctionName: 'switch-role-fn' });
  });

  it('a changed trust policy: the old one decides until the new one has propagated', async () => {
    const role = await createLambdaRole(cloud, 'trust-role');
    await propagated('trust-role');
    const ec2Only = LAMBDA_TRUST.replace('lambda.amazonaws.com', 'ec2.amazonaws.com');
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'trust-role', PolicyDocument: ec2Only }));
    // Still the old trust policy: Lambda may assume the role.
    await createFunction('trust-fn-1', role);
    await propagated('trust-role');
    await expect(createFunction('trust-fn-2', role)).rejects.toMatchObject({ message: NOT_ASSUMABLE });
  });
});

describe.concurrent("policies under the realism profile", () => {
  it('a new inline policy is not yet in force for the function; then it is', async () => {
    const role = await createLambdaRole(cloud, 'policy-role');
    await propagated('policy-role');
    await createFunction('policy-fn', role);
    await waitUntilFunctionActiveV2(FAST_WAIT, { FunctionName: 'policy-fn' });
    // A warm sandbox, so that the next invocation is quick.
    expect(await send('policy-fn', queueA.url)).toMatchObject({ sent: false, error: 'AccessDenied' });

    await iam.send(new PutRolePolicyCommand({ RoleName: 'policy-role', PolicyName: 'send', PolicyDocument: allow(['sqs:SendMessage'], queueA.arn) }));
    const early = await send('policy-fn', queueA.url);
    expect(early).toMatchObject({ sent: false, error: 'AccessDenied' });
    expect(early.message).toContain(
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/policy-role/policy-fn is not authorized to perform: sqs:sendmessage on resource: ${queueA.arn}`,
    );
    await propagated('policy-role');
    expect(await send('policy-fn', queueA.url)).toEqual({ sent: true });
  });

  it('a changed policy: the previous version keeps deciding until the new one propagates; a deleted one still allows meanwhile', async () => {
    const role = await createLambdaRole(cloud, 'change-role');
    await iam.send(new PutRolePolicyCommand({ RoleName: 'change-role', PolicyName: 'send', PolicyDocument: allow(['sqs:SendMessage'], queueA.arn) }));
    await propagated('change-role');
    await createFunction('change-fn', role);
    await waitUntilFunctionActiveV2(FAST_WAIT, { FunctionName: 'change-fn' });
    expect(await send('change-fn', queueA.url)).toEqual({ sent: true });

    const started = Date.now();
    await iam.send(new PutRolePolicyCommand({ RoleName: 'change-role', PolicyName: 'send', PolicyDocument: allow(['sqs:SendMessage'], queueB.arn) }));
    // IAM itself answers the new document at once…
    const read = await iam.send(new GetRolePolicyCommand({ RoleName: 'change-role', PolicyName: 'send' }));
    expect(decodeURIComponent(read.PolicyDocument!)).toContain(queueB.arn);
    // …but the function's calls are decided by the old one for a while.
    expect(await send('change-fn', queueA.url)).toEqual({ sent: true });
    expect(await send('change-fn', queueB.url)).toMatchObject({ sent: false, error: 'AccessDenied' });
    await propagated('change-role');
    expect(Date.now() - started).toBeGreaterThanOrEqual(AWS_TIMING.policyPropagation * SCALE - 20);
    expect(await send('change-fn', queueA.url)).toMatchObject({ sent: false, error: 'AccessDenied' });
    expect(await send('change-fn', queueB.url)).toEqual({ sent: true });

    await iam.send(new DeleteRolePolicyCommand({ RoleName: 'change-role', PolicyName: 'send' }));
    expect(await send('change-fn', queueB.url)).toEqual({ sent: true });
    await propagated('change-role');
    expect(await send('change-fn', queueB.url)).toMatchObject({ sent: false, error: 'AccessDenied' });
  });

  it('CreateEventSourceMapping refuses a role whose policy is new, with AWS words; once in force it is accepted', async () => {
    const role = await createLambdaRole(cloud, 'mapping-role');
    await propagated('mapping-role');
    await createFunction('mapping-fn', role);
    await waitUntilFunctionActiveV2(FAST_WAIT, { FunctionName: 'mapping-fn' });
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'mapping-role',
        PolicyName: 'poll',
        PolicyDocument: allow(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'], queueA.arn),
      }),
    );
    const create = () =>
      lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'mapping-fn', EventSourceArn: queueA.arn, BatchSize: 1 }));
    await expect(create()).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
      message: 'The provided execution role does not have permissions to call ReceiveMessage on SQS',
      $metadata: { httpStatusCode: 400 },
    });
    await propagated('mapping-role');
    const mapping = await create();
    expect(mapping.State).toBe('Creating');
  });
});

describe.concurrent('roles created with their policies (what a deploy script does)', () => {
  it('are usable once the role has propagated: the policies then decide too', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'together-role', AssumeRolePolicyDocument: LAMBDA_TRUST }));
    await iam.send(new PutRolePolicyCommand({ RoleName: 'together-role', PolicyName: 'send', PolicyDocument: allow(['sqs:SendMessage'], queueA.arn) }));
    await propagated('together-role');
    await createFunction('together-fn', `arn:aws:iam::${ACCOUNT}:role/together-role`);
    await waitUntilFunctionActiveV2(FAST_WAIT, { FunctionName: 'together-fn' });
    expect(await send('together-fn', queueA.url)).toEqual({ sent: true });
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
