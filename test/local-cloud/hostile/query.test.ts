import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  batches, expectHealthy, expectRefused, expectUnharmed, send, startWatchedCloud, FORM,
  type HostileCase, type HostileContext, type HostileRequest, type Watch,
} from './support.ts';

/** The query protocol (form in, XML out): SQS as the aws CLI speaks it, SNS, IAM, STS. */

const form = (service: string, params: Record<string, string> | string): HostileRequest => ({
  service, path: '/', headers: FORM,
  body: typeof params === 'string' ? params : new URLSearchParams(params).toString(),
});
const sqs = (params: Record<string, string> | string) => form('sqs', params);
const sns = (params: Record<string, string> | string) => form('sns', params);
const iam = (params: Record<string, string> | string) => form('iam', params);
const sts = (params: Record<string, string> | string) => form('sts', params);
const many = (n: number, make: (i: number) => string) => Array.from({ length: n }, (_, i) => make(i)).join('&');

let queueUrl = '';
let topicArn = '';
const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
const withQueue = (params: Record<string, string>) => () => sqs({ QueueUrl: queueUrl, ...params });
const withTopic = (params: Record<string, string>) => () => sns({ TopicArn: topicArn, ...params });

const sqsCases: HostileCase[] = [
  ...['__proto__', 'constructor', 'toString', 'hasOwnProperty', ''].map((action): HostileCase => ({
    name: `SQS action "${action}"`, request: sqs({ Action: action }), shape: 'query', code: ['InvalidAction', 'MissingParameter', 'MissingAction'],
  })),
  { name: 'no Action at all', request: sqs('Version=2012-11-05'), shape: 'query', code: ['MissingParameter', 'MissingAction', 'InvalidAction'] },
  { name: 'a parameter named "__proto__"', request: sqs('Action=CreateQueue&__proto__=x&constructor=y'), shape: 'query', code: 'MissingParameter' },
  { name: 'repeated QueueName, first invalid', request: sqs('Action=CreateQueue&QueueName=..%2Fx&QueueName=ok'), shape: 'query', code: 'InvalidParameterValue' },
  { name: 'bad percent-encoding in the form', request: sqs('Action=CreateQueue&QueueName=%E0%A4%A'), shape: 'query', code: 'InvalidParameterValue' },
  { name: 'invalid UTF-8 in the form', request: { ...sqs(''), body: Buffer.concat([Buffer.from('Action=CreateQueue&QueueName='), Buffer.from([0xff, 0xfe])]) }, shape: 'query', code: 'InvalidParameterValue' },
  { name: 'a queue name with NUL', request: sqs({ Action: 'CreateQueue', QueueName: 'a\u0000' }), shape: 'query', code: 'InvalidParameterValue' },
  { name: 'attribute "constructor"', request: sqs({ Action: 'CreateQueue', QueueName: 'q', 'Attribute.1.Name': 'constructor', 'Attribute.1.Value': '1' }), shape: 'query', code: 'InvalidAttributeName' },
  { name: 'attribute "__proto__"', request: sqs({ Action: 'CreateQueue', QueueName: 'q', 'Attribute.1.Name': '__proto__', 'Attribute.1.Value': '1' }), shape: 'query', code: 'InvalidAttributeName' },
  { name: 'attribute index 1e30', request: sqs({ Action: 'CreateQueue', QueueName: 'q', 'Attribute.1000000000000000000000000000000.Name': 'toString', 'Attribute.1000000000000000000000000000000.Value': '1' }), shape: 'query', code: 'InvalidAttributeName' },
  { name: '5,000 attributes', request: sqs(`Action=CreateQueue&QueueName=q&${many(5000, (i) => `Attribute.${i + 1}.Name=A${i}&Attribute.${i + 1}.Value=1`)}`), shape: 'query', code: 'InvalidAttributeName' },
  { name: 'message attribute "__proto__" not a number', request: withQueue({ Action: 'SendMessage', MessageBody: 'x', 'MessageAttribute.1.Name': '__proto__', 'MessageAttribute.1.Value.DataType': 'Number', 'MessageAttribute.1.Value.StringValue': 'abc' }), shape: 'query', code: 'InvalidParameterValue' },
  { name: 'a message attribute without a name', request: withQueue({ Action: 'SendMessage', MessageBody: 'x', 'MessageAttribute.1.Value.DataType': 'String', 'MessageAttribute.1.Value.StringValue': 'abc' }), shape: 'query', code: 'InvalidParameterValue' },
  { name: 'MaxNumberOfMessages "ten"', request: withQueue({ Action: 'ReceiveMessage', MaxNumberOfMessages: 'ten' }), shape: 'query', code: 'InvalidParameterValue' },
  { name: 'MaxNumberOfMessages 1e400', request: withQueue({ Action: 'ReceiveMessage', MaxNumberOfMessages: '1e400' }), shape: 'query', code: 'InvalidParameterValue' },
  { name: 'DelaySeconds -5', request: withQueue({ Action: 'SendMessage', MessageBody: 'x', DelaySeconds: '-5' }), shape: 'query', code: 'InvalidParameterValue' },
  { name: 'tag "__proto__" too long a value', request: withQueue({ Action: 'TagQueue', 'Tag.1.Key': '__proto__', 'Tag.1.Value': 'v'.repeat(300) }), shape: 'query', code: 'InvalidParameterValue' },
  { name: 'queue URL path "../"', request: () => sqs({ Action: 'GetQueueAttributes', QueueUrl: `${queueUrl}/../../../etc` }), shape: 'query', code: ['AWS.SimpleQueueService.NonExistentQueue', 'InvalidAddress'] },
];

const snsCases: HostileCase[] = [
  ...['__proto__', 'constructor', 'valueOf'].map((action): HostileCase => ({
    name: `SNS action "${action}"`, request: sns({ Action: action }), shape: 'query', code: 'InvalidAction',
  })),
  { name: 'a topic named "../x"', request: sns({ Action: 'CreateTopic', Name: '../x' }), shape: 'query', code: 'InvalidParameter' },
  { name: 'a topic name of 100 KB', request: sns({ Action: 'CreateTopic', Name: 'a'.repeat(100_000) }), shape: 'query', code: 'InvalidParameter' },
  { name: 'a topic attribute "__proto__"', request: sns({ Action: 'CreateTopic', Name: 't1', 'Attributes.entry.1.key': '__proto__', 'Attributes.entry.1.value': 'x' }), shape: 'query', code: 'InvalidParameter' },
  { name: 'a topic attribute "constructor"', request: sns({ Action: 'CreateTopic', Name: 't1', 'Attributes.entry.1.key': 'constructor', 'Attributes.entry.1.value': 'x' }), shape: 'query', code: 'InvalidParameter' },
  { name: 'SetTopicAttributes "toString"', request: withTopic({ Action: 'SetTopicAttributes', AttributeName: 'toString', AttributeValue: 'x' }), shape: 'query', code: 'InvalidParameter' },
  { name: 'a topic ARN naming "__proto__"', request: sns({ Action: 'GetTopicAttributes', TopicArn: 'arn:aws:sns:us-east-1:000000000000:__proto__' }), shape: 'query', code: 'NotFound' },
  { name: 'a topic ARN that is not one', request: sns({ Action: 'GetTopicAttributes', TopicArn: '../../etc/passwd' }), shape: 'query', code: 'InvalidParameter' },
  { name: 'a message attribute "__proto__" not a number', request: withTopic({ Action: 'Publish', Message: 'm', 'MessageAttributes.entry.1.Name': '__proto__', 'MessageAttributes.entry.1.Value.DataType': 'Number', 'MessageAttributes.entry.1.Value.StringValue': 'x' }), shape: 'query', code: ['ParameterValueInvalid', 'InvalidParameterValue'] },
  { name: 'a message attribute "constructor" of no type', request: withTopic({ Action: 'Publish', Message: 'm', 'MessageAttributes.entry.1.Name': 'constructor', 'MessageAttributes.entry.1.Value.StringValue': 'x' }), shape: 'query', code: ['ValidationError', 'InvalidParameterValue', 'ParameterValueInvalid'] },
  { name: 'a message attribute named "a b"', request: withTopic({ Action: 'Publish', Message: 'm', 'MessageAttributes.entry.1.Name': 'a b', 'MessageAttributes.entry.1.Value.DataType': 'String', 'MessageAttributes.entry.1.Value.StringValue': 'x' }), shape: 'query', code: ['ParameterValueInvalid', 'InvalidParameterValue'] },
  { name: 'a MessageStructure json with "__proto__" only', request: withTopic({ Action: 'Publish', MessageStructure: 'json', Message: '{"__proto__":"x"}' }), shape: 'query', code: 'InvalidParameter' },
  { name: 'a message with NUL bytes over 256 KB', request: withTopic({ Action: 'Publish', Message: '\u0000'.repeat(300_000) }), shape: 'query', code: 'InvalidParameter' },
  { name: 'a filter policy keyed "__proto__" with a bad value', request: withTopic({ Action: 'Subscribe', Protocol: 'sqs', Endpoint: 'arn:aws:sqs:us-east-1:000000000000:hostile', 'Attributes.entry.1.key': 'FilterPolicy', 'Attributes.entry.1.value': '{"__proto__":"x"}' }), shape: 'query', code: 'InvalidParameter' },
  { name: 'a filter policy nested 10,000 deep', request: withTopic({ Action: 'Subscribe', Protocol: 'sqs', Endpoint: 'arn:aws:sqs:us-east-1:000000000000:hostile', 'Attributes.entry.1.key': 'FilterPolicy', 'Attributes.entry.1.value': '{"a":'.repeat(10_000) + '["x"]' + '}'.repeat(10_000) }), shape: 'query', code: 'InvalidParameter' },
  { name: 'a subscription attribute "__proto__"', request: withTopic({ Action: 'Subscribe', Protocol: 'sqs', Endpoint: 'arn:aws:sqs:us-east-1:000000000000:hostile', 'Attributes.entry.1.key': '__proto__', 'Attributes.entry.1.value': 'x' }), shape: 'query', code: 'InvalidParameter' },
  { name: 'a protocol "__proto__"', request: withTopic({ Action: 'Subscribe', Protocol: '__proto__', Endpoint: 'x' }), shape: 'query', code: 'InvalidParameter' },
  { name: '51 tags', request: sns(`Action=CreateTopic&Name=tags51&${many(51, (i) => `Tags.member.${i + 1}.Key=k${i}&Tags.member.${i + 1}.Value=v`)}`), shape: 'query', code: ['TagLimitExceeded', 'InvalidParameter'] },
];

const iamCases: HostileCase[] = [
  ...['__proto__', 'constructor', 'toString'].map((action): HostileCase => ({
    name: `IAM action "${action}"`, request: iam({ Action: action }), shape: 'query', code: 'InvalidAction',
  })),
  { name: 'a role named "../x"', request: iam({ Action: 'CreateRole', RoleName: '../x', AssumeRolePolicyDocument: trust }), shape: 'query', code: 'ValidationError' },
  { name: 'a role name of 10 KB', request: iam({ Action: 'CreateRole', RoleName: 'r'.repeat(10_000), AssumeRolePolicyDocument: trust }), shape: 'query', code: 'ValidationError' },
  { name: 'a role "constructor" that does not exist', request: iam({ Action: 'GetRole', RoleName: 'constructor' }), shape: 'query', code: 'NoSuchEntity' },
  { name: 'a role "__proto__" that does not exist', request: iam({ Action: 'GetRole', RoleName: '__proto__' }), shape: 'query', code: 'NoSuchEntity' },
  { name: 'a trust policy that is not JSON', request: iam({ Action: 'CreateRole', RoleName: 'bad1', AssumeRolePolicyDocument: '{"Version":' }), shape: 'query', code: 'MalformedPolicyDocument' },
  { name: 'a trust policy nested 100,000 deep', request: iam({ Action: 'CreateRole', RoleName: 'bad2', AssumeRolePolicyDocument: '['.repeat(100_000) + ']'.repeat(100_000) }), shape: 'query', code: ['MalformedPolicyDocument', 'ValidationError'] },
  { name: 'a policy with "__proto__" as its Statement', request: iam({ Action: 'CreatePolicy', PolicyName: 'p1', PolicyDocument: '{"Version":"2012-10-17","__proto__":{"Statement":[]}}' }), shape: 'query', code: 'MalformedPolicyDocument' },
  { name: 'a condition operator "__proto__"', request: iam({ Action: 'CreatePolicy', PolicyName: 'p2', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: JSON.parse('{"__proto__":{"aws:x":"y"}}') }] }) }), shape: 'query', code: 'MalformedPolicyDocument' },
  { name: 'a condition operator "constructor"', request: iam({ Action: 'CreatePolicy', PolicyName: 'p3', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { constructor: { 'aws:x': 'y' } } }] }) }), shape: 'query', code: 'MalformedPolicyDocument' },
  { name: 'a principal type "__proto__"', request: iam({ Action: 'CreateRole', RoleName: 'bad3', AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: JSON.parse('{"__proto__":"x"}'), Action: 'sts:AssumeRole' }] }) }), shape: 'query', code: 'MalformedPolicyDocument' },
  { name: 'a tag key "__proto__" with a bad value', request: iam({ Action: 'CreateRole', RoleName: 'bad4', AssumeRolePolicyDocument: trust, 'Tags.member.1.Key': '__proto__', 'Tags.member.1.Value': 'a\u0000b' }), shape: 'query', code: ['ValidationError', 'InvalidInput'] },
  { name: 'MaxItems -1', request: iam({ Action: 'ListRoles', MaxItems: '-1' }), shape: 'query', code: ['ValidationError', 'InvalidParameterValue'] },
  { name: 'MaxItems "lots"', request: iam({ Action: 'ListRoles', MaxItems: 'lots' }), shape: 'query', code: ['ValidationError', 'InvalidParameterValue'] },
  { name: 'MaxSessionDuration 1e20', request: iam({ Action: 'CreateRole', RoleName: 'bad5', AssumeRolePolicyDocument: trust, MaxSessionDuration: '100000000000000000000' }), shape: 'query', code: ['ValidationError', 'InvalidParameterValue'] },
  { name: 'a policy ARN of garbage', request: iam({ Action: 'GetPolicy', PolicyArn: '__proto__' }), shape: 'query', code: ['InvalidInput', 'ValidationError', 'NoSuchEntity'] },
  { name: 'an inline policy "constructor" on a missing role', request: iam({ Action: 'GetRolePolicy', RoleName: 'nobody', PolicyName: 'constructor' }), shape: 'query', code: 'NoSuchEntity' },
];

const stsCases: HostileCase[] = [
  { name: 'STS action "__proto__"', request: sts({ Action: '__proto__' }), shape: 'query', code: 'InvalidAction' },
  { name: 'STS action "constructor"', request: sts({ Action: 'constructor' }), shape: 'query', code: 'InvalidAction' },
  { name: 'AssumeRole of a role "../x"', request: sts({ Action: 'AssumeRole', RoleArn: 'arn:aws:iam::000000000000:role/../x', RoleSessionName: 's' }), shape: 'query', code: ['ValidationError', 'AccessDenied', 'InvalidAction'] },
  { name: 'AssumeRole with a session name "__proto__!"', request: sts({ Action: 'AssumeRole', RoleArn: 'arn:aws:iam::000000000000:role/nope', RoleSessionName: '__proto__!' }), shape: 'query', code: ['ValidationError', 'AccessDenied', 'InvalidAction'] },
];

describe('hostile query-protocol requests', () => {
  let watch: Watch;
  const ctx = {} as HostileContext;

  beforeAll(async () => {
    watch = await startWatchedCloud();
    ctx.cloud = watch.cloud;
    const queue = await send(ctx.cloud, sqs({ Action: 'CreateQueue', QueueName: 'hostile' }));
    queueUrl = /<QueueUrl>([^<]+)<\/QueueUrl>/.exec(queue.text)![1];
    const topic = await send(ctx.cloud, sns({ Action: 'CreateTopic', Name: 'hostile' }));
    topicArn = /<TopicArn>([^<]+)<\/TopicArn>/.exec(topic.text)![1];
  });
  afterAll(async () => {
    await expectUnharmed(watch);
    await watch.stop();
  });

  for (const [service, rows] of [['sqs', sqsCases], ['sns', snsCases], ['iam', iamCases], ['sts', stsCases]] as const) {
    batches(rows, 12).forEach((batch, i) => {
      describe(`${service}, batch ${i + 1}`, () => {
        for (const row of batch) it(row.name, () => expectRefused(ctx, row));
        it('the cloud still answers', () => expectHealthy(ctx.cloud));
      });
    });
  }

  describe('names AWS allows work as ordinary names', () => {
    it('SQS: tags and message attributes "__proto__" and "constructor" are kept', async () => {
      const tagged = await send(ctx.cloud, sqs({ Action: 'TagQueue', QueueUrl: queueUrl, 'Tag.1.Key': '__proto__', 'Tag.1.Value': 'p', 'Tag.2.Key': 'constructor', 'Tag.2.Value': 'c' }));
      expect(tagged.status, tagged.text).toBe(200);
      const tags = await send(ctx.cloud, sqs({ Action: 'ListQueueTags', QueueUrl: queueUrl }));
      expect(tags.text).toContain('<Key>__proto__</Key><Value>p</Value>');
      expect(tags.text).toContain('<Key>constructor</Key><Value>c</Value>');
      const sent = await send(ctx.cloud, sqs({ Action: 'SendMessage', QueueUrl: queueUrl, MessageBody: 'x', 'MessageAttribute.1.Name': '__proto__', 'MessageAttribute.1.Value.DataType': 'String', 'MessageAttribute.1.Value.StringValue': 'kept' }));
      expect(sent.status, sent.text).toBe(200);
      const got = await send(ctx.cloud, sqs({ Action: 'ReceiveMessage', QueueUrl: queueUrl, 'MessageAttributeName.1': 'All' }));
      expect(got.text).toMatch(/<Name>__proto__<\/Name><Value><StringValue>kept<\/StringValue>/);
    });
    it('SNS: a message attribute "__proto__" reaches a filter policy keyed "__proto__"', async () => {
      const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: 'arn:aws:sqs:us-east-1:000000000000:filtered' }] });
      const queue = await send(ctx.cloud, sqs({ Action: 'CreateQueue', QueueName: 'filtered', 'Attribute.1.Name': 'Policy', 'Attribute.1.Value': policy }));
      const url = /<QueueUrl>([^<]+)<\/QueueUrl>/.exec(queue.text)![1];
      const subscribed = await send(ctx.cloud, sns({
        Action: 'Subscribe', TopicArn: topicArn, Protocol: 'sqs', Endpoint: 'arn:aws:sqs:us-east-1:000000000000:filtered',
        'Attributes.entry.1.key': 'FilterPolicy', 'Attributes.entry.1.value': '{"__proto__":["yes"],"constructor":[{"exists":false}]}',
        'Attributes.entry.2.key': 'RawMessageDelivery', 'Attributes.entry.2.value': 'true',
      }));
      expect(subscribed.status, subscribed.text).toBe(200);
      for (const value of ['no', 'yes']) {
        const published = await send(ctx.cloud, sns({ Action: 'Publish', TopicArn: topicArn, Message: value, 'MessageAttributes.entry.1.Name': '__proto__', 'MessageAttributes.entry.1.Value.DataType': 'String', 'MessageAttributes.entry.1.Value.StringValue': value }));
        expect(published.status, published.text).toBe(200);
      }
      const got = await send(ctx.cloud, sqs({ Action: 'ReceiveMessage', QueueUrl: url, WaitTimeSeconds: '2', MaxNumberOfMessages: '10' }));
      expect(got.text.match(/<Body>([^<]*)<\/Body>/g)).toEqual(['<Body>yes</Body>']);
    });
    it('IAM: a role tagged "__proto__" keeps the tag', async () => {
      const created = await send(ctx.cloud, iam({ Action: 'CreateRole', RoleName: 'proto-tagged', AssumeRolePolicyDocument: trust, 'Tags.member.1.Key': '__proto__', 'Tags.member.1.Value': 'p' }));
      expect(created.status, created.text).toBe(200);
      const tags = await send(ctx.cloud, iam({ Action: 'ListRoleTags', RoleName: 'proto-tagged' }));
      expect(tags.text).toContain('<Key>__proto__</Key>');
    });
  });
});
