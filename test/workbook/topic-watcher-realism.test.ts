import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateTopicCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/server.ts';
import { RealismProfile } from '../../local-cloud/realism/profile.ts';
import { openTopicWatcher } from '../../checks/publish-until-delivered.ts';
import { TemporarySubscription } from '../../checks/topic-probe.ts';
import { TEST_CREDENTIALS, TEST_REGION } from '../support/cloud.ts';

/**
 * Under AWS's timing a new SNS subscription receives nothing for a moment (10 s on AWS; 1.5 s
 * here at scale 0.15). A check that watches the topic through a queue of its own must not take
 * a missed update for a broken publisher: it republishes test updates until one arrives first.
 */
let cloud: LocalCloud;
let dataDir: string;
let sns: SNSClient;
let sqs: SQSClient;
let topicArn: string;
const saved = { ...process.env };

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'watcher-realism-'));
  cloud = await startLocalCloud({ port: 0, dataDir, region: TEST_REGION, realism: RealismProfile.aws(0.15) });
  Object.assign(process.env, {
    WORKBOOK_TARGET: 'local',
    LOCAL_CLOUD_PORT: String(cloud.port),
    LOCAL_CLOUD_DATA: dataDir,
    AWS_REGION: TEST_REGION,
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
  });
  delete process.env.AWS_ENDPOINT_URL;
  const config = { endpoint: cloud.url, region: TEST_REGION, credentials: TEST_CREDENTIALS };
  sns = new SNSClient(config);
  sqs = new SQSClient(config);
  ({ TopicArn: topicArn } = (await sns.send(new CreateTopicCommand({ Name: 'watch-order-updates' }))) as { TopicArn: string });
});
afterAll(async () => {
  await cloud.close();
  rmSync(dataDir, { recursive: true, force: true });
  process.env = saved;
});

const publishOne = (note: string) =>
  sns.send(new PublishCommand({ TopicArn: topicArn, Message: JSON.stringify({ orderId: note, customerId: 'c-1', status: 'confirmed' }) }));
const sawOrder = (orderId: string) => (r: { notification: { Message: string } }) => (r.notification.Message.includes(orderId) ? true : undefined);

describe("a check's topic watcher under AWS's timing", () => {
  it('a queue used right after Subscribe misses an update published at once (what check 5 used to do)', async () => {
    const watcher = await TemporarySubscription.open(sqs, sns, topicArn, 'watch');
    try {
      await publishOne('published-at-once');
      expect(await watcher.waitFor(sawOrder('published-at-once'), 1_000)).toBeUndefined();
    } finally {
      await watcher.close();
    }
  });

  it('openTopicWatcher returns once a test update has arrived: an update published then is seen', async () => {
    const published: string[] = [];
    const started = Date.now();
    const watcher = await openTopicWatcher({ sqs, sns, topicArn, prefix: 'watch', published, from: 'npm run check:step-5' });
    try {
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_000); // it waited out the subscription's start
      expect(published.length).toBeGreaterThan(0);
      expect(published.every((id) => id.startsWith('check-'))).toBe(true);
      await publishOne('published-after-warm-up');
      expect(await watcher.waitFor(sawOrder('published-after-warm-up'), 5_000)).toBe(true);
    } finally {
      await watcher.close();
    }
  }, 30_000);
});
