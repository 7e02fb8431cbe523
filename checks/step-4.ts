/**
 * `npm run check:step-4`: the order-updates topic.
 * Configuration (describe calls): the topic exists and carries the tag; with NOTIFY_EMAIL set,
 * the address is subscribed (and confirmed). Behaviour: a temporary SQS queue of the check's
 * own, subscribed to the topic with the queue policy SNS needs, receives a test message
 * published to the topic. The queue and its subscription are removed afterwards, and so are the
 * test messages' records once the recorder (step 7) has stored them.
 */
import { ListSubscriptionsByTopicCommand, ListTagsForResourceCommand, type SNSClient, type Subscription } from '@aws-sdk/client-sns';
import { snsClient, sqsClient } from '../lib/clients.ts';
import { resolveTarget, type Target } from '../lib/config.ts';
import { TAG_KEY, names } from '../lib/names.ts';
import { defineCheck, problem, runCheckWhenExecuted } from './kit.ts';
import { removeProbeRecords } from './probe-records.ts';
import { TemporarySubscription, findTopic } from './topic-probe.ts';
import { deliveryDeadlineMs, publishUntilDelivered } from './publish-until-delivered.ts';

const STEP_FILE = 'steps/04-topic/deploy.ts';
export { CHECK_ATTRIBUTE, PROBE_STATUS } from './publish-until-delivered.ts';

export const check = defineCheck({
  step: 4,
  title: 'the order-updates topic',
  async run(t) {
    const n = names();
    const sns = snsClient();

    const topicArn = await t.exists(`the topic ${n.updatesTopic} exists`, () => findTopic(sns, n.updatesTopic));

    await t.item(`it carries the tag ${TAG_KEY}=${n.prefix}`, async () => {
      const { Tags = [] } = await sns.send(new ListTagsForResourceCommand({ ResourceArn: topicArn }));
      if (!Tags.some((tag) => tag.Key === TAG_KEY && tag.Value === n.prefix)) {
        problem(
          `${n.updatesTopic} has no tag ${TAG_KEY}=${n.prefix}, so \`npm run teardown\` will never remove it.`,
          'a step tags only what it creates. If you made it (by hand, or with an older copy of the workbook), tag it: ' +
            `\`npm run aws -- sns tag-resource --resource-arn ${topicArn} --tags Key=${TAG_KEY},Value=${n.prefix}\`; if it is someone else's, set your own WORKBOOK_PREFIX in .env.`,
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
          confirmationAdvice(resolveTarget()),
        );
      }
    }

    t.behaviourFollows();
    const published: string[] = [];
    await t.item('a message published to the topic reaches a subscribed SQS queue', async () => {
      const watcher = await TemporarySubscription.open(sqsClient(), sns, topicArn, n.prefix);
      try {
        const got = await publishUntilDelivered(sns, topicArn, watcher, published, { from: 'npm run check:step-4', customerId: 'check-step-4' });
        if (!got) {
          problem(
            `a test message published to ${n.updatesTopic} did not reach the check's subscribed queue within ${deliveryDeadlineMs() / 1000} s.`,
            `the topic may carry a Policy that refuses SQS deliveries: look at it with \`npm run aws -- sns get-topic-attributes --topic-arn ${topicArn}\`; ` +
              '`npm run teardown` and `npm run step:4` start it afresh.',
          );
        }
        const { notification } = got.received;
        if (notification.TopicArn !== topicArn || notification.Message !== got.body) {
          problem(
            `the delivered notification does not carry the message that was published (TopicArn ${notification.TopicArn}).`,
            `run \`npm run step:4\` again; if it persists, compare the topic with \`npm run aws -- sns get-topic-attributes --topic-arn ${topicArn}\`.`,
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

/** Where the confirmation email is: AWS sends it; the local cloud writes it to its outbox; an emulator such as LocalStack sends none. */
export function confirmationAdvice(target: Target): string {
  if (target.kind === 'local') {
    return "the confirmation email is in the local cloud's outbox (steps/04-topic/README.md says where): visit its link, or run `npm run step:4` to see it.";
  }
  if (!target.realAws) {
    return `${target.endpoint} is an emulator: it sends no email (LocalStack's community edition keeps SNS email to itself), so no confirmation will arrive. Nothing is wrong; the pipeline works without it.`;
  }
  return 'open the email "Order updates - Subscription Confirmation" and click "Confirm subscription".';
}

runCheckWhenExecuted(import.meta.url, check);
