import type { Cloud } from '../cloud.ts';
import type { QueryParams, QueryService, XmlObject } from '../protocol/awsQuery.ts';
import type { BatchResult, ReceivedMessage, SendMessageInput } from './backend.ts';
import type { MessageAttributeValue } from './message-attributes.ts';

/**
 * SQS as the aws CLI speaks it: the query protocol. Lists and maps arrive flattened
 * (Attribute.1.Name, MessageAttribute.1.Value.StringValue, SendMessageBatchRequestEntry.1.Id)
 * and answers are XML with flattened lists (repeated <Message>, <Attribute>, <QueueUrl>).
 */
export function sqsQuery(cloud: Cloud): QueryService {
  const sqs = () => cloud.sqs;
  return {
    xmlns: 'http://queue.amazonaws.com/doc/2012-11-05/',
    actions: {
      CreateQueue: (p, ctx) => ({
        QueueUrl: sqs().createQueue(ctx, p.get('QueueName'), p.map('Attribute', 'Name', 'Value'), tagsOf(p)),
      }),
      GetQueueUrl: (p, ctx) => ({ QueueUrl: sqs().getQueueUrl(ctx, p.get('QueueName'), p.get('QueueOwnerAWSAccountId')) }),
      ListQueues: (p, ctx) => {
        const { QueueUrls, NextToken } = sqs().listQueues(ctx, p.get('QueueNamePrefix'), p.int('MaxResults'), p.get('NextToken'));
        return { QueueUrl: QueueUrls, ...(NextToken ? { NextToken } : {}) };
      },
      GetQueueAttributes: (p, ctx) => {
        const attributes = sqs().getQueueAttributes(ctx, p.get('QueueUrl'), listOf(p, 'AttributeName', 'AttributeNames'));
        return { Attribute: Object.entries(attributes).map(([Name, Value]) => ({ Name, Value })) };
      },
      SetQueueAttributes: (p, ctx) => sqs().setQueueAttributes(ctx, p.get('QueueUrl'), p.map('Attribute', 'Name', 'Value')),
      PurgeQueue: (p, ctx) => sqs().purgeQueue(ctx, p.get('QueueUrl')),
      DeleteQueue: (p, ctx) => sqs().deleteQueue(ctx, p.get('QueueUrl')),
      TagQueue: (p, ctx) => sqs().tagQueue(ctx, p.get('QueueUrl'), tagsOf(p)),
      UntagQueue: (p, ctx) => sqs().untagQueue(ctx, p.get('QueueUrl'), listOf(p, 'TagKey', 'TagKeys')),
      ListQueueTags: (p, ctx) => ({
        Tag: Object.entries(sqs().listQueueTags(ctx, p.get('QueueUrl'))).map(([Key, Value]) => ({ Key, Value })),
      }),

      SendMessage: (p, ctx) => ({ ...sqs().sendMessage(ctx, p.get('QueueUrl'), sendInput(p)) }),
      SendMessageBatch: (p, ctx) => {
        const entries = p.structs('SendMessageBatchRequestEntry').map((e) => ({ ...sendInput(e), Id: e.get('Id') }));
        return batchXml(sqs().sendMessageBatch(ctx, p.get('QueueUrl'), entries), 'SendMessageBatchResultEntry');
      },
      ReceiveMessage: async (p, ctx) => {
        const messages = await sqs().receiveMessage(
          ctx,
          p.get('QueueUrl'),
          {
            MaxNumberOfMessages: p.int('MaxNumberOfMessages'),
            VisibilityTimeout: p.int('VisibilityTimeout'),
            WaitTimeSeconds: p.int('WaitTimeSeconds'),
            SystemAttributeNames: [
              ...(listOf(p, 'AttributeName', 'AttributeNames') ?? []),
              ...(listOf(p, 'MessageSystemAttributeName', 'MessageSystemAttributeNames') ?? []),
            ],
            MessageAttributeNames: listOf(p, 'MessageAttributeName', 'MessageAttributeNames'),
          },
          ctx.signal,
        );
        return { Message: messages.map(messageXml) };
      },
      DeleteMessage: (p, ctx) => sqs().deleteMessage(ctx, p.get('QueueUrl'), p.get('ReceiptHandle')),
      DeleteMessageBatch: (p, ctx) => {
        const entries = p.structs('DeleteMessageBatchRequestEntry').map((e) => ({
          Id: e.get('Id'),
          ReceiptHandle: e.get('ReceiptHandle'),
        }));
        return batchXml(sqs().deleteMessageBatch(ctx, p.get('QueueUrl'), entries), 'DeleteMessageBatchResultEntry');
      },
      ChangeMessageVisibility: (p, ctx) =>
        sqs().changeMessageVisibility(ctx, p.get('QueueUrl'), p.get('ReceiptHandle'), p.int('VisibilityTimeout')),
      StartMessageMoveTask: (p, ctx) =>
        sqs().moveTasks.start(ctx, p.get('SourceArn'), p.get('DestinationArn'), p.int('MaxNumberOfMessagesPerSecond')),
      ListMessageMoveTasks: (p, ctx) => ({
        // A flattened list: one <ListMessageMoveTasksResultEntry> per task, straight in the result.
        ListMessageMoveTasksResultEntry: sqs()
          .moveTasks.list(ctx, p.get('SourceArn'), p.int('MaxResults'))
          .map((task) => ({ ...task }) as XmlObject),
      }),
      CancelMessageMoveTask: (p, ctx) => sqs().moveTasks.cancel(ctx, p.get('TaskHandle')),
      ChangeMessageVisibilityBatch: (p, ctx) => {
        const entries = p.structs('ChangeMessageVisibilityBatchRequestEntry').map((e) => ({
          Id: e.get('Id'),
          ReceiptHandle: e.get('ReceiptHandle'),
          VisibilityTimeout: e.int('VisibilityTimeout'),
        }));
        return batchXml(
          sqs().changeMessageVisibilityBatch(ctx, p.get('QueueUrl'), entries),
          'ChangeMessageVisibilityBatchResultEntry',
        );
      },
    },
  };
}

/** Clients differ on the flattened name (Tag.1.Key from the CLI, Tags.1.Key by the member name). */
function tagsOf(p: QueryParams): Record<string, string> {
  return { ...p.map('Tags', 'Key', 'Value'), ...p.map('Tag', 'Key', 'Value') };
}

function listOf(p: QueryParams, flattenedName: string, memberName: string): string[] | undefined {
  const values = [...p.list(flattenedName), ...p.list(memberName)];
  return values.length ? values : undefined;
}

function sendInput(p: QueryParams): SendMessageInput {
  return {
    MessageBody: p.get('MessageBody'),
    DelaySeconds: p.int('DelaySeconds'),
    MessageAttributes: p.messageAttributes('MessageAttribute'),
    MessageSystemAttributes: p.messageAttributes('MessageSystemAttribute'),
    MessageDeduplicationId: p.get('MessageDeduplicationId'),
    MessageGroupId: p.get('MessageGroupId'),
  };
}

function messageXml(message: ReceivedMessage): XmlObject {
  const out: XmlObject = {
    MessageId: message.MessageId,
    ReceiptHandle: message.ReceiptHandle,
    MD5OfBody: message.MD5OfBody,
    Body: message.Body,
  };
  if (message.Attributes) {
    out.Attribute = Object.entries(message.Attributes).map(([Name, Value]) => ({ Name, Value }));
  }
  if (message.MessageAttributes) {
    out.MD5OfMessageAttributes = message.MD5OfMessageAttributes;
    out.MessageAttribute = Object.entries(message.MessageAttributes).map(([Name, value]) => ({
      Name,
      Value: attributeXml(value),
    }));
  }
  return out;
}

function attributeXml(value: MessageAttributeValue): XmlObject {
  return value.BinaryValue
    ? { BinaryValue: value.BinaryValue.toString('base64'), DataType: value.DataType }
    : { StringValue: value.StringValue, DataType: value.DataType };
}

function batchXml<T extends object>(result: BatchResult<T>, successElement: string): XmlObject {
  return {
    [successElement]: result.Successful.map((entry) => ({ ...entry }) as XmlObject),
    BatchResultErrorEntry: result.Failed.map((f) => ({
      Id: f.Id,
      SenderFault: String(f.SenderFault),
      Code: f.Code,
      Message: f.Message,
    })),
  };
}
