import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';

let cloud: TestCloud;
beforeAll(async () => {
  cloud = await startTestCloud();
});
afterAll(() => cloud.close());

describe('sts', () => {
  it('GetCallerIdentity names the local account admin (SDK)', async () => {
    const out = await new STSClient(cloud.clientConfig).send(new GetCallerIdentityCommand({}));
    expect(out).toMatchObject({ Account: '000000000000', Arn: 'arn:aws:iam::000000000000:root', UserId: '000000000000' });
  });

  it('get-caller-identity (aws CLI)', async () => {
    const out = await cloud.aws('sts', 'get-caller-identity');
    expect(out.code, out.stderr).toBe(0);
    expect(out.json).toEqual({ UserId: '000000000000', Account: '000000000000', Arn: 'arn:aws:iam::000000000000:root' });
  });
});
