import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IAMClient, PutRolePolicyCommand, DeleteRolePolicyCommand } from '@aws-sdk/client-iam';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateQueueCommand, SQSClient, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { createLambdaRole, deployFunction, payloadOf } from '../fixtures/lambda/helpers.ts';

/**
 * Calls made by function code run as the function's execution role, and IAM decides them:
 * a missing grant fails the way it fails on AWS, in each service's own error shape.
 */
const HANDLER = `
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
export const handler = async (event) => {
  try {
    if (event.service === 'sqs') {
      await new SQSClient({}).send(new SendMessageCommand({ QueueUrl: event.queueUrl, MessageBody: 'order' }));
    } else {
      await new DynamoDBClient({}).send(new PutItemCommand({ TableName: event.table, Item: { pk: { S: 'order-1' } } }));
    }
    return { ok: true };
  } catch (err) {
    return { ok: false, name: err.name, message: err.message, status: err.$metadata?.httpStatusCode };
  }
};
`;

let cloud: TestCloud;
let iam: IAMClient;
let lambda: LambdaClient;
let queueUrl: string;
let queueArn: string;
const ROLE = 'caller-role';
const FUNCTION = 'caller';
const TABLE_ARN = 'arn:aws:dynamodb:us-east-1:000000000000:table/orders';

beforeAll(async () => {
  cloud = await startTestCloud();
  iam = new IAMClient(cloud.clientConfig);
  lambda = new LambdaClient(cloud.clientConfig);
  const sqs = new SQSClient(cloud.clientConfig);
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'orders' }))).QueueUrl!;
  queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] })))
    .Attributes!.QueueArn!;
  await new DynamoDBClient(cloud.clientConfig).send(
    new CreateTableCommand({
      TableName: 'orders',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  const role = await createLambdaRole(cloud, ROLE);
  await deployFunction(lambda, { FunctionName: FUNCTION, Role: role, Handler: 'index.handler', files: { 'index.mjs': HANDLER } });
});
afterAll(() => cloud.close());

async function call(event: Record<string, string>) {
  const out = await lambda.send(new InvokeCommand({ FunctionName: FUNCTION, Payload: JSON.stringify(event) }));
  expect(out.FunctionError).toBeUndefined();
  return payloadOf(out);
}

const grant = (name: string, statement: Record<string, unknown>) =>
  iam.send(
    new PutRolePolicyCommand({
      RoleName: ROLE,
      PolicyName: name,
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [statement] }),
    }),
  );

const caller = `arn:aws:sts::000000000000:assumed-role/${ROLE}/${FUNCTION}`;

describe('IAM enforcement of function-role calls', () => {
  it('SQS: no grant → AccessDenied (403) in AWS wording', async () => {
    const result = await call({ service: 'sqs', queueUrl });
    expect(result).toEqual({
      ok: false,
      name: 'AccessDenied',
      status: 403,
      message: `User: ${caller} is not authorized to perform: sqs:sendmessage on resource: ${queueArn} because no identity-based policy allows the sqs:SendMessage action`,
    });
  });

  it('SQS: a grant on another queue does not help; a grant on this queue does', async () => {
    await grant('send', { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: `${queueArn}-other` });
    expect((await call({ service: 'sqs', queueUrl })).ok).toBe(false);
    await grant('send', { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: queueArn });
    expect(await call({ service: 'sqs', queueUrl })).toEqual({ ok: true });
  });

  it('SQS: an explicit Deny beats the Allow, and says so', async () => {
    await grant('deny', { Effect: 'Deny', Action: 'sqs:*', Resource: '*' });
    const result = await call({ service: 'sqs', queueUrl });
    expect(result.name).toBe('AccessDenied');
    expect(result.message).toBe(
      `User: ${caller} is not authorized to perform: sqs:sendmessage on resource: ${queueArn} with an explicit deny in an identity-based policy`,
    );
    await iam.send(new DeleteRolePolicyCommand({ RoleName: ROLE, PolicyName: 'deny' }));
  });

  it('DynamoDB: no grant → AccessDeniedException (400); dynamodb:PutItem on the table → stored', async () => {
    const denied = await call({ service: 'dynamodb', table: 'orders' });
    expect(denied).toEqual({
      ok: false,
      name: 'AccessDeniedException',
      status: 400,
      message: `User: ${caller} is not authorized to perform: dynamodb:PutItem on resource: ${TABLE_ARN} because no identity-based policy allows the dynamodb:PutItem action`,
    });
    await grant('put', { Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: TABLE_ARN });
    expect(await call({ service: 'dynamodb', table: 'orders' })).toEqual({ ok: true });
  });
});
