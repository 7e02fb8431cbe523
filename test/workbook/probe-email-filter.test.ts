import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { newProbeCustomer } from '../../checks/orders.ts';
import { probeUpdate } from '../../checks/recorder-probes.ts';
import { ORDER_CONFIRMED, UPDATE_ATTRIBUTES, type StatusUpdate } from '../../lib/pipeline.ts';
import { aimAt } from './steps-2-3-support.ts';
import { deploySolution } from './steps-6-7-support.ts';

/**
 * Checks 5 and 8 send probe orders through the whole pipeline: the monitor publishes a real
 * "confirmed" update for each. The email subscription's filter policy must keep those out of
 * NOTIFY_EMAIL's inbox, as it keeps the checks' test updates out, and let real orders through.
 */
let cloud: TestCloud;
let sns: SNSClient;
const email = 'owner@example.com';
const topicArn = 'arn:aws:sns:us-east-1:000000000000:mailfilter-order-updates';

beforeAll(async () => {
  cloud = await startTestCloud();
  aimAt(cloud);
  sns = new SNSClient(cloud.clientConfig);
  process.env.NOTIFY_EMAIL = email;
  try {
    const output = await deploySolution(4, 'mailfilter');
    const link = /curl '(\S+)'/.exec(output)?.[1];
    if (!link) throw new Error(`no confirmation link in:\n${output}`);
    expect((await fetch(link)).status).toBe(200);
  } finally {
    delete process.env.NOTIFY_EMAIL;
  }
}, 60_000);
afterAll(() => cloud.close());

/** Publishes an update exactly as the monitor (solutions/05-monitor-lambda/handler.ts) does; its subject. */
async function publishAsTheMonitor(update: StatusUpdate): Promise<string> {
  const subject = `Order ${update.orderId} ${update.status}`;
  await sns.send(
    new PublishCommand({
      TopicArn: topicArn,
      Subject: subject,
      Message: JSON.stringify(update),
      MessageAttributes: {
        [UPDATE_ATTRIBUTES.orderId]: { DataType: 'String', StringValue: update.orderId },
        [UPDATE_ATTRIBUTES.status]: { DataType: 'String', StringValue: update.status },
      },
    }),
  );
  return subject;
}

const confirmedUpdate = (customerId: string): StatusUpdate => {
  const now = Date.now();
  return {
    orderId: randomUUID(),
    customerId,
    items: [{ sku: 'tea-earl-grey', quantity: 2 }],
    status: ORDER_CONFIRMED,
    times: { acceptedAt: now - 30, queuedAt: now - 20, processedAt: now - 10, publishedAt: now },
  };
};

const mailed = (subject: string) => cloud.cloud.sns.outbox().some((m) => m.to === email && m.subject === subject);

describe("probe orders do not reach NOTIFY_EMAIL's inbox", () => {
  it("a probe order's confirmed update (customer check-…) and a check's test update are not mailed; a real order's is", async () => {
    const probeOrder = await publishAsTheMonitor(confirmedUpdate(newProbeCustomer()));
    const testUpdate = await publishAsTheMonitor(probeUpdate(`check-${randomUUID()}`));
    // Published last: once it is in the outbox, the two before it have been decided.
    const realOrder = await publishAsTheMonitor(confirmedUpdate('customer-42'));
    for (let pause = 10, giveUpAt = Date.now() + 5_000; !mailed(realOrder) && Date.now() < giveUpAt; pause = Math.min(pause * 2, 200)) await delay(pause);
    expect(mailed(realOrder)).toBe(true);
    expect(mailed(probeOrder)).toBe(false);
    expect(mailed(testUpdate)).toBe(false);
  });
});
