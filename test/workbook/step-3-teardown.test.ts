import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APIGatewayClient, CreateRestApiCommand, GetRestApisCommand } from '@aws-sdk/client-api-gateway';
import { CloudWatchLogsClient, CreateLogGroupCommand, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateRoleCommand, IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
import { CreateFunctionCommand, LambdaClient, ListFunctionsCommand, waitUntilFunctionActiveV2 } from '@aws-sdk/client-lambda';
import { CreateQueueCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { zipSync, strToU8 } from 'fflate';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { captureOutput } from '../../lib/output.ts';
import { teardown } from '../../scripts/teardown.ts';
import { runScript } from './support.ts';
import { aimAt, deploy } from './steps-2-3-support.ts';

/**
 * Teardown after steps 1–3: the API, the function, its log group, its role (with its policies)
 * and the queues go, in dependency order; look-alikes without our tag, or with another
 * prefix's, stay.
 */
let cloud: TestCloud;
let apigw: APIGatewayClient;
let lambda: LambdaClient;
let logs: CloudWatchLogsClient;
let iam: IAMClient;
let sqs: SQSClient;

const names = {
  apis: async () => ((await apigw.send(new GetRestApisCommand({}))).items ?? []).map((a) => `${a.name}:${a.tags?.workbook ?? '-'}`).sort(),
  functions: async () => ((await lambda.send(new ListFunctionsCommand({}))).Functions ?? []).map((f) => f.FunctionName).sort(),
  logGroups: async () => ((await logs.send(new DescribeLogGroupsCommand({}))).logGroups ?? []).map((g) => g.logGroupName).sort(),
  roles: async () => ((await iam.send(new ListRolesCommand({}))).Roles ?? []).map((r) => r.RoleName).sort(),
  queues: async () => ((await sqs.send(new ListQueuesCommand({}))).QueueUrls ?? []).map((u) => u.slice(u.lastIndexOf('/') + 1)).sort(),
};

const trustLambda = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

beforeAll(async () => {
  cloud = await startTestCloud();
  aimAt(cloud);
  apigw = new APIGatewayClient(cloud.clientConfig);
  lambda = new LambdaClient(cloud.clientConfig);
  logs = new CloudWatchLogsClient(cloud.clientConfig);
  iam = new IAMClient(cloud.clientConfig);
  sqs = new SQSClient(cloud.clientConfig);
  await deploy(1);
  await deploy(2);
  await deploy(3);

  // Bystanders: our prefix without our tag, a look-alike prefix (workbook-x) with its own tag, another prefix.
  const tag = (value: string) => [{ Key: 'workbook', Value: value }];
  const { Role: scratch } = await iam.send(new CreateRoleCommand({ RoleName: 'workbook-scratch-role', AssumeRolePolicyDocument: trustLambda }));
  await iam.send(new CreateRoleCommand({ RoleName: 'workbook-x-intake-role', AssumeRolePolicyDocument: trustLambda, Tags: tag('workbook-x') }));
  const code = zipSync({ 'index.mjs': strToU8('export const handler = async () => "hi";') });
  for (const [FunctionName, tags] of [['workbook-scratch', undefined], ['workbook-x-intake', { workbook: 'workbook-x' }], ['other-intake', { workbook: 'other' }]] as const) {
    await lambda.send(new CreateFunctionCommand({ FunctionName, Role: scratch!.Arn, Runtime: 'nodejs22.x', Handler: 'index.handler', Code: { ZipFile: code }, Tags: tags }));
    await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 10 }, { FunctionName });
  }
  await logs.send(new CreateLogGroupCommand({ logGroupName: '/aws/lambda/workbook-scratch' }));
  await logs.send(new CreateLogGroupCommand({ logGroupName: '/aws/lambda/workbook-x-intake', tags: { workbook: 'workbook-x' } }));
  await apigw.send(new CreateRestApiCommand({ name: 'workbook-orders-api' })); // same name as ours, no tag
  await apigw.send(new CreateRestApiCommand({ name: 'other-orders-api', tags: { workbook: 'other' } }));
  await sqs.send(new CreateQueueCommand({ QueueName: 'workbook-scratch' }));
});
afterAll(() => cloud.close());

describe('npm run teardown after steps 1–3', () => {
  it('--dry-run lists ours in dependency order, and removes nothing', async () => {
    const { result, lines } = await captureOutput(() => teardown({ dryRun: true }));
    expect(result).toBe(0);
    const listed = lines.filter((l) => /^ {2}\S/.test(l)).map((l) => l.trim().replace(/\s{2,}/, ' | '));
    expect(listed).toEqual([
      expect.stringMatching(/^REST API \| workbook-orders-api \(\w+\)$/),
      'Lambda permission | workbook-intake: apigateway-post-orders (apigateway.amazonaws.com)',
      'Lambda function | workbook-intake',
      'log group | /aws/lambda/workbook-intake',
      'IAM role policy | workbook-intake-role: send-orders (inline)',
      'IAM role policy | workbook-intake-role: AWSLambdaBasicExecutionRole (attached)',
      'IAM role | workbook-intake-role',
      'SQS queue | workbook-orders',
      'SQS queue | workbook-orders-dlq',
    ]);
    expect(await names.functions()).toContain('workbook-intake');
  });

  it('removes the API, the function, its log group, its role and the queues, and nothing else; again is a no-op', async () => {
    const result = await runScript('teardown', cloud.env);
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toMatch(
      /removed REST API workbook-orders-api .*\n.*removed Lambda permission workbook-intake: .*\n.*removed Lambda function workbook-intake\n.*removed log group \/aws\/lambda\/workbook-intake\n(.*removed IAM role policy workbook-intake-role: .*\n){2}.*removed IAM role workbook-intake-role\n.*removed SQS queue workbook-orders\n.*removed SQS queue workbook-orders-dlq/,
    );
    expect(result.stdout).toContain('Removed 9 resources');

    expect(await names.apis()).toEqual(['other-orders-api:other', 'workbook-orders-api:-']);
    expect(await names.functions()).toEqual(['other-intake', 'workbook-scratch', 'workbook-x-intake']);
    expect(await names.logGroups()).toEqual(['/aws/lambda/workbook-scratch', '/aws/lambda/workbook-x-intake']);
    expect(await names.roles()).toEqual(['workbook-scratch-role', 'workbook-x-intake-role']);
    expect(await names.queues()).toEqual(['workbook-scratch']);

    const { result: again, lines } = await captureOutput(() => teardown({ yes: true }));
    expect(again).toBe(0);
    expect(lines.join('\n')).toContain('Nothing to remove');
  });
});
