import type { Cloud } from '../cloud.ts';
import type { QueryParams, QueryService, XmlObject } from '../protocol/awsQuery.ts';
import type { PublishInput } from './publish.ts';
import type { Page } from './backend.ts';
import { listedArn, type SubscriptionRecord, type Tag } from './model.ts';

/**
 * SNS's query-protocol wire adapter (the SDK and the aws CLI both speak it): maps arrive as
 * Attributes.entry.N.key/value, lists as Tags.member.N.Key, message attributes as
 * MessageAttributes.entry.N.Name / .Value.DataType / .Value.StringValue / .Value.BinaryValue
 * (base64). Answers are XML with <member> lists and <entry><key/><value/></entry> maps.
 */
export function snsQuery(cloud: Cloud): QueryService {
  const sns = () => cloud.sns;
  return {
    xmlns: 'http://sns.amazonaws.com/doc/2010-03-31/',
    actions: {
      CreateTopic: (p, ctx) => ({
        TopicArn: sns().createTopic(ctx, p.get('Name'), p.map('Attributes', 'key', 'value'), tagsOf(p)),
      }),
      GetTopicAttributes: (p, ctx) => ({ Attributes: mapXml(sns().getTopicAttributes(ctx, p.get('TopicArn'))) }),
      SetTopicAttributes: (p, ctx) => sns().setTopicAttributes(ctx, p.get('TopicArn'), p.get('AttributeName'), p.get('AttributeValue')),
      ListTopics: (p, ctx) => {
        const { items, nextToken } = sns().listTopics(ctx, p.get('NextToken'));
        return { Topics: { member: items.map((TopicArn) => ({ TopicArn })) }, ...(nextToken ? { NextToken: nextToken } : {}) };
      },
      DeleteTopic: (p, ctx) => sns().deleteTopic(ctx, p.get('TopicArn')),

      TagResource: (p, ctx) => {
        sns().tagResource(ctx, p.get('ResourceArn'), tagsOf(p));
        return {};
      },
      UntagResource: (p, ctx) => {
        sns().untagResource(ctx, p.get('ResourceArn'), p.list('TagKeys'));
        return {};
      },
      ListTagsForResource: (p, ctx) => ({
        Tags: { member: sns().listTagsForResource(ctx, p.get('ResourceArn')).map((t) => ({ Key: t.Key, Value: t.Value })) },
      }),

      Subscribe: (p, ctx) => ({
        SubscriptionArn: sns().subscribe(ctx, {
          TopicArn: p.get('TopicArn'),
          Protocol: p.get('Protocol'),
          Endpoint: p.get('Endpoint'),
          Attributes: p.map('Attributes', 'key', 'value'),
          ReturnSubscriptionArn: p.get('ReturnSubscriptionArn') === 'true',
        }),
      }),
      ConfirmSubscription: (p, ctx) => ({
        SubscriptionArn: sns().confirmSubscription(ctx, p.get('TopicArn'), p.get('Token')),
      }),
      Unsubscribe: (p, ctx) => sns().unsubscribe(ctx, p.get('SubscriptionArn')),
      ListSubscriptions: (p, ctx) => subscriptionsXml(sns().listSubscriptions(ctx, p.get('NextToken'))),
      ListSubscriptionsByTopic: (p, ctx) =>
        subscriptionsXml(sns().listSubscriptionsByTopic(ctx, p.get('TopicArn'), p.get('NextToken'))),
      GetSubscriptionAttributes: (p, ctx) => ({
        Attributes: mapXml(sns().getSubscriptionAttributes(ctx, p.get('SubscriptionArn'))),
      }),
      SetSubscriptionAttributes: (p, ctx) =>
        sns().setSubscriptionAttributes(ctx, p.get('SubscriptionArn'), p.get('AttributeName'), p.get('AttributeValue')),

      Publish: (p, ctx) => ({
        MessageId: sns().publish(ctx, { TopicArn: p.get('TopicArn'), TargetArn: p.get('TargetArn'), PhoneNumber: p.get('PhoneNumber'), ...publishInput(p) }),
      }),
      PublishBatch: (p, ctx) => {
        const entries = p.structs('PublishBatchRequestEntries').map((e) => ({ Id: e.get('Id'), ...publishInput(e) }));
        const result = sns().publishBatch(ctx, p.get('TopicArn'), entries);
        return {
          Successful: { member: result.Successful.map((s) => ({ Id: s.Id, MessageId: s.MessageId })) },
          Failed: {
            member: result.Failed.map((f) => ({ Id: f.Id, Code: f.Code, Message: f.Message, SenderFault: f.SenderFault })),
          },
        };
      },
    },
  };
}

function publishInput(p: QueryParams): PublishInput {
  return {
    Message: p.get('Message'),
    Subject: p.get('Subject'),
    MessageStructure: p.get('MessageStructure'),
    MessageAttributes: p.messageAttributes('MessageAttributes.entry'),
    MessageDeduplicationId: p.get('MessageDeduplicationId'),
    MessageGroupId: p.get('MessageGroupId'),
  };
}

function tagsOf(p: QueryParams): Tag[] {
  return p.structs('Tags').map((t) => ({ Key: t.get('Key') ?? '', Value: t.get('Value') ?? '' }));
}

function mapXml(map: Record<string, string>): XmlObject {
  return { entry: Object.entries(map).map(([key, value]) => ({ key, value })) };
}

function subscriptionsXml(page: Page<SubscriptionRecord>): XmlObject {
  return {
    Subscriptions: {
      member: page.items.map((sub) => ({
        SubscriptionArn: listedArn(sub),
        Owner: sub.owner,
        Protocol: sub.protocol,
        Endpoint: sub.endpoint,
        TopicArn: sub.topicArn,
      })),
    },
    ...(page.nextToken ? { NextToken: page.nextToken } : {}),
  };
}
