import { dict } from '../core/dict.ts';
import type { Cloud } from '../cloud.ts';
import type { JsonService } from '../protocol/awsJson.ts';
import { commonErrors } from '../protocol/errors.ts';
import type { ReceivedMessage, SendMessageInput } from './backend.ts';
import type { MessageAttributeInput, MessageAttributeValue } from './message-attributes.ts';

/**
 * SQS as SDK v3 speaks it: awsJson 1.0, query compatible (errors also carry the query code in
 * x-amzn-query-error). Field names are the API's own; binary attribute values travel as base64.
 */
export function sqsJson(cloud: Cloud): JsonService {
  const sqs = () => cloud.sqs;
  return {
    targetPrefix: 'AmazonSQS',
    errorNamespace: 'com.amazonaws.sqs',
    version: '1.0',
    queryCompatible: true,
    operations: {
      CreateQueue: (input, ctx) => ({
        QueueUrl: sqs().createQueue(ctx, input.QueueName, object(input.Attributes, 'Attributes'), object(input.tags, 'tags')),
      }),
      GetQueueUrl: (input, ctx) => ({ QueueUrl: sqs().getQueueUrl(ctx, input.QueueName, input.QueueOwnerAWSAccountId) }),
      ListQueues: (input, ctx) => {
        const { QueueUrls, NextToken } = sqs().listQueues(ctx, input.QueueNamePrefix, input.MaxResults, input.NextToken);
        return { ...(QueueUrls.length ? { QueueUrls } : {}), ...(NextToken ? { NextToken } : {}) };
      },
      GetQueueAttributes: (input, ctx) => {
        const attributes = sqs().getQueueAttributes(ctx, input.QueueUrl, strings(input.AttributeNames, 'AttributeNames'));
        return Object.keys(attributes).length ? { Attributes: attributes } : {};
      },
      SetQueueAttributes: (input, ctx) => {
        if (input.Attributes === undefined) throw commonErrors.missingParameter('Attributes');
        sqs().setQueueAttributes(ctx, input.QueueUrl, object(input.Attributes, 'Attributes'));
      },
      PurgeQueue: (input, ctx) => sqs().purgeQueue(ctx, input.QueueUrl),
      DeleteQueue: (input, ctx) => sqs().deleteQueue(ctx, input.QueueUrl),
      TagQueue: (input, ctx) => sqs().tagQueue(ctx, input.QueueUrl, object(input.Tags, 'Tags')),
      UntagQueue: (input, ctx) => sqs().untagQueue(ctx, input.QueueUrl, strings(input.TagKeys, 'TagKeys')),
      ListQueueTags: (input, ctx) => {
        const tags = sqs().listQueueTags(ctx, input.QueueUrl);
        return Object.keys(tags).length ? { Tags: tags } : {};
      },

      SendMessage: (input, ctx) => sqs().sendMessage(ctx, input.QueueUrl, sendInput(input)),
      SendMessageBatch: (input, ctx) =>
        sqs().sendMessageBatch(
          ctx,
          input.QueueUrl,
          entries(input.Entries).map((entry) => ({ ...sendInput(entry), Id: entry.Id })),
        ),
      ReceiveMessage: async (input, ctx) => {
        const messages = await sqs().receiveMessage(
          ctx,
          input.QueueUrl,
          {
            MaxNumberOfMessages: input.MaxNumberOfMessages,
            VisibilityTimeout: input.VisibilityTimeout,
            WaitTimeSeconds: input.WaitTimeSeconds,
            SystemAttributeNames: [
              ...(strings(input.AttributeNames, 'AttributeNames') ?? []),
              ...(strings(input.MessageSystemAttributeNames, 'MessageSystemAttributeNames') ?? []),
            ],
            MessageAttributeNames: strings(input.MessageAttributeNames, 'MessageAttributeNames'),
          },
          ctx.signal,
        );
        return messages.length ? { Messages: messages.map(messageToJson) } : {};
      },
      DeleteMessage: (input, ctx) => sqs().deleteMessage(ctx, input.QueueUrl, input.ReceiptHandle),
      DeleteMessageBatch: (input, ctx) => sqs().deleteMessageBatch(ctx, input.QueueUrl, entries(input.Entries)),
      ChangeMessageVisibility: (input, ctx) =>
        sqs().changeMessageVisibility(ctx, input.QueueUrl, input.ReceiptHandle, input.VisibilityTimeout),
      StartMessageMoveTask: (input, ctx) =>
        sqs().moveTasks.start(ctx, input.SourceArn, input.DestinationArn, input.MaxNumberOfMessagesPerSecond),
      ListMessageMoveTasks: (input, ctx) => ({ Results: sqs().moveTasks.list(ctx, input.SourceArn, input.MaxResults) }),
      CancelMessageMoveTask: (input, ctx) => sqs().moveTasks.cancel(ctx, input.TaskHandle),
      ChangeMessageVisibilityBatch: (input, ctx) =>
        sqs().changeMessageVisibilityBatch(ctx, input.QueueUrl, entries(input.Entries)),
    },
  };
}

function sendInput(input: Record<string, any>): SendMessageInput {
  return {
    MessageBody: input.MessageBody,
    DelaySeconds: input.DelaySeconds,
    MessageAttributes: attributesFromJson(input.MessageAttributes),
    MessageSystemAttributes: attributesFromJson(input.MessageSystemAttributes),
    MessageDeduplicationId: input.MessageDeduplicationId,
    MessageGroupId: input.MessageGroupId,
  };
}

function attributesFromJson(value: unknown): Record<string, MessageAttributeInput> | undefined {
  if (value === undefined || value === null) return undefined;
  const out = dict<MessageAttributeInput>();
  for (const [name, raw] of Object.entries(object(value, 'MessageAttributes') ?? {})) {
    const attribute = (raw ?? {}) as Record<string, unknown>;
    out[name] = {
      DataType: typeof attribute.DataType === 'string' ? attribute.DataType : undefined,
      StringValue: typeof attribute.StringValue === 'string' ? attribute.StringValue : undefined,
      BinaryValue: typeof attribute.BinaryValue === 'string' ? Buffer.from(attribute.BinaryValue, 'base64') : undefined,
    };
  }
  return out;
}

function messageToJson(message: ReceivedMessage): Record<string, unknown> {
  if (!message.MessageAttributes) return { ...message };
  return { ...message, MessageAttributes: attributesToJson(message.MessageAttributes) };
}

function attributesToJson(attributes: Record<string, MessageAttributeValue>): Record<string, unknown> {
  const out = dict<unknown>();
  for (const [name, value] of Object.entries(attributes)) {
    out[name] = value.BinaryValue
      ? { DataType: value.DataType, BinaryValue: value.BinaryValue.toString('base64') }
      : { DataType: value.DataType, StringValue: value.StringValue };
  }
  return out;
}

function object(value: unknown, name: string): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw commonErrors.serialization(`Expected a map for ${name}.`);
  }
  return value as Record<string, unknown>;
}

function strings(value: unknown, name: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw commonErrors.serialization(`Expected a list of strings for ${name}.`);
  }
  return value as string[];
}

function entries(value: unknown): Array<Record<string, any>> {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw commonErrors.serialization('Expected a list for Entries.');
  return value as Array<Record<string, any>>;
}
