/**
 * Step 4: the order-updates topic (read README.md next to this file first).
 *
 * The monitor function (step 5) publishes one status update per order to this SNS topic; SNS
 * hands a copy to every subscriber: people by email, the recorder function (step 7), anything
 * else that wants to follow orders later. The publisher never needs to know who they are.
 *
 * With NOTIFY_EMAIL set (in .env or the environment), the address is subscribed too. Email
 * subscriptions stay "pending confirmation" until the owner of the address confirms them.
 *
 * Run it with `npm run step:4`; running it again is harmless (it finds what exists).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateTopicCommand,
  InvalidParameterException,
  ListSubscriptionsByTopicCommand,
  ListTagsForResourceCommand,
  GetSubscriptionAttributesCommand,
  SetSubscriptionAttributesCommand,
  SetTopicAttributesCommand,
  SubscribeCommand,
  type SNSClient,
  type Subscription,
} from '@aws-sdk/client-sns';
import { snsClient } from '../../lib/clients.ts';
import { displayPath, resolveTarget } from '../../lib/config.ts';
import { WorkbookError } from '../../lib/errors.ts';
import { names, workbookTagList } from '../../lib/names.ts';
import { refuseUnlessOurs } from '../../lib/ownership.ts';
import { cmd, detail, heading, next, ok, say, warn } from '../../lib/output.ts';
import { runWhenExecuted } from '../../lib/steps.ts';
import { waitFor } from '../../lib/wait.ts';

/** Email from the topic shows this as its sender's name (at most 100 characters). */
const DISPLAY_NAME = 'Order updates';

/**
 * The email subscription's filter policy, applied to the update itself (FilterPolicyScope
 * MessageBody): every update except the checks' — their test updates (status "check-probe") and
 * the updates of their probe orders, which go through the pipeline as real orders do but for a
 * customer whose id starts with "check-". No person needs to read those.
 */
const EMAIL_FILTER_POLICY = JSON.stringify({
  status: [{ 'anything-but': 'check-probe' }],
  customerId: [{ 'anything-but': { prefix: 'check-' } }],
});
const EMAIL_FILTER_SCOPE = 'MessageBody';

export async function deploy() {
  const n = names();
  const sns = snsClient();
  heading(`Step 4: the order-updates topic (${resolveTarget().label})`);

  // 1. The topic. CreateTopic is idempotent: for a topic of that name with the same attributes
  //    and tags, SNS just returns its ARN.
  const topicArn = await createTopic(sns, n.updatesTopic, { DisplayName: DISPLAY_NAME });
  ok(`${n.updatesTopic}: ready for status updates`);
  detail(topicArn);

  // 2. Optional: people who want every update by email.
  const email = process.env.NOTIFY_EMAIL?.trim();
  if (!email) {
    say(`  No NOTIFY_EMAIL is set, so no one gets the updates by email. To add yourself, put NOTIFY_EMAIL=you@example.com`);
    say(`  in .env and run ${cmd('npm run step:4')} again (README.md explains the confirmation).`);
  } else {
    await subscribeEmail(sns, topicArn, email);
  }

  next(`${cmd('npm run check:step-4')} verifies the topic and publishes a test message through it.`);
  return { topicArn };
}

/**
 * CreateTopic, safe to repeat. If an attribute or a tag differs from the topic's (you changed a
 * setting since the last run), SNS refuses with InvalidParameter "Topic already exists with
 * different attributes" (or tags); then the script applies the new attributes to the existing
 * topic — only if an earlier run made it (it carries our tag). Anyone else's is left alone.
 */
async function createTopic(sns: SNSClient, name: string, attributes: Record<string, string>): Promise<string> {
  const tags = workbookTagList(); // `npm run teardown` removes only what carries this tag
  let topicArn: string;
  let differs = false;
  try {
    topicArn = (await sns.send(new CreateTopicCommand({ Name: name, Attributes: attributes, Tags: tags }))).TopicArn!;
  } catch (err) {
    if (!(err instanceof InvalidParameterException) || !/already exists with different/.test(err.message)) throw err;
    // Without attributes and tags, CreateTopic only returns the existing topic's ARN.
    topicArn = (await sns.send(new CreateTopicCommand({ Name: name }))).TopicArn!;
    differs = true;
  }
  const { Tags } = await sns.send(new ListTagsForResourceCommand({ ResourceArn: topicArn }));
  refuseUnlessOurs('topic', name, Tags);
  if (differs) {
    for (const [AttributeName, AttributeValue] of Object.entries(attributes)) {
      await sns.send(new SetTopicAttributesCommand({ TopicArn: topicArn, AttributeName, AttributeValue }));
    }
    ok(`${name} existed with other settings: applied this script's attributes`);
  }
  return topicArn;
}

/**
 * Subscribes the address unless it already is (confirmed or pending): a second Subscribe would
 * send another confirmation email, and a person would get a new one every run.
 */
async function subscribeEmail(sns: SNSClient, topicArn: string, email: string): Promise<void> {
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
    throw new WorkbookError(`NOTIFY_EMAIL is "${email}", which is not an email address.`, 'Set NOTIFY_EMAIL=you@example.com in .env, or remove it.');
  }
  const existing = (await subscriptionsOf(sns, topicArn)).find(
    (s) => s.Protocol === 'email' && s.Endpoint?.toLowerCase() === email.toLowerCase(),
  );
  if (existing && existing.SubscriptionArn !== 'PendingConfirmation') {
    await applyFilterPolicy(sns, existing.SubscriptionArn!);
    ok(`${email} gets every update by email (subscription confirmed)`);
    detail(existing.SubscriptionArn!);
    return;
  }
  if (!existing) {
    // For email, SNS answers "pending confirmation" and sends the address a confirmation request.
    await sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'email',
        Endpoint: email,
        Attributes: { FilterPolicy: EMAIL_FILTER_POLICY, FilterPolicyScope: EMAIL_FILTER_SCOPE },
      }),
    );
    ok(`${email}: subscribed; SNS sent a confirmation request to that address`);
  } else {
    warn(`${email}: subscribed, but not confirmed yet: no update is sent there until it is`);
  }
  await explainConfirmation(topicArn, email);
}

/** A subscription made before this filter policy existed gets it now (the scope first: the policy is read in it). */
async function applyFilterPolicy(sns: SNSClient, subscriptionArn: string): Promise<void> {
  const { Attributes = {} } = await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: subscriptionArn }));
  if (Attributes.FilterPolicyScope !== EMAIL_FILTER_SCOPE) {
    await sns.send(
      new SetSubscriptionAttributesCommand({ SubscriptionArn: subscriptionArn, AttributeName: 'FilterPolicyScope', AttributeValue: EMAIL_FILTER_SCOPE }),
    );
  }
  if (Attributes.FilterPolicy === EMAIL_FILTER_POLICY) return;
  await sns.send(
    new SetSubscriptionAttributesCommand({ SubscriptionArn: subscriptionArn, AttributeName: 'FilterPolicy', AttributeValue: EMAIL_FILTER_POLICY }),
  );
}

async function subscriptionsOf(sns: SNSClient, topicArn: string): Promise<Subscription[]> {
  const all: Subscription[] = [];
  let NextToken: string | undefined;
  do {
    const page = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken }));
    all.push(...(page.Subscriptions ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return all;
}

/** How to confirm: the link in the email on AWS; on the local cloud, the same email in its outbox. */
async function explainConfirmation(topicArn: string, email: string): Promise<void> {
  const target = resolveTarget();
  if (target.kind !== 'local' && !target.realAws) {
    // An emulator such as LocalStack keeps SNS email to itself: no confirmation, no updates arrive.
    say(`  ${target.endpoint} is an emulator: it sends no email (LocalStack keeps SNS email to itself), so expect no`);
    say('  confirmation and no updates in your inbox. The pipeline works without them.');
    return;
  }
  if (target.kind !== 'local') {
    say(`  Confirm it: open the email "${DISPLAY_NAME} - Subscription Confirmation" (from no-reply@sns.amazonaws.com;`);
    say('  look in spam too) and click "Confirm subscription". SNS deletes a subscription left unconfirmed for 48 hours;');
    say('  run this step again then, for a new confirmation email.');
    return;
  }
  // The local cloud sends no real mail: it writes each email to a file in its outbox.
  const folder = join(target.localCloud!.dataDir, 'outbox', topicArn.slice(topicArn.lastIndexOf(':') + 1));
  const confirmation = await waitFor('the confirmation email in the outbox', async () => latestConfirmation(folder, email), {
    deadlineMs: 3000,
  }).catch(() => undefined);
  if (!confirmation) {
    say(`  Confirm it: the local cloud writes email to ${displayPath(folder)}/ instead of sending it; open the newest`);
    say('  "Subscription Confirmation" file there and visit its link (README.md shows how).');
    return;
  }
  say(`  The local cloud sends no real mail: the confirmation email is in ${displayPath(confirmation.file)}.`);
  say(`  Confirm it by visiting its link, e.g.:\n  curl '${confirmation.link}'`);
}

/** The newest confirmation email to `email` in the outbox folder, and its link. */
function latestConfirmation(folder: string, email: string): { file: string; link: string } | undefined {
  let files: string[];
  try {
    files = readdirSync(folder).filter((f) => f.endsWith('.eml') && f.toLowerCase().includes(email.toLowerCase()));
  } catch {
    return undefined; // no outbox yet
  }
  const newestFirst = files.map((f) => join(folder, f)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  for (const file of newestFirst) {
    const link = /https?:\/\/\S*Action=ConfirmSubscription\S*/.exec(readFileSync(file, 'utf8'))?.[0];
    if (link) return { file, link };
  }
  return undefined;
}

runWhenExecuted(import.meta.url, deploy);
