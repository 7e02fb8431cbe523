import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateQueueCommand, GetQueueAttributesCommand, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';

/**
 * A dead-letter queue's RedriveAllowPolicy decides which source queues may name it in their
 * RedrivePolicy: allowAll (the default), denyAll, or byQueue with sourceQueueArns. SQS refuses a
 * RedrivePolicy its target does not allow, in CreateQueue and in SetQueueAttributes.
 */
let cloud: TestCloud;
let sqs: SQSClient;
const ACCOUNT = '000000000000';
const arnOf = (name: string) => `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}`;
const REFUSAL = "The dead-letter queue's RedriveAllowPolicy does not allow this queue to use it as a dead-letter queue.";

beforeAll(async () => {
  cloud = await startTestCloud();
  sqs = new SQSClient(cloud.clientConfig);
});
afterAll(() => cloud?.close());

async function createQueue(name: string, attributes?: Record<string, string>): Promise<string> {
  return (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl!;
}

async function refusal(promise: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  return promise.then(
    () => {
      throw new Error('expected the call to be refused; it succeeded');
    },
    (err: { name: string; message: string; $metadata: { httpStatusCode?: number } }) => ({
      name: err.name,
      message: err.message,
      status: err.$metadata.httpStatusCode,
    }),
  );
}

const redrive = (dlq: string) => JSON.stringify({ deadLetterTargetArn: arnOf(dlq), maxReceiveCount: 3 });

describe('RedriveAllowPolicy enforced', () => {
  it('denyAll: SetQueueAttributes with a RedrivePolicy naming it is refused', async () => {
    await createQueue('deny-dlq', { RedriveAllowPolicy: JSON.stringify({ redrivePermission: 'denyAll' }) });
    const url = await createQueue('deny-source');
    const err = await refusal(sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { RedrivePolicy: redrive('deny-dlq') } })));
    expect(err).toEqual({
      name: 'InvalidAttributeValue',
      message: `Value ${redrive('deny-dlq')} for parameter RedrivePolicy is invalid. Reason: ${REFUSAL}`,
      status: 400,
    });
    const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
    expect(attributes.Attributes?.RedrivePolicy).toBeUndefined();
  });

  it('denyAll: CreateQueue with that RedrivePolicy is refused and creates nothing', async () => {
    const err = await refusal(sqs.send(new CreateQueueCommand({ QueueName: 'deny-new', Attributes: { RedrivePolicy: redrive('deny-dlq') } })));
    expect(err.name).toBe('InvalidAttributeValue');
    expect(err.message).toContain(REFUSAL);
    const out = await cloud.aws('sqs', 'get-queue-url', '--queue-name', 'deny-new');
    expect(out.code).not.toBe(0);
  });

  it('byQueue: only the listed source queues may use it', async () => {
    await createQueue('by-dlq', {
      RedriveAllowPolicy: JSON.stringify({ redrivePermission: 'byQueue', sourceQueueArns: [arnOf('by-listed')] }),
    });
    const listed = await createQueue('by-listed', { RedrivePolicy: redrive('by-dlq') });
    expect(listed).toMatch(/by-listed$/);
    const other = await createQueue('by-other');
    const err = await refusal(sqs.send(new SetQueueAttributesCommand({ QueueUrl: other, Attributes: { RedrivePolicy: redrive('by-dlq') } })));
    expect(err.message).toContain(REFUSAL);
  });

  it('allowAll and no policy at all let any queue of the account use it', async () => {
    await createQueue('all-dlq', { RedriveAllowPolicy: JSON.stringify({ redrivePermission: 'allowAll' }) });
    await createQueue('plain-dlq');
    await createQueue('all-source', { RedrivePolicy: redrive('all-dlq') });
    await createQueue('plain-source', { RedrivePolicy: redrive('plain-dlq') });
  });

  it('the aws CLI (query protocol) sees the same refusal', async () => {
    const url = await createQueue('cli-source');
    const out = await cloud.aws('sqs', 'set-queue-attributes', '--queue-url', url, '--attributes', JSON.stringify({ RedrivePolicy: redrive('deny-dlq') }));
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain('when calling the SetQueueAttributes operation');
    expect(out.stderr).toContain(REFUSAL);
  });

  it('a hostile RedriveAllowPolicy on the target never allows by accident', async () => {
    await createQueue('odd-dlq', { RedriveAllowPolicy: JSON.stringify({ redrivePermission: 'byQueue', sourceQueueArns: '__proto__' }) });
    const url = await createQueue('odd-source');
    const err = await refusal(sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { RedrivePolicy: redrive('odd-dlq') } })));
    expect(err.status).toBe(400);
    expect(err.message).toContain(REFUSAL);
  });
});
