import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';

let cloud: TestCloud;
beforeAll(async () => {
  cloud = await startTestCloud();
});
afterAll(() => cloud.close());

const TRUST = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};

describe('iam (aws CLI)', () => {
  it('create-role, then get-role shows the decoded trust policy', async () => {
    const created = await cloud.aws(
      'iam',
      'create-role',
      '--role-name',
      'cli-role',
      '--path',
      '/workbook/',
      '--assume-role-policy-document',
      JSON.stringify(TRUST),
      '--tags',
      'Key=workbook,Value=workbook',
    );
    expect(created.code, created.stderr).toBe(0);
    expect(created.json.Role).toMatchObject({
      Path: '/workbook/',
      RoleName: 'cli-role',
      Arn: 'arn:aws:iam::000000000000:role/workbook/cli-role',
      AssumeRolePolicyDocument: TRUST,
      Tags: [{ Key: 'workbook', Value: 'workbook' }],
    });
    expect(created.json.Role.RoleId).toMatch(/^AROA[A-Z0-9]{17}$/);
    expect(created.json.Role.CreateDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);

    const got = await cloud.aws('iam', 'get-role', '--role-name', 'cli-role');
    expect(got.code, got.stderr).toBe(0);
    expect(got.json.Role).toEqual({ ...created.json.Role, MaxSessionDuration: 3600, RoleLastUsed: {} });
  });

  it('get-role of a missing role fails with NoSuchEntity', async () => {
    const out = await cloud.aws('iam', 'get-role', '--role-name', 'no-such-role');
    expect(out.code).toBe(254);
    expect(out.stderr.trim()).toBe(
      'An error occurred (NoSuchEntity) when calling the GetRole operation: The role with name no-such-role cannot be found.',
    );
  });
});
