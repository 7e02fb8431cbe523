/**
 * Teardown's SNS subscriptions: every subscription of the workbook's topics (named `<prefix>-…`
 * and tagged workbook=<prefix>). Subscriptions carry no tags of their own; they are the
 * workbook's because their topic is. They go first: nothing should be delivered while the
 * functions and queues behind them are being removed.
 */
import {
  ListSubscriptionsByTopicCommand,
  ListTagsForResourceCommand,
  ListTopicsCommand,
  NotFoundException,
  UnsubscribeCommand,
  type SNSClient,
} from '@aws-sdk/client-sns';
import { TAG_KEY } from '../lib/names.ts';
import type { Resource, ResourceKind } from './teardown.ts';

export function subscriptions(sns: SNSClient): ResourceKind {
  return {
    kind: 'SNS subscription',
    async list(prefix) {
      const found: Resource[] = [];
      for (const topicArn of await ourTopics(sns, prefix)) {
        const topicName = topicArn.slice(topicArn.lastIndexOf(':') + 1);
        let NextToken: string | undefined;
        do {
          const page = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken }));
          for (const sub of page.Subscriptions ?? []) {
            // "PendingConfirmation": an unconfirmed email subscription has no ARN yet; it goes with its topic.
            if (!sub.SubscriptionArn?.startsWith('arn:')) continue;
            const endpoint = sub.Endpoint?.startsWith('arn:') ? sub.Endpoint.slice(sub.Endpoint.lastIndexOf(':') + 1) : sub.Endpoint;
            found.push({ kind: 'SNS subscription', name: `${topicName} → ${sub.Protocol} ${endpoint}`, id: sub.SubscriptionArn });
          }
          NextToken = page.NextToken;
        } while (NextToken);
      }
      return found;
    },
    async remove(subscription) {
      try {
        await sns.send(new UnsubscribeCommand({ SubscriptionArn: subscription.id }));
        return true;
      } catch (err) {
        if (err instanceof NotFoundException) return false;
        throw err;
      }
    },
  };
}

/** The ARNs of the topics named `<prefix>-…` that carry the workbook's tag. */
async function ourTopics(sns: SNSClient, prefix: string): Promise<string[]> {
  const arns: string[] = [];
  let NextToken: string | undefined;
  do {
    const page = await sns.send(new ListTopicsCommand({ NextToken }));
    for (const { TopicArn } of page.Topics ?? []) {
      if (!TopicArn || !TopicArn.slice(TopicArn.lastIndexOf(':') + 1).startsWith(`${prefix}-`)) continue;
      const tags = await sns.send(new ListTagsForResourceCommand({ ResourceArn: TopicArn })).then(
        (out) => out.Tags ?? [],
        (err) => (err instanceof NotFoundException ? [] : Promise.reject(err)),
      );
      if (tags.some((tag) => tag.Key === TAG_KEY && tag.Value === prefix)) arns.push(TopicArn);
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return arns;
}
