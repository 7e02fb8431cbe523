import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LambdaClient, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { RealismProfile } from '../../local-cloud/realism/profile.ts';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { createLambdaRole, zipOf } from '../fixtures/lambda/helpers.ts';

/**
 * The realism profile seen through the aws CLI (its own retries, its own waiters): the role not
 * yet assumable, the function Pending, an update InProgress. The CLI takes one to two seconds to
 * start when the machine is busy, so this file plays AWS's own timing (scale 1), and lets the
 * role's propagation pass at once once the CLI has met it.
 */

const SCALE = 1;
const ACCOUNT = '000000000000';

let cloud: TestCloud;
let zipFile: string;

beforeAll(async () => {
  cloud = await startTestCloud({ realism: RealismProfile.aws(SCALE) });
  zipFile = join(cloud.dataDir, 'function.zip');
  writeFileSync(zipFile, zipOf({ 'index.mjs': 'export const handler = async () => ({ ok: true });' }));
});

afterAll(async () => {
  await cloud?.close();
});

describe('the aws CLI under the realism profile', () => {
  it('meets the new role, the Pending function and the update in progress as on AWS; its waiters see them through', async () => {
    const role = await createLambdaRole(cloud, 'cli-role');
    const createFunction = () =>
      cloud.aws(
        'lambda', 'create-function', '--function-name', 'cli-fn', '--runtime', 'nodejs22.x', '--role', role,
        '--handler', 'index.handler', '--zip-file', `fileb://${zipFile}`,
      );
    const refused = await createFunction();
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      'An error occurred (InvalidParameterValueException) when calling the CreateFunction operation: ' +
        'The role defined for the function cannot be assumed by Lambda.',
    );

    cloud.cloud.iam.inForce.settle('cli-role'); // 10 s at scale 1: realism-iam.test.ts waits it out
    const created = await createFunction();
    expect(created.code, created.stderr).toBe(0);
    expect(created.json).toMatchObject({ State: 'Pending', StateReasonCode: 'Creating' });
    const invoked = await cloud.aws('lambda', 'invoke', '--function-name', 'cli-fn', join(cloud.dataDir, 'out.json'));
    expect(invoked.code).not.toBe(0);
    expect(invoked.stderr).toContain(
      'An error occurred (ResourceConflictException) when calling the Invoke operation: ' +
        'The operation cannot be performed at this time. The function is currently in the following state: Pending',
    );
    const active = await cloud.aws('lambda', 'wait', 'function-active-v2', '--function-name', 'cli-fn');
    expect(active.code, active.stderr).toBe(0);

    // An update under way (started by the SDK, which is quicker off the mark), then the CLI's.
    const lambda = new LambdaClient(cloud.clientConfig);
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'cli-fn', Timeout: 5 }));
    const second = await cloud.aws('lambda', 'update-function-configuration', '--function-name', 'cli-fn', '--timeout', '6');
    expect(second.code).not.toBe(0);
    expect(second.stderr).toContain(
      'An error occurred (ResourceConflictException) when calling the UpdateFunctionConfiguration operation: ' +
        `The operation cannot be performed at this time. An update is in progress for resource: arn:aws:lambda:us-east-1:${ACCOUNT}:function:cli-fn`,
    );
    const updated = await cloud.aws('lambda', 'wait', 'function-updated-v2', '--function-name', 'cli-fn');
    expect(updated.code, updated.stderr).toBe(0);
    const config = await cloud.aws('lambda', 'get-function-configuration', '--function-name', 'cli-fn');
    expect(config.json).toMatchObject({ State: 'Active', LastUpdateStatus: 'Successful', Timeout: 5 });
  });
});
