import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  DeletePolicyCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListPoliciesCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';

let cloud: TestCloud;
let iam: IAMClient;
const ACCOUNT = '000000000000';
const QUEUE = `arn:aws:sqs:us-east-1:${ACCOUNT}:workbook-orders`;
const BASIC = 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';
const SQS_EXEC = 'arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole';
const DDB_EXEC = 'arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole';
const XRAY = 'arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess';
const LAMBDA_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const SEND_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Sid: 'SendOrders', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: QUEUE }],
});

beforeAll(async () => {
  cloud = await startTestCloud();
  iam = new IAMClient(cloud.clientConfig);
  for (const name of ['intake-role', 'monitor-role', 'scratch-role']) {
    await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: LAMBDA_TRUST }));
  }
});
afterAll(() => cloud.close());

async function failure(promise: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  const err = await promise.then(
    () => undefined,
    (e: { name: string; message: string; $metadata?: { httpStatusCode?: number } }) => e,
  );
  if (!err) throw new Error('expected the call to fail, it succeeded');
  return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode };
}

describe('iam inline role policies (SDK v3)', () => {
  it('PutRolePolicy, then GetRolePolicy returns the URL-encoded document', async () => {
    await iam.send(new PutRolePolicyCommand({ RoleName: 'intake-role', PolicyName: 'send-orders', PolicyDocument: SEND_POLICY }));
    const out = await iam.send(new GetRolePolicyCommand({ RoleName: 'intake-role', PolicyName: 'send-orders' }));
    expect(out).toMatchObject({ RoleName: 'intake-role', PolicyName: 'send-orders' });
    expect(decodeURIComponent(out.PolicyDocument!)).toBe(SEND_POLICY);
  });

  it('PutRolePolicy with the same name replaces the document', async () => {
    const replaced = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['sqs:SendMessage', 'sqs:GetQueueUrl'], Resource: QUEUE }],
    });
    await iam.send(new PutRolePolicyCommand({ RoleName: 'scratch-role', PolicyName: 'p', PolicyDocument: SEND_POLICY }));
    await iam.send(new PutRolePolicyCommand({ RoleName: 'scratch-role', PolicyName: 'p', PolicyDocument: replaced }));
    const out = await iam.send(new GetRolePolicyCommand({ RoleName: 'scratch-role', PolicyName: 'p' }));
    expect(decodeURIComponent(out.PolicyDocument!)).toBe(replaced);
    expect((await iam.send(new ListRolePoliciesCommand({ RoleName: 'scratch-role' }))).PolicyNames).toEqual(['p']);
  });

  it('ListRolePolicies lists the names', async () => {
    await iam.send(new PutRolePolicyCommand({ RoleName: 'intake-role', PolicyName: 'another', PolicyDocument: SEND_POLICY }));
    const out = await iam.send(new ListRolePoliciesCommand({ RoleName: 'intake-role' }));
    expect(out.PolicyNames).toEqual(['another', 'send-orders']);
    expect(out.IsTruncated).toBe(false);
  });

  it('missing role or policy: NoSuchEntity with IAM\'s messages', async () => {
    expect(await failure(iam.send(new GetRolePolicyCommand({ RoleName: 'intake-role', PolicyName: 'nope' })))).toEqual({
      name: 'NoSuchEntityException',
      message: 'The role policy with name nope cannot be found.',
      status: 404,
    });
    expect(await failure(iam.send(new DeleteRolePolicyCommand({ RoleName: 'intake-role', PolicyName: 'nope' })))).toEqual({
      name: 'NoSuchEntityException',
      message: 'The role policy with name nope cannot be found.',
      status: 404,
    });
    expect(await failure(iam.send(new PutRolePolicyCommand({ RoleName: 'ghost', PolicyName: 'p', PolicyDocument: SEND_POLICY })))).toEqual({
      name: 'NoSuchEntityException',
      message: 'The role with name ghost cannot be found.',
      status: 404,
    });
    expect(await failure(iam.send(new ListRolePoliciesCommand({ RoleName: 'ghost' })))).toMatchObject({ name: 'NoSuchEntityException' });
  });

  it('a role with inline policies cannot be deleted until they are deleted', async () => {
    expect(await failure(iam.send(new DeleteRoleCommand({ RoleName: 'scratch-role' })))).toEqual({
      name: 'DeleteConflictException',
      message: 'Cannot delete entity, must delete policies first.',
      status: 409,
    });
    await iam.send(new DeleteRolePolicyCommand({ RoleName: 'scratch-role', PolicyName: 'p' }));
    expect((await iam.send(new ListRolePoliciesCommand({ RoleName: 'scratch-role' }))).PolicyNames ?? []).toEqual([]);
    await iam.send(new DeleteRoleCommand({ RoleName: 'scratch-role' }));
  });

  const doc = (statement: Record<string, unknown>) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', ...statement }] });
  it.each([
    ['not JSON', 'Version: 2012-10-17', 'This policy contains invalid Json'],
    ['no Statement', JSON.stringify({ Version: '2012-10-17' }), 'Syntax errors in policy.'],
    ['no Effect', JSON.stringify({ Statement: [{ Action: 'sqs:SendMessage', Resource: QUEUE }] }), 'Syntax errors in policy.'],
    ['Effect "Permit"', JSON.stringify({ Statement: [{ Effect: 'Permit', Action: 'sqs:SendMessage', Resource: QUEUE }] }), 'Syntax errors in policy.'],
    ['unknown Version', JSON.stringify({ Version: '2012-10-18', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }), 'Syntax errors in policy.'],
    ['unknown element', doc({ Action: 'sqs:SendMessage', Resource: QUEUE, Resources: QUEUE }), 'Syntax errors in policy.'],
    ['Action and NotAction together', doc({ Action: 'sqs:SendMessage', NotAction: 'sqs:DeleteQueue', Resource: QUEUE }), 'Syntax errors in policy.'],
    ['a Principal', doc({ Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: QUEUE }), 'Policy document should not specify a principal.'],
    ['no Action', doc({ Resource: QUEUE }), 'Policy statement must contain actions.'],
    ['no Resource', doc({ Action: 'sqs:SendMessage' }), 'Policy statement must contain resources.'],
    ['an action without a vendor', doc({ Action: 'SendMessage', Resource: QUEUE }), 'Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.'],
    ['a resource that is not an ARN', doc({ Action: 'sqs:SendMessage', Resource: 'workbook-orders' }), 'Resource workbook-orders must be in ARN format or "*".'],
    [
      'duplicate Sids',
      JSON.stringify({ Statement: [{ Sid: 'A', Effect: 'Allow', Action: '*', Resource: '*' }, { Sid: 'A', Effect: 'Deny', Action: 'iam:*', Resource: '*' }] }),
      'Statement IDs (SID) in a single policy must be unique.',
    ],
    ['an unknown condition operator', doc({ Action: '*', Resource: '*', Condition: { StringSortOf: { 'aws:SourceArn': QUEUE } } }), 'Syntax errors in policy.'],
  ])('PutRolePolicy with %s → MalformedPolicyDocument', async (_label, document, message) => {
    expect(await failure(iam.send(new PutRolePolicyCommand({ RoleName: 'monitor-role', PolicyName: 'bad', PolicyDocument: document })))).toEqual({
      name: 'MalformedPolicyDocumentException',
      message,
      status: 400,
    });
  });

  it('inline policies over 10,240 characters in total are LimitExceeded', async () => {
    const resources = Array.from({ length: 120 }, (_, i) => `${QUEUE}-${String(i).padStart(3, '0')}`);
    const big = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sqs:*', Resource: resources }] });
    await iam.send(new PutRolePolicyCommand({ RoleName: 'monitor-role', PolicyName: 'big-1', PolicyDocument: big }));
    // The SDK counts LimitExceeded as throttling and retries it; one attempt is enough here.
    const once = new IAMClient({ ...cloud.clientConfig, maxAttempts: 1 });
    expect(await failure(once.send(new PutRolePolicyCommand({ RoleName: 'monitor-role', PolicyName: 'big-2', PolicyDocument: big })))).toEqual({
      name: 'LimitExceededException',
      message: 'Maximum policy size of 10240 bytes exceeded for role monitor-role',
      status: 409,
    });
    await iam.send(new DeleteRolePolicyCommand({ RoleName: 'monitor-role', PolicyName: 'big-1' }));
  });
});

describe('iam managed policies (SDK v3)', () => {
  it('attaches AWS managed policies and lists them', async () => {
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'monitor-role', PolicyArn: BASIC }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'monitor-role', PolicyArn: SQS_EXEC }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'monitor-role', PolicyArn: SQS_EXEC })); // twice is harmless
    const out = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'monitor-role' }));
    expect(out.AttachedPolicies).toEqual([
      { PolicyName: 'AWSLambdaBasicExecutionRole', PolicyArn: BASIC },
      { PolicyName: 'AWSLambdaSQSQueueExecutionRole', PolicyArn: SQS_EXEC },
    ]);
    expect(out.IsTruncated).toBe(false);
    const filtered = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'monitor-role', PathPrefix: '/other/' }));
    expect(filtered.AttachedPolicies ?? []).toEqual([]);
  });

  it('attaching an unknown policy: NoSuchEntity "does not exist or is not attachable"', async () => {
    const arn = 'arn:aws:iam::aws:policy/AWSLambdaFullAccessTypo';
    expect(await failure(iam.send(new AttachRolePolicyCommand({ RoleName: 'monitor-role', PolicyArn: arn })))).toEqual({
      name: 'NoSuchEntityException',
      message: `Policy ${arn} does not exist or is not attachable.`,
      status: 404,
    });
    expect(await failure(iam.send(new AttachRolePolicyCommand({ RoleName: 'monitor-role', PolicyArn: 'AWSLambdaBasicExecutionRole' })))).toEqual({
      name: 'InvalidInputException',
      message: 'ARN AWSLambdaBasicExecutionRole is not valid.',
      status: 400,
    });
    expect(await failure(iam.send(new AttachRolePolicyCommand({ RoleName: 'ghost', PolicyArn: BASIC })))).toMatchObject({
      name: 'NoSuchEntityException',
      message: 'The role with name ghost cannot be found.',
    });
  });

  it('a role with attached policies cannot be deleted; detaching one that is not attached is NoSuchEntity', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'attach-then-delete', AssumeRolePolicyDocument: LAMBDA_TRUST }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'attach-then-delete', PolicyArn: BASIC }));
    expect(await failure(iam.send(new DeleteRoleCommand({ RoleName: 'attach-then-delete' })))).toEqual({
      name: 'DeleteConflictException',
      message: 'Cannot delete entity, must detach all policies first.',
      status: 409,
    });
    await iam.send(new DetachRolePolicyCommand({ RoleName: 'attach-then-delete', PolicyArn: BASIC }));
    expect(await failure(iam.send(new DetachRolePolicyCommand({ RoleName: 'attach-then-delete', PolicyArn: BASIC })))).toEqual({
      name: 'NoSuchEntityException',
      message: `Policy ${BASIC} was not found.`,
      status: 404,
    });
    await iam.send(new DeleteRoleCommand({ RoleName: 'attach-then-delete' }));
  });

  it('GetPolicy describes an AWS managed policy with its real metadata', async () => {
    const { Policy } = await iam.send(new GetPolicyCommand({ PolicyArn: BASIC }));
    expect(Policy).toEqual({
      PolicyName: 'AWSLambdaBasicExecutionRole',
      PolicyId: 'ANPAJNCQGXC42545SKXIK',
      Arn: BASIC,
      Path: '/service-role/',
      DefaultVersionId: 'v1',
      AttachmentCount: 1,
      PermissionsBoundaryUsageCount: 0,
      IsAttachable: true,
      Description: 'Provides write permissions to CloudWatch Logs.',
      CreateDate: new Date('2015-04-09T15:03:43Z'),
      UpdateDate: new Date('2015-04-09T15:03:43Z'),
    });
  });

  it.each([
    [BASIC, 'v1', ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents']],
    [SQS_EXEC, 'v1', ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents']],
    [DDB_EXEC, 'v1', ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams', 'logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents']],
    [XRAY, 'v2', ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets', 'xray:GetSamplingStatisticSummaries']],
  ])('GetPolicyVersion %s %s returns the published document', async (arn, version, actions) => {
    const { Policy } = await iam.send(new GetPolicyCommand({ PolicyArn: arn }));
    expect(Policy!.DefaultVersionId).toBe(version);
    const { PolicyVersion } = await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: version }));
    expect(PolicyVersion).toMatchObject({ VersionId: version, IsDefaultVersion: true });
    const document = JSON.parse(decodeURIComponent(PolicyVersion!.Document!));
    expect(document.Version).toBe('2012-10-17');
    expect(document.Statement).toHaveLength(1);
    expect(document.Statement[0].Effect).toBe('Allow');
    expect(document.Statement[0].Action).toEqual(actions);
    expect([document.Statement[0].Resource].flat()).toEqual(['*']);
  });

  it('GetPolicy / GetPolicyVersion of unknown policies and versions', async () => {
    const arn = 'arn:aws:iam::aws:policy/NoSuchPolicy';
    expect(await failure(iam.send(new GetPolicyCommand({ PolicyArn: arn })))).toEqual({
      name: 'NoSuchEntityException',
      message: `Policy ${arn} was not found.`,
      status: 404,
    });
    expect(await failure(iam.send(new GetPolicyVersionCommand({ PolicyArn: BASIC, VersionId: 'v9' })))).toEqual({
      name: 'NoSuchEntityException',
      message: `Policy ${BASIC} version v9 does not exist or is not attachable.`,
      status: 404,
    });
  });

  it('customer managed policies: create, get, attach, list by scope, delete', async () => {
    const created = await iam.send(
      new CreatePolicyCommand({ PolicyName: 'workbook-send', Path: '/workbook/', PolicyDocument: SEND_POLICY, Description: 'send orders' }),
    );
    const arn = `arn:aws:iam::${ACCOUNT}:policy/workbook/workbook-send`;
    expect(created.Policy).toMatchObject({
      PolicyName: 'workbook-send',
      Arn: arn,
      Path: '/workbook/',
      DefaultVersionId: 'v1',
      AttachmentCount: 0,
      IsAttachable: true,
    });
    expect(created.Policy!.PolicyId).toMatch(/^ANPA[A-Z0-9]{17}$/);
    expect(created.Policy).not.toHaveProperty('Description');

    expect(await failure(iam.send(new CreatePolicyCommand({ PolicyName: 'workbook-send', PolicyDocument: SEND_POLICY })))).toEqual({
      name: 'EntityAlreadyExistsException',
      message: 'A policy called workbook-send already exists. Duplicate names are not allowed.',
      status: 409,
    });
    expect(
      await failure(iam.send(new CreatePolicyCommand({ PolicyName: 'bad-doc', PolicyDocument: JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 'sqs:*' }] }) }))),
    ).toMatchObject({ name: 'MalformedPolicyDocumentException', message: 'Policy statement must contain resources.' });

    await iam.send(new AttachRolePolicyCommand({ RoleName: 'intake-role', PolicyArn: arn }));
    const got = await iam.send(new GetPolicyCommand({ PolicyArn: arn }));
    expect(got.Policy).toMatchObject({ Description: 'send orders', AttachmentCount: 1 });
    const version = await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v1' }));
    expect(decodeURIComponent(version.PolicyVersion!.Document!)).toBe(SEND_POLICY);

    const local = await iam.send(new ListPoliciesCommand({ Scope: 'Local' }));
    expect(local.Policies!.map((p) => p.PolicyName)).toEqual(['workbook-send']);
    const aws = await iam.send(new ListPoliciesCommand({ Scope: 'AWS' }));
    expect(aws.Policies!.map((p) => p.PolicyName)).toEqual([
      'AWSLambdaBasicExecutionRole',
      'AWSLambdaDynamoDBExecutionRole',
      'AWSLambdaSQSQueueExecutionRole',
      'AWSXRayDaemonWriteAccess',
    ]);
    const attachedOnly = await iam.send(new ListPoliciesCommand({ OnlyAttached: true }));
    expect(attachedOnly.Policies!.map((p) => p.PolicyName).sort()).toEqual(['AWSLambdaBasicExecutionRole', 'AWSLambdaSQSQueueExecutionRole', 'workbook-send']);
    const paged = await iam.send(new ListPoliciesCommand({ MaxItems: 2 }));
    expect(paged.Policies).toHaveLength(2);
    expect(paged.IsTruncated).toBe(true);

    expect(await failure(iam.send(new DeletePolicyCommand({ PolicyArn: arn })))).toEqual({
      name: 'DeleteConflictException',
      message: 'Cannot delete a policy attached to entities.',
      status: 409,
    });
    await iam.send(new DetachRolePolicyCommand({ RoleName: 'intake-role', PolicyArn: arn }));
    await iam.send(new DeletePolicyCommand({ PolicyArn: arn }));
    expect(await failure(iam.send(new GetPolicyCommand({ PolicyArn: arn })))).toMatchObject({ name: 'NoSuchEntityException', status: 404 });
  });

  it('ListPolicies rejects an unknown Scope', async () => {
    const err = await failure(iam.send(new ListPoliciesCommand({ Scope: 'Mine' as never })));
    expect(err).toEqual({
      name: 'ValidationError',
      message: "1 validation error detected: Value 'Mine' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]",
      status: 400,
    });
  });
});

describe('iam helpers for other services', () => {
  const roleArn = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;

  it('roleTrusts: does the trust policy let a service assume the role', async () => {
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'conditional-trust',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'lambda.amazonaws.com' },
              Action: 'sts:AssumeRole',
              Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
            },
          ],
        }),
      }),
    );
    const backend = cloud.cloud.iam;
    expect(backend.roleTrusts(roleArn('intake-role'), 'lambda.amazonaws.com')).toBe(true);
    expect(backend.roleTrusts(roleArn('intake-role'), 'ec2.amazonaws.com')).toBe(false);
    expect(backend.roleTrusts(roleArn('no-such-role'), 'lambda.amazonaws.com')).toBe(false);
    expect(backend.roleTrusts(`arn:aws:iam::${ACCOUNT}:role/wrong/path/intake-role`, 'lambda.amazonaws.com')).toBe(false);
    expect(backend.roleTrusts(roleArn('conditional-trust'), 'lambda.amazonaws.com')).toBe(false);
    expect(backend.roleTrusts(roleArn('conditional-trust'), 'lambda.amazonaws.com', { 'aws:SourceAccount': ACCOUNT })).toBe(true);
  });

  it('identityPolicies: the parsed inline and attached documents of a role', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'recorder-role', AssumeRolePolicyDocument: LAMBDA_TRUST }));
    await iam.send(new PutRolePolicyCommand({ RoleName: 'recorder-role', PolicyName: 'send', PolicyDocument: SEND_POLICY }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'recorder-role', PolicyArn: BASIC }));
    const policies = cloud.cloud.iam.identityPolicies(roleArn('recorder-role'));
    expect(policies).toHaveLength(2);
    expect(policies[0].statements).toEqual([{ sid: 'SendOrders', effect: 'Allow', action: ['sqs:SendMessage'], resource: [QUEUE] }]);
    expect(policies[1].statements[0]).toMatchObject({ effect: 'Allow', action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'] });
    expect(cloud.cloud.iam.identityPolicies(roleArn('no-such-role'))).toEqual([]);
  });

  it('evaluateRole: a request with the role\'s credentials', () => {
    const principal = {
      type: 'AWS' as const,
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/recorder-role/recorder`,
      account: ACCOUNT,
      roleArn: roleArn('recorder-role'),
    };
    const evaluate = (action: string, resource: string) =>
      cloud.cloud.iam.evaluateRole(roleArn('recorder-role'), { action, resource, principal }).decision;
    expect(evaluate('sqs:SendMessage', QUEUE)).toBe('Allow');
    expect(evaluate('logs:PutLogEvents', `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/recorder:*`)).toBe('Allow');
    expect(evaluate('sqs:SendMessage', `${QUEUE}-dlq`)).toBe('ImplicitDeny');
    expect(evaluate('dynamodb:PutItem', `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/orders`)).toBe('ImplicitDeny');
  });
});
