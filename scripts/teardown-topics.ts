/**
 * Teardown's SNS topics (step 4): topics named `<prefix>-…` and tagged workbook=<prefix>. They
 * go after the functions that publish to them; their subscriptions went first (an unconfirmed
 * email subscription, which has no ARN to unsubscribe, goes with its topic).
 */
import {
  DeleteTopicCommand,
  GetTopicAttributesCommand,
  ListTagsForResourceCommand,
  ListTopicsCommand,
  NotFoundException,
  ResourceNotFoundException,
  type SNSClient,
} from '@aws-sdk/client-sns';
import { TAG_KEY } from '../lib/names.ts';
import type { Resource, ResourceKind } from './teardown.ts';

export function topics(sns: SNSClient): ResourceKind {
  return {
    kind: 'SNS topic',
    async list(prefix) {
      const found: Resource[] = [];
      let NextToken: string | undefined;
      do {
        const page = await sns.send(new ListTopicsCommand({ NextToken }));
        for (const { TopicArn } of page.Topics ?? []) {
          const name = TopicArn?.slice(TopicArn.lastIndexOf(':') + 1) ?? '';
          if (!name.startsWith(`${prefix}-`)) continue;
          const tags = await sns.send(new ListTagsForResourceCommand({ ResourceArn: TopicArn })).then(
            (out) => out.Tags ?? [],
            (err) => (isGone(err) ? undefined : Promise.reject(err)),
          );
          if (tags?.some((tag) => tag.Key === TAG_KEY && tag.Value === prefix)) found.push({ kind: 'SNS topic', name, id: TopicArn! });
        }
        NextToken = page.NextToken;
      } while (NextToken);
      return found;
    },
    async remove(topic) {
      // DeleteTopic succeeds for a topic that is already gone; ask first, to report it truthfully.
      const exists = await sns.send(new GetTopicAttributesCommand({ TopicArn: topic.id })).then(
        () => true,
        (err) => (isGone(err) ? false : Promise.reject(err)),
      );
      if (!exists) return false;
      await sns.send(new DeleteTopicCommand({ TopicArn: topic.id }));
      return true;
    },
  };
}

/** SNS answers NotFound for a missing topic, and ResourceNotFound when asked for a missing topic's tags. */
const isGone = (err: unknown) => err instanceof NotFoundException || err instanceof ResourceNotFoundException;
