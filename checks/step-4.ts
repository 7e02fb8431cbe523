/**
 * `npm run check:step-4`: the order-updates topic.
 * Configuration (describe calls): the topic exists and carries the tag; with NOTIFY_EMAIL set,
 * the address is subscribed (and confirmed). Behaviour: a temporary SQS queue of the check's
 * own, subscribed to the topic with the queue policy SNS needs, receives a test message
 * published to the topic. The queue and its subscription are removed afterwards, and so are the
 * test messages' records once the recorder (step 7) has stored them.
 */
import { randomUUID } from 'node:crypto';
import { ListSubscriptionsByTopicCommand, ListTagsForResourceCommand, PublishCommand, type SNSClient, type Subscription } from '@aws-sdk/client-sns';
import { snsClient, sqsClient } from '../lib/clients.ts';
import { resolveTarget } from '../lib/config.ts';
import { TAG_KEY, names } from '../lib/names.ts';
import { UPDATE_ATTRIBUTES, type StatusUpdate } from '../lib/pipeline.ts';
import { defineCheck, problem, runCheckWhenExecuted } from './kit.ts';
import { removeProbeRecords } from './probe-records.ts';
import { TemporarySubscription, findTopic, type Received } from './topic-probe.ts';

const STEP_FILE = 'steps/04-topic/deploy.ts';
/** Marks the check's test messages: subscribers that see one know it is not a real order's update. */
export const CHECK_ATTRIBUTE = 'workbook-check';
/** The status of the check's test updates (a filter policy such as {"status": [{"anything-but": "check-probe"}]} keeps them out). */
export const PROBE_STATUS = 'check-probe';

export const check = defineCheck({
  step: 4,
  title: 'the order-updates topic',
  async run(t) {
    const n = names();
    const sns = snsClient();

    const topicArn = await t.require(`the topic ${n.updatesTopic} exists`, () => findTopic(sns, n.updatesTopic));

    await t.item(`it carries the tag ${TAG_KEY}=${n.prefix}`, async () => {
      const { Tags = [] } = await sns.send(new ListTagsForResourceCommand({ ResourceArn: topicArn }));
      if (!Tags.some((tag) => tag.Key === TAG_KEY && tag.Value === n.prefix)) {
        problem(
          `${n.updatesTopic} has no tag ${TAG_KEY}=${n.prefix}, so \`npm run teardown\` will never remove it.`,
          `run \`npm run step:4\` again: CreateTopic in ${STEP_FILE} passes Tags: workbookTagList(), and the script tags a topic that lacks them.`,
        );
      }
    });

    const email = process.env.NOTIFY_EMAIL?.trim();
    if (email) {
      const subscription = await t.item(`${email} is subscribed by email (NOTIFY_EMAIL)`, async () => {
        const found = (await subscriptions(sns, topicArn)).find(
          (s) => s.Protocol === 'email' && s.Endpoint?.toLowerCase() === email.toLowerCase(),
        );
        if (!found) {
          problem(`NOTIFY_EMAIL is ${email}, but that address is not subscribed to ${n.updatesTopic}.`, 'run `npm run step:4`: it subscribes NOTIFY_EMAIL.');
        }
        return found;
      });
      if (subscription?.SubscriptionArn === 'PendingConfirmation') {
        t.warn(
          `${email} has not confirmed the subscription yet`,
          'SNS sends nothing to an address until its owner confirms; the check passes meanwhile.',
          resolveTarget().kind === 'local'
            ? "the confirmation email is in the local cloud's outbox (steps/04-topic/README.md says where): visit its link, or run `npm run step:4` to see it."
            : 'open the email "Order updates - Subscription Confirmation" and click "Confirm subscription".',
        );
      }
    }

    const published: string[] = [];
    await t.item('a message published to the topic reaches a subscribed SQS queue', async () => {
      const watcher = await TemporarySubscription.open(sqsClient(), sns, topicArn, n.prefix);
      try {
        const got = await publishUntilDelivered(sns, topicArn, watcher, published);
        if (!got) {
          problem(
            `a test message published to ${n.updatesTopic} did not reach the check's subscribed queue within ${deliveryDeadlineMs() / 1000} s.`,
            `the topic may carry a Policy that refuses SQS deliveries: look at it with \`aws sns get-topic-attributes --topic-arn ${topicArn}\`; ` +
              '`npm run teardown` and `npm run step:4` start it afresh.',
          );
        }
        const { notification } = got.received;
        if (notification.TopicArn !== topicArn || notification.Message !== got.body) {
          problem(
            `the delivered notification does not carry the message that was published (TopicArn ${notification.TopicArn}).`,
            'run `npm run step:4` again; if it persists, compare the topic with `aws sns get-topic-attributes`.',
          );
        }
      } finally {
        await watcher.close();
      }
    });
    await removeProbeRecords(t, published);
  },
});

async function subscriptions(sns: SNSClient, topicArn: string): Promise<Subscription[]> {
  const all: Subscription[] = [];
  let NextToken: string | undefined;
  do {
    const page = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken }));
    all.push(...(page.Subscriptions ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return all;
}

const deliveryDeadlineMs = () => (resolveTarget().realAws ? 30_000 : 5_000);

/**
 * Publishes a test message and waits for it. On AWS a new subscription can take a few seconds
 * to receive its first message, so the check publishes again (a new test message) every 5 s
 * until one arrives. Every subscriber of the topic gets these messages too, so each one is
 * shaped as a status update (lib/pipeline.ts) of a probe order: id `check-…`, status
 * `check-probe`, the same attributes as real updates; CHECK_ATTRIBUTE marks it as well. Each
 * probe order id goes to `published` as it is sent.
 */
async function publishUntilDelivered(
  sns: SNSClient,
  topicArn: string,
  watcher: TemporarySubscription,
  published: string[],
): Promise<{ received: Received; body: string } | undefined> {
  const bodies = new Map<string, string>();
  const giveUpAt = Date.now() + deliveryDeadlineMs();
  while (Date.now() < giveUpAt) {
    const probe = randomUUID();
    const orderId = `check-${probe}`;
    const now = Date.now();
    const update: StatusUpdate = {
      orderId,
      customerId: 'check-step-4',
      items: [],
      note: 'a test update from npm run check:step-4; safe to ignore',
      status: PROBE_STATUS,
      times: { acceptedAt: now, queuedAt: now, processedAt: now, publishedAt: now },
    };
    const body = JSON.stringify(update);
    bodies.set(probe, body);
    await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: 'Workbook check: a test update (safe to ignore)',
        Message: body,
        MessageAttributes: {
          [UPDATE_ATTRIBUTES.orderId]: { DataType: 'String', StringValue: orderId },
          [UPDATE_ATTRIBUTES.status]: { DataType: 'String', StringValue: PROBE_STATUS },
          [CHECK_ATTRIBUTE]: { DataType: 'String', StringValue: probe },
        },
      }),
    );
    published.push(orderId);
    const found = await watcher.waitFor((received) => {
      const probeId = received.notification.MessageAttributes?.[CHECK_ATTRIBUTE]?.Value;
      return probeId && bodies.has(probeId) ? { received, body: bodies.get(probeId)! } : undefined;
    }, Math.min(5_000, giveUpAt - Date.now()));
    if (found) return found;
  }
  return undefined;
}

runCheckWhenExecuted(import.meta.url, check);
