import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateTopicCommand,
  GetSubscriptionAttributesCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  ListTagsForResourceCommand,
  ListTopicsCommand,
  PublishCommand,
  SNSClient,
  SetTopicAttributesCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-sns';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { check } from '../../checks/step-4.ts';
import { captureOutput } from '../../lib/output.ts';
import { teardown } from '../../scripts/teardown.ts';
import { failureBlock, failures, runScript } from './support.ts';
import { aimAt, checkInProcess, withPrefix } from './steps-2-3-support.ts';
import { deploySolution } from './steps-6-7-support.ts';

/** Step 4 needs nothing from steps 1–3: each test deploys the topic under a prefix of its own. */
let cloud: TestCloud;
let sns: SNSClient;
let sqs: SQSClient;
const topicArn = (prefix = 'workbook') => `arn:aws:sns:us-east-1:000000000000:${prefix}-order-updates`;

beforeAll(async () => {
  cloud = await startTestCloud();
  aimAt(cloud);
  sns = new SNSClient(cloud.clientConfig);
  sqs = new SQSClient(cloud.clientConfig);
});
afterAll(() => cloud.close());

const topics = async () => ((await sns.send(new ListTopicsCommand({}))).Topics ?? []).map((t) => t.TopicArn).sort();
const subscriptionsOf = async (arn: string) => (await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: arn }))).Subscriptions ?? [];
const queues = async () => (await sqs.send(new ListQueuesCommand({}))).QueueUrls ?? [];

/** Runs `fn` with NOTIFY_EMAIL set (or removed). */
async function withEmail<T>(email: string | undefined, fn: () => Promise<T>): Promise<T> {
  const before = process.env.NOTIFY_EMAIL;
  if (email) process.env.NOTIFY_EMAIL = email;
  else delete process.env.NOTIFY_EMAIL;
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env.NOTIFY_EMAIL;
    else process.env.NOTIFY_EMAIL = before;
  }
}

describe('step 4: the order-updates topic', () => {
  it('npm run step:4 (no blanks) creates the tagged topic, and check:step-4 passes, leaving nothing behind', async () => {
    const env = { ...cloud.env, NOTIFY_EMAIL: '' };
    const step = await runScript('step:4', env);
    expect(step.code, step.output).toBe(0);
    expect(step.stdout).toContain(`✔ workbook-order-updates: ready for status updates\n  ${topicArn()}`);
    expect(step.stdout).toContain('No NOTIFY_EMAIL is set');
    expect(await topics()).toEqual([topicArn()]);
    const { Tags } = await sns.send(new ListTagsForResourceCommand({ ResourceArn: topicArn() }));
    expect(Tags).toEqual([{ Key: 'workbook', Value: 'workbook' }]);
    const { Attributes } = await sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn() }));
    expect(Attributes?.DisplayName).toBe('Order updates');

    const result = await runScript('check:step-4', env);
    expect(result.code, result.output).toBe(0);
    expect(failures(result.stdout)).toEqual([]);
    expect(result.stdout).toContain('✔ a message published to the topic reaches a subscribed SQS queue');
    // The check's queue and subscription are gone.
    expect(await subscriptionsOf(topicArn())).toEqual([]);
    expect(await queues()).toEqual([]);
  });

  it('running it again is harmless: the same topic; a changed DisplayName is put back', async () => {
    await sns.send(new SetTopicAttributesCommand({ TopicArn: topicArn(), AttributeName: 'DisplayName', AttributeValue: 'Renamed' }));
    const output = await withEmail(undefined, () => deploySolution(4));
    expect(output).toContain('workbook-order-updates existed with other settings: applied this script\'s attributes');
    expect((await sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn() }))).Attributes?.DisplayName).toBe('Order updates');
    const again = await withEmail(undefined, () => deploySolution(4));
    expect(again).not.toContain('existed with other settings');
    expect(await topics()).toEqual([topicArn()]);
  });

  it('NOTIFY_EMAIL: subscribed once, pending until confirmed through the outbox link; the check notes it meanwhile', async () => {
    const email = 'ana@example.com';
    const first = await withEmail(email, () => deploySolution(4, 'mail'));
    expect(first).toContain(`✔ ${email}: subscribed; SNS sent a confirmation request to that address`);
    // The confirmation email, in the local cloud's outbox, with its link.
    const file = /confirmation email is in (\S+)\.\n/.exec(first)?.[1];
    expect(file, first).toMatch(/outbox\/mail-order-updates\/.*ana@example\.com.*\.eml$/);
    expect(readFileSync(file!, 'utf8')).toContain('Subject: Order updates - Subscription Confirmation');
    const link = /curl '(\S+)'/.exec(first)?.[1];
    expect(link).toContain('Action=ConfirmSubscription');

    // Again: no second subscription, no second email; it says it is still pending.
    const second = await withEmail(email, () => deploySolution(4, 'mail'));
    expect(second).toContain(`! ${email}: subscribed, but not confirmed yet`);
    const subs = await subscriptionsOf(topicArn('mail'));
    expect(subs.map((s) => [s.Protocol, s.Endpoint, s.SubscriptionArn])).toEqual([['email', email, 'PendingConfirmation']]);

    const pending = await withEmail(email, () => checkInProcess(check, 'mail'));
    expect(pending.passed, pending.stdout).toBe(true);
    expect(pending.stdout).toContain(`✔ ${email} is subscribed by email (NOTIFY_EMAIL)`);
    expect(pending.stdout).toContain(`! ${email} has not confirmed the subscription yet`);
    expect(pending.stdout).toContain("the confirmation email is in the local cloud's outbox");

    expect((await fetch(link!)).status).toBe(200); // what clicking the link does
    const confirmed = await withEmail(email, () => checkInProcess(check, 'mail'));
    expect(confirmed.passed).toBe(true);
    expect(confirmed.stdout).not.toContain('has not confirmed');
    expect(await withEmail(email, () => deploySolution(4, 'mail'))).toContain(`✔ ${email} gets every update by email (subscription confirmed)`);
    // The subscription's filter policy keeps the check's test updates out of the mailbox; a real update is mailed.
    const [subscription] = await subscriptionsOf(topicArn('mail'));
    const { Attributes = {} } = await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: subscription.SubscriptionArn }));
    expect(JSON.parse(Attributes.FilterPolicy!)).toEqual({
      status: [{ 'anything-but': 'check-probe' }],
      customerId: [{ 'anything-but': { prefix: 'check-' } }],
    });
    expect(Attributes.FilterPolicyScope).toBe('MessageBody');
    await sns.send(
      new PublishCommand({
        TopicArn: topicArn('mail'),
        Subject: 'Order o-1: shipped',
        Message: '{"orderId":"o-1","customerId":"c-1","status":"shipped"}',
        MessageAttributes: { status: { DataType: 'String', StringValue: 'shipped' } },
      }),
    );
    const mailed = (subject: string) => cloud.cloud.sns.outbox().some((m) => m.to === email && m.subject === subject);
    for (const giveUpAt = Date.now() + 3000; !mailed('Order o-1: shipped') && Date.now() < giveUpAt; ) await new Promise((r) => setTimeout(r, 10));
    expect(mailed('Order o-1: shipped')).toBe(true);
    expect(mailed('Workbook check: a test update (safe to ignore)')).toBe(false);

    // The lesson's own "publish it yourself" message reaches the mailbox; a plain-text one is filtered out, as on AWS.
    const lesson = readFileSync('steps/04-topic/README.md', 'utf8');
    const example = /sns publish --topic-arn TOPIC_ARN --subject 'Hello' \\\n\s*--message '([^']+)'/.exec(lesson)?.[1];
    expect(example, 'the sns publish example in steps/04-topic/README.md').toBeDefined();
    const publish = (subject: string, message: string) =>
      sns.send(new PublishCommand({ TopicArn: topicArn('mail'), Subject: subject, Message: message, MessageAttributes: { status: { DataType: 'String', StringValue: 'test' } } }));
    await publish('Plain text', 'a message for every subscriber');
    await publish('Hello', example!);
    for (const giveUpAt = Date.now() + 3000; !mailed('Hello') && Date.now() < giveUpAt; ) await new Promise((r) => setTimeout(r, 10));
    expect(mailed('Hello')).toBe(true);
    expect(mailed('Plain text')).toBe(false); // published before the example, which has arrived: it was filtered out
  });

  it('a NOTIFY_EMAIL that is not an address stops the step with what to do', async () => {
    const error = await withEmail('not-an-address', () => deploySolution(4, 'bad-mail')).catch((err: Error & { output?: string }) => err);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('NOTIFY_EMAIL is "not-an-address", which is not an email address.');
  });
});

describe('check:step-4 catches what is wrong, with the fix', () => {
  it('no topic: fails, and says to run step 4', async () => {
    const { passed, stdout } = await withEmail(undefined, () => checkInProcess(check, 'nothing'));
    expect(passed).toBe(false); // what makes the script exit 1
    const [failed, ...more] = failures(stdout);
    expect(more).toEqual([]);
    const block = failureBlock(stdout, failed);
    expect(block).toContain('✘ the topic nothing-order-updates exists');
    expect(block).toContain('there is no topic named nothing-order-updates');
    expect(block).toContain('fix: create it: `npm run step:4`.');
  });

  it('a topic without the tag', async () => {
    await withEmail(undefined, () => deploySolution(4, 'untagged'));
    await sns.send(new UntagResourceCommand({ ResourceArn: topicArn('untagged'), TagKeys: ['workbook'] }));
    const { passed, stdout } = await withEmail(undefined, () => checkInProcess(check, 'untagged'));
    expect(passed).toBe(false);
    const [failed, ...more] = failures(stdout);
    expect(more).toEqual([]);
    const block = failureBlock(stdout, failed);
    expect(block).toContain('✘ it carries the tag workbook=untagged');
    expect(block).toContain('so `npm run teardown` will never remove it');
    expect(block).toContain('fix: a step tags only what it creates');
    expect(block).toContain(`npm run aws -- sns tag-resource --resource-arn ${topicArn('untagged')} --tags Key=workbook,Value=untagged`);
    // The step will not claim it (it might be someone else's)…
    await expect(withEmail(undefined, () => deploySolution(4, 'untagged'))).rejects.toThrow("untagged-order-updates, and it is not this workbook's");
    // …the tag the fix names does.
    await sns.send(new TagResourceCommand({ ResourceArn: topicArn('untagged'), Tags: [{ Key: 'workbook', Value: 'untagged' }] }));
    expect((await withEmail(undefined, () => checkInProcess(check, 'untagged'))).passed).toBe(true);
  });

  it('NOTIFY_EMAIL set after the step ran: not subscribed', async () => {
    await withEmail(undefined, () => deploySolution(4, 'later'));
    const { passed, stdout } = await withEmail('bo@example.com', () => checkInProcess(check, 'later'));
    expect(passed).toBe(false);
    const block = failureBlock(stdout, failures(stdout)[0]);
    expect(block).toContain('NOTIFY_EMAIL is bo@example.com, but that address is not subscribed to later-order-updates.');
    expect(block).toContain('fix: run `npm run step:4`: it subscribes NOTIFY_EMAIL.');
  });
});

describe('npm run teardown after step 4', () => {
  it('removes the topic (its pending email subscription with it), spares look-alikes; again is a no-op', async () => {
    await withPrefix('tidy', async () => {
      await withEmail('cy@example.com', () => deploySolution(4, 'tidy'));
      // Look-alikes: our prefix without our tag; another prefix's topic with its own tag.
      await sns.send(new CreateTopicCommand({ Name: 'tidy-scratch' }));
      await sns.send(new CreateTopicCommand({ Name: 'tidy-x-order-updates', Tags: [{ Key: 'workbook', Value: 'tidy-x' }] }));

      const { result, lines } = await captureOutput(() => teardown({ dryRun: true }));
      expect(result).toBe(0);
      expect(lines.filter((l) => /^ {2}\S/.test(l)).map((l) => l.trim().replace(/\s{2,}/, ' | '))).toEqual(['SNS topic | tidy-order-updates']);

      const removed = await captureOutput(() => teardown({ yes: true }));
      expect(removed.lines.join('\n')).toContain('removed SNS topic tidy-order-updates');
      const left = (await topics()).filter((arn) => arn!.includes(':tidy'));
      expect(left).toEqual([topicArn('tidy').replace('tidy-order-updates', 'tidy-scratch'), topicArn('tidy-x')]);
      await expect(sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn('tidy') }))).rejects.toThrow('Topic does not exist');

      const again = await captureOutput(() => teardown({ yes: true }));
      expect(again.lines.join('\n')).toContain('Nothing to remove');
    });
  });
});
