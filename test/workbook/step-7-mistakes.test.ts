import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DeleteRolePolicyCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  AddPermissionCommand,
  DeleteFunctionEventInvokeConfigCommand,
  LambdaClient,
  RemovePermissionCommand,
} from '@aws-sdk/client-lambda';
import { ListSubscriptionsByTopicCommand, SNSClient, UnsubscribeCommand } from '@aws-sdk/client-sns';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueUrlCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startTestCloud, type TestCloud, TEST_REGION } from '../support/cloud.ts';
import { check } from '../../checks/step-7.ts';
import { failureBlock, failures, runScript } from './support.ts';
import { aimAt, checkInProcess } from './steps-2-3-support.ts';
import { allItems, deployPrerequisites, deploySolution, fastAsyncRetries } from './steps-6-7-support.ts';

/**
 * Planted mistakes in step 7's configuration: each test breaks the recorder the way a learner
 * might, runs the check, and the next test starts from the solution again (deployed anew after
 * each). The handler's own mistakes are in step-7-handler-mistakes.test.ts.
 */
let cloud: TestCloud;
let lambda: LambdaClient;
let iam: IAMClient;
let sns: SNSClient;
let sqs: SQSClient;
let dynamodb: DynamoDBClient;
const FUNCTION = 'workbook-recorder';
const ROLE = 'workbook-recorder-role';
const TOPIC_ARN = `arn:aws:sns:${TEST_REGION}:000000000000:workbook-order-updates`;
const TABLE_ARN = `arn:aws:dynamodb:${TEST_REGION}:000000000000:table/workbook-order-events`;

beforeAll(async () => {
  cloud = await startTestCloud();
  aimAt(cloud);
  fastAsyncRetries(cloud);
  lambda = new LambdaClient(cloud.clientConfig);
  iam = new IAMClient(cloud.clientConfig);
  sns = new SNSClient(cloud.clientConfig);
  sqs = new SQSClient(cloud.clientConfig);
  dynamodb = new DynamoDBClient(cloud.clientConfig);
  await deployPrerequisites();
  await deploySolution(7);
  const clean = await checkInProcess(check);
  if (!clean.passed) throw new Error(`the solution should pass before mistakes are planted:\n${clean.stdout}`);
});
afterAll(() => cloud.close());
afterEach(async () => {
  await iam.send(new DeleteRolePolicyCommand({ RoleName: ROLE, PolicyName: 'everything' })).catch(() => {});
  await deploySolution(7); // puts back what the step makes, as a learner's fixed step would
});

const blocks = (stdout: string) => failures(stdout).map((line) => failureBlock(stdout, line));

/** The failures queue holds nothing: the check took its own probes off it. */
async function expectNoFailuresLeft(): Promise<void> {
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: 'workbook-recorder-failures' }));
  const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 0 }));
  expect(Messages.map((m) => m.Body)).toEqual([]);
  expect(await allItems(dynamodb, 'workbook-order-events')).toEqual([]);
}

describe('check:step-7 catches planted mistakes, each with its fix', () => {
  it('no invoke permission: nothing is recorded (SNS could not deliver), and the check names AddPermission with the topic as SourceArn', async () => {
    await lambda.send(new RemovePermissionCommand({ FunctionName: FUNCTION, StatementId: 'sns-order-updates' }));
    const result = await runScript('check:step-7', cloud.env);
    expect(result.code, result.output).toBe(1);
    const [permission, behaviour, ...rest] = blocks(result.stdout);
    expect(rest, result.stdout).toEqual([]);
    expect(permission).toContain('✘ workbook-recorder lets SNS invoke it, from workbook-order-updates only (AddPermission, SourceArn)');
    expect(permission).toContain('has no permission for sns.amazonaws.com: SNS may not invoke it, so nothing published to the topic is recorded');
    expect(permission).toContain(`fix: add it: in steps/07-recorder-lambda/deploy.ts the permission (AddPermission) needs Principal 'sns.amazonaws.com', Action 'lambda:InvokeFunction' and SourceArn ${TOPIC_ARN}`);
    expect(behaviour).toContain('✘ a probe update published to the topic is recorded, exactly once');
    expect(behaviour).toContain('nothing was recorded for the probe');
    expect(behaviour).toContain('SNS could not invoke the function: the update went to the failures queue as undeliverable');
    expect(behaviour).toContain(`the permission (AddPermission) needs Principal 'sns.amazonaws.com', Action 'lambda:InvokeFunction' and SourceArn ${TOPIC_ARN}`);
    await expectNoFailuresLeft();
  });

  it('no dynamodb:PutItem grant: the function fails with AccessDeniedException, and the check names the grant', async () => {
    await iam.send(new DeleteRolePolicyCommand({ RoleName: ROLE, PolicyName: 'record-order-events' }));
    const { passed, stdout } = await checkInProcess(check);
    expect(passed, stdout).toBe(false);
    const [grant, published, redelivered, ...rest] = blocks(stdout);
    expect(rest, stdout).toEqual([]);
    const fix = "the inline policy needs { Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: tableArn }";
    expect(grant).toContain(`no policy of ${ROLE} allows dynamodb:PutItem on ${TABLE_ARN}: every update fails with AccessDeniedException`);
    expect(grant).toContain(fix);
    expect(published).toContain(`the function fails with AccessDeniedException: its role may not dynamodb:PutItem on ${TABLE_ARN} (from the function's failure destination)`);
    expect(published).toContain('After 3 attempts Lambda sent it to the failures queue (the check removed it)');
    expect(published).toContain(fix);
    expect(redelivered).toContain(`the first delivery failed: the function fails with AccessDeniedException: its role may not dynamodb:PutItem on ${TABLE_ARN}`);
    expect(redelivered).toContain(fix);
    await expectNoFailuresLeft();
  });

  it('no subscription: nothing is recorded, and the check names Subscribe with protocol lambda', async () => {
    const { Subscriptions = [] } = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: TOPIC_ARN }));
    for (const s of Subscriptions.filter((s) => s.Protocol === 'lambda')) await sns.send(new UnsubscribeCommand({ SubscriptionArn: s.SubscriptionArn }));
    const { passed, stdout } = await checkInProcess(check);
    expect(passed, stdout).toBe(false);
    const [subscription, published, ...rest] = blocks(stdout);
    expect(rest, stdout).toEqual([]);
    const fix = "the subscription (Subscribe) needs TopicArn topicArn, Protocol 'lambda' and Endpoint functionArn";
    expect(subscription).toContain('the topic has no lambda subscription for arn:aws:lambda:us-east-1:000000000000:function:workbook-recorder');
    expect(subscription).toContain(fix);
    expect(published).toContain('nothing was recorded for the probe within 1 s: the topic has no subscription for the function, so SNS never calls it');
    expect(published).toContain(fix);
  });

  it('a permission without SourceArn: works, but any topic could invoke the function', async () => {
    await lambda.send(new RemovePermissionCommand({ FunctionName: FUNCTION, StatementId: 'sns-order-updates' }));
    await lambda.send(new AddPermissionCommand({ FunctionName: FUNCTION, StatementId: 'sns-order-updates', Action: 'lambda:InvokeFunction', Principal: 'sns.amazonaws.com' }));
    const { passed, stdout } = await checkInProcess(check);
    expect(passed, stdout).toBe(false);
    const found = blocks(stdout);
    expect(found, stdout).toHaveLength(1);
    expect(found[0]).toContain('has no SourceArn. SNS does invoke the function — but so would any SNS topic, in any AWS account');
    expect(found[0]).toContain(`scope it: in steps/07-recorder-lambda/deploy.ts the permission (AddPermission) needs`);
  });

  it('a grant broader than the job (dynamodb:* on *)', async () => {
    const everything = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' }] };
    await iam.send(new PutRolePolicyCommand({ RoleName: ROLE, PolicyName: 'everything', PolicyDocument: JSON.stringify(everything) }));
    const { passed, stdout } = await checkInProcess(check);
    expect(passed, stdout).toBe(false);
    const found = blocks(stdout);
    expect(found, stdout).toHaveLength(1);
    expect(found[0]).toContain('✘ the role allows nothing more');
    expect(found[0]).toContain('allows the wildcard action dynamodb:* (inline policy everything)');
    expect(found[0]).toContain('allows it on *, not only on');
  });

  it('no on-failure destination: a failed update would be dropped after its retries', async () => {
    await lambda.send(new DeleteFunctionEventInvokeConfigCommand({ FunctionName: FUNCTION }));
    const { passed, stdout } = await checkInProcess(check);
    expect(passed, stdout).toBe(false);
    const found = blocks(stdout);
    expect(found, stdout).toHaveLength(1);
    expect(found[0]).toContain('the function has no on-failure destination (and no dead-letter queue)');
    expect(found[0]).toContain('keep the PutFunctionEventInvokeConfig call');
  });
});
