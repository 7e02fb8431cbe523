import { Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  batches, expectHealthy, expectRefused, expectUnharmed, send, startWatchedCloud, JSON_10, JSON_11,
  type HostileCase, type HostileContext, type HostileRequest, type Watch,
} from './support.ts';

/** awsJson: SQS (as SDK v3 speaks it), CloudWatch Logs, DynamoDB (dynalite), each with hostile input. */

const sqs = (operation: string, body: unknown): HostileRequest => ({
  service: 'sqs', path: '/', headers: { ...JSON_10, 'x-amz-target': `AmazonSQS.${operation}` },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});
const logs = (operation: string, body: unknown): HostileRequest => ({
  service: 'logs', path: '/', headers: { ...JSON_11, 'x-amz-target': `Logs_20140328.${operation}` },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});
const ddb = (operation: string, body: unknown): HostileRequest => ({
  service: 'dynamodb', path: '/', headers: { ...JSON_10, 'x-amz-target': `DynamoDB_20120810.${operation}` },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

const deep = (depth: number, leaf = '1') => '['.repeat(depth) + leaf + ']'.repeat(depth);
const deepMap = (depth: number) => '{"M":{"a":'.repeat(depth) + '{"S":"x"}' + '}}'.repeat(depth);
const tooMany = (n: number, make: (i: number) => [string, unknown]) => Object.fromEntries(Array.from({ length: n }, (_, i) => make(i)));
const attribute = (DataType: string, StringValue?: string) => ({ DataType, StringValue });
let queueUrl = '';
const withQueue = (operation: string, body: Record<string, unknown>) => () => sqs(operation, { QueueUrl: queueUrl, ...body });
const send1 = (extra: Record<string, unknown>) => withQueue('SendMessage', { MessageBody: 'hi', ...extra });

const sqsCases: HostileCase[] = [
  ...['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', ''].map((op): HostileCase => ({
    name: `SQS operation named "${op}"`, request: sqs(op, {}), shape: 'json', code: 'UnknownOperationException',
  })),
  ...['__proto__.ListQueues', 'constructor.ListQueues', 'toString.ListQueues', 'prototype.ListQueues', '.ListQueues', 'AmazonSQS', '..'].map(
    (target): HostileCase => ({
      name: `X-Amz-Target "${target}"`,
      request: { service: 'sqs', path: '/', headers: { ...JSON_10, 'x-amz-target': target }, body: '{}' },
      shape: 'json', code: 'UnknownOperationException',
    }),
  ),
  { name: 'truncated JSON', request: sqs('ListQueues', '{"QueueNamePrefix":'), shape: 'json', code: 'SerializationException' },
  { name: 'JSON array body', request: sqs('ListQueues', '[]'), shape: 'json', code: 'SerializationException' },
  { name: 'JSON string body', request: sqs('ListQueues', '"x"'), shape: 'json', code: 'SerializationException' },
  { name: 'JSON null body', request: sqs('ListQueues', 'null'), shape: 'json', code: 'SerializationException' },
  { name: 'XML body to a JSON API', request: sqs('ListQueues', '<x/>'), shape: 'json', code: 'SerializationException' },
  { name: 'invalid UTF-8 body', request: { ...sqs('ListQueues', ''), body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) }, shape: 'json', code: 'SerializationException' },
  { name: 'nesting 100k deep', request: sqs('CreateQueue', `{"QueueName":${deep(100_000)}}`), shape: 'json', code: ['SerializationException', 'InvalidParameterValue'] },
  { name: 'queue name "../../etc"', request: sqs('CreateQueue', { QueueName: '../../etc' }), shape: 'json', code: 'InvalidParameterValue' },
  { name: 'queue name with NUL', request: sqs('CreateQueue', { QueueName: 'a\u0000b' }), shape: 'json', code: 'InvalidParameterValue' },
  { name: 'queue name of 1 MB', request: sqs('CreateQueue', { QueueName: 'a'.repeat(1 << 20) }), shape: 'json', code: 'InvalidParameterValue' },
  { name: 'queue name a number', request: sqs('CreateQueue', { QueueName: 42 }), shape: 'json', code: ['InvalidParameterValue', 'SerializationException', 'MissingParameter'] },
  { name: 'queue name an object', request: sqs('CreateQueue', { QueueName: { a: 1 } }), shape: 'json', code: ['InvalidParameterValue', 'SerializationException', 'MissingParameter'] },
  ...['constructor', '__proto__', 'toString', 'prototype', 'hasOwnProperty'].map((name): HostileCase => ({
    name: `queue attribute "${name}"`,
    request: sqs('CreateQueue', JSON.parse(`{"QueueName":"q-${name.length}","Attributes":{"${name}":"1"}}`)),
    shape: 'json', code: 'InvalidAttributeName',
  })),
  { name: 'VisibilityTimeout -1', request: sqs('CreateQueue', { QueueName: 'q1', Attributes: { VisibilityTimeout: '-1' } }), shape: 'json', code: 'InvalidAttributeValue' },
  { name: 'VisibilityTimeout 1e30', request: sqs('CreateQueue', { QueueName: 'q1', Attributes: { VisibilityTimeout: '1000000000000000000000000000000' } }), shape: 'json', code: 'InvalidAttributeValue' },
  { name: 'Attributes a list', request: sqs('CreateQueue', { QueueName: 'q1', Attributes: ['VisibilityTimeout'] }), shape: 'json', code: 'SerializationException' },
  { name: 'RedrivePolicy with __proto__', request: sqs('CreateQueue', { QueueName: 'q1', Attributes: { RedrivePolicy: '{"__proto__":{"x":1},"maxReceiveCount":1,"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:nope"}' } }), shape: 'json', code: 'InvalidAttributeValue' },
  { name: 'Policy that is not JSON', request: sqs('CreateQueue', { QueueName: 'q1', Attributes: { Policy: '{"a":' } }), shape: 'json', code: 'InvalidAttributeValue' },
  { name: 'an empty tag key', request: sqs('CreateQueue', { QueueName: 'q1', tags: { '': 'x' } }), shape: 'json', code: 'InvalidParameterValue' },
  { name: '51 tags', request: withQueue('TagQueue', { Tags: tooMany(51, (i) => [`k${i}`, 'v']) }), shape: 'json', code: ['InvalidParameterValue', 'TooManyTags', 'InvalidParameterValueException'] },
  { name: 'UntagQueue keys a string', request: withQueue('UntagQueue', { TagKeys: '__proto__' }), shape: 'json', code: 'SerializationException' },
  { name: 'GetQueueAttributes "constructor"', request: withQueue('GetQueueAttributes', { AttributeNames: ['constructor'] }), shape: 'json', code: 'InvalidAttributeName' },
  { name: 'GetQueueAttributes "__proto__"', request: withQueue('GetQueueAttributes', { AttributeNames: ['__proto__'] }), shape: 'json', code: 'InvalidAttributeName' },
  { name: 'SetQueueAttributes without Attributes', request: withQueue('SetQueueAttributes', {}), shape: 'json', code: 'MissingParameter' },
  { name: 'queue URL naming "constructor"', request: () => sqs('GetQueueAttributes', { QueueUrl: queueUrl.replace(/[^/]+$/, 'constructor') }), shape: 'json', code: 'QueueDoesNotExist' },
  { name: 'queue URL with ../', request: () => sqs('GetQueueAttributes', { QueueUrl: `${queueUrl}/../../etc/passwd` }), shape: 'json', code: ['QueueDoesNotExist', 'InvalidAddress'] },
  { name: 'queue URL a number', request: sqs('PurgeQueue', { QueueUrl: 7 }), shape: 'json', code: ['QueueDoesNotExist', 'InvalidAddress', 'MissingParameter', 'SerializationException'] },
  { name: 'message body with NUL', request: send1({ MessageBody: 'a\u0000b' }), shape: 'json', code: 'InvalidMessageContents' },
  { name: 'message body of 2 MB', request: send1({ MessageBody: 'x'.repeat(2 << 20) }), shape: 'json', code: 'InvalidParameterValue' },
  { name: 'DelaySeconds -1', request: send1({ DelaySeconds: -1 }), shape: 'json', code: 'InvalidParameterValue' },
  { name: 'DelaySeconds 1e308', request: send1({ DelaySeconds: 1e308 }), shape: 'json', code: 'InvalidParameterValue' },
  { name: 'DelaySeconds a string', request: send1({ DelaySeconds: 'soon' }), shape: 'json', code: ['InvalidParameterValue', 'SerializationException'] },
  { name: '11 message attributes', request: send1({ MessageAttributes: tooMany(11, (i) => [`a${i}`, attribute('String', 'v')]) }), shape: 'json', code: 'InvalidParameterValue' },
  { name: '10,000 message attributes', request: send1({ MessageAttributes: tooMany(10_000, (i) => [`a${i}`, attribute('String', 'v')]) }), shape: 'json', code: 'InvalidParameterValue' },
  { name: 'message attribute "__proto__" not a number', request: send1({ MessageAttributes: JSON.parse('{"__proto__":{"DataType":"Number","StringValue":"abc"}}') }), shape: 'json', code: 'InvalidParameterValue' },
  { name: 'message attribute "constructor" without type', request: send1({ MessageAttributes: { constructor: { StringValue: 'x' } } }), shape: 'json', code: 'InvalidParameterValue' },
  { name: 'message attribute "toString" without value', request: send1({ MessageAttributes: { toString: { DataType: 'String' } } }), shape: 'json', code: 'InvalidParameterValue' },
  { name: 'message attribute named "aws.x"', request: send1({ MessageAttributes: { 'aws.x': attribute('String', 'v') } }), shape: 'json', code: 'InvalidParameterValue' },
  { name: 'message attribute named "../x"', request: send1({ MessageAttributes: { '../x': attribute('String', 'v') } }), shape: 'json', code: 'InvalidParameterValue' },
  { name: 'message attribute a string', request: send1({ MessageAttributes: { a: 'v' } }), shape: 'json', code: 'InvalidParameterValue' },
  { name: 'message attribute with NUL', request: send1({ MessageAttributes: { a: attribute('String', 'x\u0000') } }), shape: 'json', code: 'InvalidParameterValue' },
  { name: 'system attribute "__proto__"', request: send1({ MessageSystemAttributes: JSON.parse('{"__proto__":{"DataType":"String","StringValue":"x"}}') }), shape: 'json', code: 'InvalidParameterValue' },
  { name: 'MaxNumberOfMessages 0', request: withQueue('ReceiveMessage', { MaxNumberOfMessages: 0 }), shape: 'json', code: 'InvalidParameterValue' },
  { name: 'MaxNumberOfMessages -1e20', request: withQueue('ReceiveMessage', { MaxNumberOfMessages: -1e20 }), shape: 'json', code: 'InvalidParameterValue' },
  { name: 'WaitTimeSeconds 21', request: withQueue('ReceiveMessage', { WaitTimeSeconds: 21 }), shape: 'json', code: 'InvalidParameterValue' },
  { name: 'VisibilityTimeout 1.5 on receive', request: withQueue('ReceiveMessage', { VisibilityTimeout: 1.5 }), shape: 'json', code: ['InvalidParameterValue', 'SerializationException'] },
  { name: 'a receipt handle of garbage', request: withQueue('DeleteMessage', { ReceiptHandle: '__proto__' }), shape: 'json', code: 'ReceiptHandleIsInvalid' },
  { name: 'a receipt handle of 1 MB', request: withQueue('ChangeMessageVisibility', { ReceiptHandle: 'x'.repeat(1 << 20), VisibilityTimeout: 1 }), shape: 'json', code: 'ReceiptHandleIsInvalid' },
  { name: 'an empty batch', request: withQueue('SendMessageBatch', { Entries: [] }), shape: 'json', code: 'EmptyBatchRequest' },
  { name: 'a batch of 11', request: withQueue('SendMessageBatch', { Entries: Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, MessageBody: 'x' })) }), shape: 'json', code: 'TooManyEntriesInBatchRequest' },
  { name: 'a batch with one Id twice', request: withQueue('SendMessageBatch', { Entries: [{ Id: 'a', MessageBody: 'x' }, { Id: 'a', MessageBody: 'y' }] }), shape: 'json', code: 'BatchEntryIdsNotDistinct' },
  { name: 'batch entries an object', request: withQueue('DeleteMessageBatch', { Entries: { __proto__: [] } }), shape: 'json', code: 'SerializationException' },
  { name: 'ListQueues MaxResults 1001', request: sqs('ListQueues', { MaxResults: 1001 }), shape: 'json', code: 'InvalidParameterValue' },
  { name: 'ListQueues NextToken garbage', request: sqs('ListQueues', { MaxResults: 1, NextToken: '__proto__' }), shape: 'json', code: 'InvalidParameterValue' },
];

let groupName = 'hostile-group';
const logsCases: HostileCase[] = [
  ...['__proto__', 'constructor', 'toString'].map((op): HostileCase => ({
    name: `Logs operation "${op}"`, request: logs(op, {}), shape: 'json', code: 'UnknownOperationException',
  })),
  { name: 'truncated JSON', request: logs('DescribeLogGroups', '{'), shape: 'json', code: 'SerializationException' },
  { name: 'nesting 100k deep', request: logs('CreateLogGroup', `{"logGroupName":${deep(100_000)}}`), shape: 'json', code: 'SerializationException' },
  { name: 'group name with NUL', request: logs('CreateLogGroup', { logGroupName: 'a\u0000b' }), shape: 'json', code: 'InvalidParameterException' },
  { name: 'group name of 100 KB', request: logs('CreateLogGroup', { logGroupName: 'a'.repeat(100_000) }), shape: 'json', code: 'InvalidParameterException' },
  { name: 'group name a number', request: logs('CreateLogGroup', { logGroupName: 5 }), shape: 'json', code: ['InvalidParameterException', 'SerializationException'] },
  { name: 'group name empty', request: logs('CreateLogGroup', { logGroupName: '' }), shape: 'json', code: 'InvalidParameterException' },
  { name: 'stream name with ":"', request: () => logs('CreateLogStream', { logGroupName: groupName, logStreamName: 'a:b' }), shape: 'json', code: 'InvalidParameterException' },
  { name: 'events not a list', request: () => logs('PutLogEvents', { logGroupName: groupName, logStreamName: 's', logEvents: { __proto__: 1 } }), shape: 'json', code: ['InvalidParameterException', 'SerializationException'] },
  { name: 'events out of order', request: () => logs('PutLogEvents', { logGroupName: groupName, logStreamName: 's', logEvents: [{ timestamp: Date.now(), message: 'b' }, { timestamp: Date.now() - 1000, message: 'a' }] }), shape: 'json', code: 'InvalidParameterException' },
  { name: 'events into a stream "__proto__"', request: () => logs('PutLogEvents', { logGroupName: groupName, logStreamName: '__proto__', logEvents: [{ timestamp: Date.now(), message: 'a' }] }), shape: 'json', code: 'ResourceNotFoundException' },
  { name: 'events into a group "constructor"', request: logs('PutLogEvents', { logGroupName: 'constructor', logStreamName: 's', logEvents: [{ timestamp: Date.now(), message: 'a' }] }), shape: 'json', code: 'ResourceNotFoundException' },
  { name: 'filter on a group "__proto__"', request: logs('FilterLogEvents', { logGroupName: '__proto__', filterPattern: '{ $.constructor = 1 }' }), shape: 'json', code: 'ResourceNotFoundException' },
  { name: 'a malformed filter pattern', request: () => logs('FilterLogEvents', { logGroupName: groupName, filterPattern: '{ $.a = ' }), shape: 'json', code: 'InvalidParameterException' },
  { name: 'limit -1', request: logs('DescribeLogGroups', { limit: -1 }), shape: 'json', code: 'InvalidParameterException' },
  { name: 'limit 1e9', request: logs('DescribeLogGroups', { limit: 1e9 }), shape: 'json', code: 'InvalidParameterException' },
  { name: 'nextToken garbage', request: logs('DescribeLogGroups', { nextToken: '../../x' }), shape: 'json', code: 'InvalidParameterException' },
  { name: 'retention of 7.5 days', request: () => logs('PutRetentionPolicy', { logGroupName: groupName, retentionInDays: 7.5 }), shape: 'json', code: 'InvalidParameterException' },
  { name: 'tags of a missing group "constructor"', request: logs('ListTagsLogGroup', { logGroupName: 'constructor' }), shape: 'json', code: 'ResourceNotFoundException' },
];

const ddbCases: HostileCase[] = [
  ...['__proto__', 'constructor', 'toString'].map((op): HostileCase => ({
    name: `DynamoDB operation "${op}"`, request: ddb(op, {}), shape: 'json', code: 'UnknownOperationException',
  })),
  { name: 'truncated JSON', request: ddb('ListTables', '{'), shape: 'json', code: 'SerializationException' },
  { name: 'nesting 100k deep', request: ddb('GetItem', `{"TableName":${deep(100_000)}}`), shape: 'json', code: ['SerializationException', 'ValidationException'] },
  { name: 'a map 5,000 deep', request: ddb('PutItem', `{"TableName":"hostile","Item":{"pk":{"S":"a"},"m":${deepMap(5_000)}}}`), shape: 'json', code: ['ValidationException', 'SerializationException'] },
  { name: 'table name "../x"', request: ddb('DescribeTable', { TableName: '../x' }), shape: 'json', code: 'ValidationException' },
  { name: 'table name with NUL', request: ddb('DescribeTable', { TableName: 'ab\u0000c' }), shape: 'json', code: 'ValidationException' },
  { name: 'table "constructor" missing', request: ddb('GetItem', { TableName: 'constructor', Key: { pk: { S: 'a' } } }), shape: 'json', code: 'ResourceNotFoundException' },
  { name: 'table name a number', request: ddb('DescribeTable', { TableName: 5 }), shape: 'json', code: ['SerializationException', 'ValidationException'] },
  { name: 'Limit -1', request: ddb('Scan', { TableName: 'hostile', Limit: -1 }), shape: 'json', code: 'ValidationException' },
  { name: 'a key of the wrong type', request: ddb('GetItem', { TableName: 'hostile', Key: { pk: { N: 'x' } } }), shape: 'json', code: 'ValidationException' },
  { name: 'an attribute value "__proto__" type', request: ddb('PutItem', JSON.parse('{"TableName":"hostile","Item":{"pk":{"__proto__":"a"}}}')), shape: 'json', code: ['ValidationException', 'SerializationException'] },
  { name: 'an attribute named "__proto__"', request: ddb('PutItem', JSON.parse('{"TableName":"hostile","Item":{"pk":{"S":"p"},"__proto__":{"S":"x"}}}')), shape: 'json', code: 'ValidationException' },
  { name: 'an attribute named "__proto__", spelled with an escape', request: ddb('PutItem', '{"TableName":"hostile","Item":{"pk":{"S":"p"},"\\u005f_proto__":{"S":"x"}}}'), shape: 'json', code: 'ValidationException' },
  { name: 'a map key "__proto__"', request: ddb('PutItem', JSON.parse('{"TableName":"hostile","Item":{"pk":{"S":"p"},"m":{"M":{"__proto__":{"S":"x"}}}}}')), shape: 'json', code: 'ValidationException' },
  { name: 'RequestItems naming "__proto__"', request: ddb('BatchGetItem', JSON.parse('{"RequestItems":{"__proto__":{"Keys":[{"pk":{"S":"a"}}]}}}')), shape: 'json', code: 'ValidationException' },
  { name: 'an update expression of garbage', request: ddb('UpdateItem', { TableName: 'hostile', Key: { pk: { S: 'a' } }, UpdateExpression: 'SET #__proto__ = :constructor' }), shape: 'json', code: 'ValidationException' },
];

describe('hostile awsJson requests', () => {
  let watch: Watch;
  const ctx = {} as HostileContext;

  beforeAll(async () => {
    watch = await startWatchedCloud();
    ctx.cloud = watch.cloud;
    const created = await send(ctx.cloud, sqs('CreateQueue', { QueueName: 'hostile' }));
    queueUrl = (JSON.parse(created.text) as { QueueUrl: string }).QueueUrl;
    expect((await send(ctx.cloud, logs('CreateLogGroup', { logGroupName: groupName }))).status).toBe(200);
    expect((await send(ctx.cloud, logs('CreateLogStream', { logGroupName: groupName, logStreamName: 's' }))).status).toBe(200);
    const table = await send(ctx.cloud, ddb('CreateTable', {
      TableName: 'hostile', AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST',
    }));
    expect(table.status, table.text).toBe(200);
  });
  afterAll(async () => {
    await expectUnharmed(watch);
    await watch.stop();
  });

  for (const [service, rows] of [['sqs', sqsCases], ['logs', logsCases], ['dynamodb', ddbCases]] as const) {
    batches(rows, 12).forEach((batch, i) => {
      describe(`${service}, batch ${i + 1}`, () => {
        for (const row of batch) it(row.name, () => expectRefused(ctx, row));
        it('the cloud still answers', () => expectHealthy(ctx.cloud));
      });
    });
  }

  describe('DynamoDB is mounted in-process', () => {
    it('dynalite listens on no port of its own: the only listening server is the cloud', () => {
      const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
      const listening = handles.filter((h): h is Server => h instanceof Server && h.listening);
      expect(listening.map((s) => (s.address() as AddressInfo).port)).toEqual([ctx.cloud.port]);
    });
  });

  describe('names AWS allows work as ordinary names', () => {
    it('a queue named "__proto__" and one named "constructor"', async () => {
      for (const name of ['__proto__', 'constructor']) {
        const res = await send(ctx.cloud, sqs('CreateQueue', { QueueName: name, tags: JSON.parse('{"__proto__":"t"}') }));
        expect(res.status, res.text).toBe(200);
        const url = (JSON.parse(res.text) as { QueueUrl: string }).QueueUrl;
        const tags = await send(ctx.cloud, sqs('ListQueueTags', { QueueUrl: url }));
        expect(JSON.parse(tags.text)).toEqual({ Tags: JSON.parse('{"__proto__":"t"}') });
      }
    });
    it('a message attribute named "__proto__" is kept, not dropped', async () => {
      const sent = await send(ctx.cloud, sqs('SendMessage', {
        QueueUrl: queueUrl, MessageBody: 'x',
        MessageAttributes: JSON.parse('{"__proto__":{"DataType":"String","StringValue":"p"},"constructor":{"DataType":"String","StringValue":"c"}}'),
      }));
      expect(sent.status, sent.text).toBe(200);
      const got = await send(ctx.cloud, sqs('ReceiveMessage', { QueueUrl: queueUrl, MessageAttributeNames: ['All'] }));
      const [message] = (JSON.parse(got.text) as { Messages: Array<{ MessageAttributes: Record<string, { StringValue: string }> }> }).Messages;
      expect(Object.keys(message.MessageAttributes).sort()).toEqual(['__proto__', 'constructor']);
      expect(Object.hasOwn(message.MessageAttributes, '__proto__')).toBe(true);
    });
    it('a tag "__proto__" on a queue is kept', async () => {
      const tagged = await send(ctx.cloud, sqs('TagQueue', { QueueUrl: queueUrl, Tags: JSON.parse('{"__proto__":"a","constructor":"b"}') }));
      expect(tagged.status, tagged.text).toBe(200);
      const tags = await send(ctx.cloud, sqs('ListQueueTags', { QueueUrl: queueUrl }));
      expect(JSON.parse(tags.text)).toEqual({ Tags: JSON.parse('{"__proto__":"a","constructor":"b"}') });
    });
    it('a log group tagged "__proto__" and an item with attributes "constructor" and "toString"', async () => {
      const created = await send(ctx.cloud, logs('CreateLogGroup', { logGroupName: '__proto__', tags: JSON.parse('{"__proto__":"a"}') }));
      expect(created.status, created.text).toBe(200);
      const tags = await send(ctx.cloud, logs('ListTagsLogGroup', { logGroupName: '__proto__' }));
      expect(JSON.parse(tags.text)).toEqual({ tags: JSON.parse('{"__proto__":"a"}') });
      const put = await send(ctx.cloud, ddb('PutItem', { TableName: 'hostile', Item: { pk: { S: 'p' }, constructor: { S: 'kept' }, toString: { M: { prototype: { S: 'too' } } } } }));
      expect(put.status, put.text).toBe(200);
      const item = await send(ctx.cloud, ddb('GetItem', { TableName: 'hostile', Key: { pk: { S: 'p' } } }));
      expect(JSON.parse(item.text).Item).toEqual({ pk: { S: 'p' }, constructor: { S: 'kept' }, toString: { M: { prototype: { S: 'too' } } } });
    });
  });
});
