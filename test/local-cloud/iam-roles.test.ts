import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AttachRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  GetRoleCommand,
  IAMClient,
  ListRolesCommand,
  ListRoleTagsCommand,
  TagRoleCommand,
  UntagRoleCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateRoleCommand,
  paginateListRoles,
} from '@aws-sdk/client-iam';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';

let cloud: TestCloud;
let iam: IAMClient;
beforeAll(async () => {
  cloud = await startTestCloud();
  iam = new IAMClient(cloud.clientConfig);
});
afterAll(() => cloud.close());

const ACCOUNT = '000000000000';
const trustFor = (service: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
  });
const LAMBDA_TRUST = trustFor('lambda.amazonaws.com');

/** The error a call fails with, as the SDK reports it. */
async function failure(promise: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  const err = await promise.then(
    () => undefined,
    (e: { name: string; message: string; $metadata?: { httpStatusCode?: number } }) => e,
  );
  if (!err) throw new Error('expected the call to fail, it succeeded');
  return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode };
}

describe('iam roles (SDK v3)', () => {
  it('CreateRole answers with the role, its AROA id, ARN and URL-encoded trust policy', async () => {
    const before = Date.now();
    const out = await iam.send(
      new CreateRoleCommand({
        RoleName: 'intake-role',
        AssumeRolePolicyDocument: LAMBDA_TRUST,
        Description: 'runs the intake function',
        Tags: [{ Key: 'workbook', Value: 'workbook' }],
      }),
    );
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(out.Role).toMatchObject({
      Path: '/',
      RoleName: 'intake-role',
      Arn: `arn:aws:iam::${ACCOUNT}:role/intake-role`,
      Description: 'runs the intake function',
      Tags: [{ Key: 'workbook', Value: 'workbook' }],
    });
    expect(out.Role!.RoleId).toMatch(/^AROA[A-Z0-9]{17}$/);
    expect(out.Role!.AssumeRolePolicyDocument).toBe(encodeURIComponent(LAMBDA_TRUST));
    expect(JSON.parse(decodeURIComponent(out.Role!.AssumeRolePolicyDocument!))).toEqual(JSON.parse(LAMBDA_TRUST));
    expect(out.Role!.CreateDate).toBeInstanceOf(Date);
    expect(out.Role!.CreateDate!.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(out.Role).not.toHaveProperty('MaxSessionDuration');
  });

  it('GetRole adds MaxSessionDuration 3600 and an empty RoleLastUsed', async () => {
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: 'intake-role' }));
    expect(Role).toMatchObject({
      RoleName: 'intake-role',
      Arn: `arn:aws:iam::${ACCOUNT}:role/intake-role`,
      MaxSessionDuration: 3600,
      RoleLastUsed: {},
      Tags: [{ Key: 'workbook', Value: 'workbook' }],
    });
  });

  it('role names are case-insensitive, as in IAM', async () => {
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: 'INTAKE-ROLE' }));
    expect(Role!.RoleName).toBe('intake-role');
    expect(await failure(iam.send(new CreateRoleCommand({ RoleName: 'Intake-Role', AssumeRolePolicyDocument: LAMBDA_TRUST })))).toEqual({
      name: 'EntityAlreadyExistsException',
      message: 'Role with name Intake-Role already exists.',
      status: 409,
    });
  });

  it('a path goes into the ARN; MaxSessionDuration is kept', async () => {
    const { Role } = await iam.send(
      new CreateRoleCommand({
        RoleName: 'pathed',
        Path: '/service-role/workbook/',
        AssumeRolePolicyDocument: LAMBDA_TRUST,
        MaxSessionDuration: 7200,
      }),
    );
    expect(Role!.Arn).toBe(`arn:aws:iam::${ACCOUNT}:role/service-role/workbook/pathed`);
    const got = await iam.send(new GetRoleCommand({ RoleName: 'pathed' }));
    expect(got.Role).toMatchObject({ Path: '/service-role/workbook/', MaxSessionDuration: 7200 });
  });

  it('GetRole of a missing role: NoSuchEntity 404', async () => {
    expect(await failure(iam.send(new GetRoleCommand({ RoleName: 'nope' })))).toEqual({
      name: 'NoSuchEntityException',
      message: 'The role with name nope cannot be found.',
      status: 404,
    });
  });

  it('duplicate CreateRole: EntityAlreadyExists 409', async () => {
    expect(await failure(iam.send(new CreateRoleCommand({ RoleName: 'intake-role', AssumeRolePolicyDocument: LAMBDA_TRUST })))).toEqual({
      name: 'EntityAlreadyExistsException',
      message: 'Role with name intake-role already exists.',
      status: 409,
    });
  });

  it.each([
    ['bad name', 'roleName', `Value 'bad name' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`],
    ['x'.repeat(65), 'roleName', `Value '${'x'.repeat(65)}' at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64`],
  ])('invalid role name %#: ValidationError', async (name) => {
    const err = await failure(iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: LAMBDA_TRUST })));
    expect(err.name).toBe('ValidationError');
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/^1 validation error detected: Value '.*' at 'roleName' failed to satisfy constraint: Member must/);
  });

  it('the exact ValidationError text for a bad role name', async () => {
    const err = await failure(iam.send(new GetRoleCommand({ RoleName: 'has/slash' })));
    expect(err.message).toBe(
      "1 validation error detected: Value 'has/slash' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+",
    );
  });

  it('invalid path, MaxSessionDuration, and missing trust policy are ValidationErrors', async () => {
    const badPath = await failure(iam.send(new CreateRoleCommand({ RoleName: 'p1', Path: 'no-slashes', AssumeRolePolicyDocument: LAMBDA_TRUST })));
    expect(badPath).toMatchObject({ name: 'ValidationError', status: 400 });
    expect(badPath.message).toContain("Value 'no-slashes' at 'path' failed to satisfy constraint");
    const badDuration = await failure(
      iam.send(new CreateRoleCommand({ RoleName: 'p2', MaxSessionDuration: 60, AssumeRolePolicyDocument: LAMBDA_TRUST })),
    );
    expect(badDuration.message).toBe(
      "1 validation error detected: Value '60' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600",
    );
    const noTrust = await failure(iam.send(new CreateRoleCommand({ RoleName: 'p3' } as never)));
    expect(noTrust.message).toBe(
      "1 validation error detected: Value null at 'assumeRolePolicyDocument' failed to satisfy constraint: Member must not be null",
    );
  });

  it('ListRoles filters by PathPrefix and pages with Marker/MaxItems', async () => {
    for (const name of ['page-a', 'page-b', 'page-c']) {
      await iam.send(new CreateRoleCommand({ RoleName: name, Path: '/paging/', AssumeRolePolicyDocument: LAMBDA_TRUST }));
    }
    const first = await iam.send(new ListRolesCommand({ PathPrefix: '/paging/', MaxItems: 2 }));
    expect(first.Roles!.map((r) => r.RoleName)).toEqual(['page-a', 'page-b']);
    expect(first.IsTruncated).toBe(true);
    expect(first.Marker).toBeTruthy();
    const second = await iam.send(new ListRolesCommand({ PathPrefix: '/paging/', MaxItems: 2, Marker: first.Marker }));
    expect(second.Roles!.map((r) => r.RoleName)).toEqual(['page-c']);
    expect(second.IsTruncated).toBe(false);
    expect(second.Marker).toBeUndefined();
    // ListRoles shows MaxSessionDuration but not tags or last use.
    expect(second.Roles![0]).toMatchObject({ MaxSessionDuration: 3600, Path: '/paging/' });
    expect(second.Roles![0]).not.toHaveProperty('RoleLastUsed');

    const all: string[] = [];
    for await (const page of paginateListRoles({ client: iam, pageSize: 1 }, {})) all.push(...page.Roles!.map((r) => r.RoleName!));
    expect(all).toEqual(expect.arrayContaining(['intake-role', 'pathed', 'page-a', 'page-b', 'page-c']));
    expect(new Set(all).size).toBe(all.length);
  });

  it('an empty ListRoles page is an empty list', async () => {
    const out = await iam.send(new ListRolesCommand({ PathPrefix: '/nothing-here/' }));
    expect(out.Roles ?? []).toEqual([]);
    expect(out.IsTruncated).toBe(false);
  });

  it('TagRole / ListRoleTags / UntagRole', async () => {
    await iam.send(new TagRoleCommand({ RoleName: 'intake-role', Tags: [{ Key: 'stage', Value: '2' }, { Key: 'workbook', Value: 'wb' }] }));
    const tagged = await iam.send(new ListRoleTagsCommand({ RoleName: 'intake-role' }));
    expect(tagged.Tags).toEqual([
      { Key: 'workbook', Value: 'wb' },
      { Key: 'stage', Value: '2' },
    ]);
    expect(tagged.IsTruncated).toBe(false);
    await iam.send(new UntagRoleCommand({ RoleName: 'intake-role', TagKeys: ['stage'] }));
    expect((await iam.send(new ListRoleTagsCommand({ RoleName: 'intake-role' }))).Tags).toEqual([{ Key: 'workbook', Value: 'wb' }]);
    expect(await failure(iam.send(new ListRoleTagsCommand({ RoleName: 'nope' })))).toMatchObject({ name: 'NoSuchEntityException' });
  });

  it('duplicate tag keys are rejected like IAM does', async () => {
    const err = await failure(
      iam.send(new TagRoleCommand({ RoleName: 'intake-role', Tags: [{ Key: 'a', Value: '1' }, { Key: 'A', Value: '2' }] })),
    );
    expect(err).toEqual({
      name: 'InvalidInputException',
      message: 'Duplicate tag keys found. Please note that Tag keys are case insensitive.',
      status: 400,
    });
  });

  it('UpdateAssumeRolePolicy replaces the trust policy (validated like CreateRole)', async () => {
    const apiTrust = trustFor('apigateway.amazonaws.com');
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'pathed', PolicyDocument: apiTrust }));
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: 'pathed' }));
    expect(decodeURIComponent(Role!.AssumeRolePolicyDocument!)).toBe(apiTrust);
    expect(await failure(iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'pathed', PolicyDocument: '{nope' })))).toEqual({
      name: 'MalformedPolicyDocumentException',
      message: 'This policy contains invalid Json',
      status: 400,
    });
    expect(await failure(iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'nope', PolicyDocument: apiTrust })))).toMatchObject({
      name: 'NoSuchEntityException',
      status: 404,
    });
  });

  it('UpdateRole changes the description and MaxSessionDuration', async () => {
    await iam.send(new UpdateRoleCommand({ RoleName: 'pathed', Description: 'now described', MaxSessionDuration: 10800 }));
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: 'pathed' }));
    expect(Role).toMatchObject({ Description: 'now described', MaxSessionDuration: 10800 });
  });

  it('DeleteRole removes the role; deleting it again is NoSuchEntity', async () => {
    await iam.send(new DeleteRoleCommand({ RoleName: 'page-c' }));
    expect(await failure(iam.send(new GetRoleCommand({ RoleName: 'page-c' })))).toMatchObject({ name: 'NoSuchEntityException' });
    expect(await failure(iam.send(new DeleteRoleCommand({ RoleName: 'page-c' })))).toEqual({
      name: 'NoSuchEntityException',
      message: 'The role with name page-c cannot be found.',
      status: 404,
    });
  });
});

describe('iam trust policy validation (SDK v3)', () => {
  const create = (name: string, document: unknown) =>
    failure(
      iam.send(
        new CreateRoleCommand({
          RoleName: name,
          AssumeRolePolicyDocument: typeof document === 'string' ? document : JSON.stringify(document),
        }),
      ),
    );
  const statement = (extra: Record<string, unknown>) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', ...extra }] });

  it.each([
    ['not JSON', '{"Version": "2012-10-17", "Statement": [', 'This policy contains invalid Json'],
    ['no Statement', { Version: '2012-10-17' }, 'Syntax errors in policy.'],
    ['no Effect', { Statement: [{ Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] }, 'Syntax errors in policy.'],
    ['bad Effect', { Statement: [{ Effect: 'Maybe', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] }, 'Syntax errors in policy.'],
    ['unknown Version', { Version: '2020-01-01', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] }, 'Syntax errors in policy.'],
    [
      'no Principal',
      statement({ Action: 'sts:AssumeRole' }),
      'Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!',
    ],
    ['a Resource', statement({ Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole', Resource: '*' }), 'Has prohibited field Resource'],
    ['a non-STS action', statement({ Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sqs:SendMessage' }), 'AssumeRole policy may only specify STS AssumeRole actions.'],
    ['no Action', statement({ Principal: { Service: 'lambda.amazonaws.com' } }), 'Policy statement must contain actions.'],
    ['a misspelt service', statement({ Principal: { Service: 'lambda.amazonaws' }, Action: 'sts:AssumeRole' }), 'Invalid principal in policy: "SERVICE":"lambda.amazonaws"'],
    [
      'a role that does not exist',
      statement({ Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/ghost` }, Action: 'sts:AssumeRole' }),
      `Invalid principal in policy: "AWS":"arn:aws:iam::${ACCOUNT}:role/ghost"`,
    ],
  ])('%s → MalformedPolicyDocument', async (_label, document, message) => {
    expect(await create('malformed-trust', document)).toEqual({ name: 'MalformedPolicyDocumentException', message, status: 400 });
  });

  it('accepts an account principal, an existing role and the AssumeRole action family', async () => {
    const { Role } = await iam.send(
      new CreateRoleCommand({
        RoleName: 'trusting',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { AWS: [ACCOUNT, `arn:aws:iam::${ACCOUNT}:role/intake-role`] }, Action: ['sts:AssumeRole', 'sts:TagSession'] },
            { Effect: 'Allow', Principal: { Service: ['lambda.amazonaws.com', 'states.amazonaws.com'] }, Action: 'sts:AssumeRole' },
          ],
        }),
      }),
    );
    expect(Role!.RoleName).toBe('trusting');
  });

  it('a trust policy over 2048 characters (whitespace aside) is LimitExceeded', async () => {
    const services = Array.from({ length: 80 }, (_, i) => `service${i}.amazonaws.com`);
    // The SDK counts LimitExceeded as throttling and retries it; one attempt is enough here.
    const once = new IAMClient({ ...cloud.clientConfig, maxAttempts: 1 });
    const document = JSON.stringify(statement({ Principal: { Service: services }, Action: 'sts:AssumeRole' }));
    const err = await failure(once.send(new CreateRoleCommand({ RoleName: 'too-big', AssumeRolePolicyDocument: document })));
    expect(err).toEqual({ name: 'LimitExceededException', message: 'Cannot exceed quota for ACLSizePerRole: 2048', status: 409 });
  });
});

describe('iam persistence', () => {
  it('roles, their policies and customer policies survive a restart on the same data folder', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'iam-restart-'));
    try {
      const first = await startTestCloud({ dataDir });
      const before = new IAMClient(first.clientConfig);
      const created = await before.send(
        new CreateRoleCommand({ RoleName: 'durable', AssumeRolePolicyDocument: LAMBDA_TRUST, Tags: [{ Key: 'k', Value: 'v' }] }),
      );
      await before.send(
        new AttachRolePolicyCommand({ RoleName: 'durable', PolicyArn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole' }),
      );
      await first.close();

      const second = await startTestCloud({ dataDir });
      try {
        const after = new IAMClient(second.clientConfig);
        const { Role } = await after.send(new GetRoleCommand({ RoleName: 'durable' }));
        expect(Role).toMatchObject({ RoleId: created.Role!.RoleId, Arn: created.Role!.Arn, Tags: [{ Key: 'k', Value: 'v' }] });
        expect(Role!.CreateDate).toEqual(created.Role!.CreateDate);
        const attached = await after.send(new ListAttachedRolePoliciesCommand({ RoleName: 'durable' }));
        expect(attached.AttachedPolicies).toEqual([
          { PolicyName: 'AWSLambdaBasicExecutionRole', PolicyArn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole' },
        ]);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
