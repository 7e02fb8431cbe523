import { lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { copyOfRepository } from '../support/committed-steps.ts';
import { startCloudProcess, type CloudProcess } from '../support/process.ts';
import { TEST_CREDENTIALS, startTestCloud } from '../support/cloud.ts';
import { createLambdaRole, deployFunction, payloadOf } from '../fixtures/lambda/helpers.ts';

/**
 * A project whose node_modules is a link to another folder (a shared install, a container's
 * volume), here a link to a link, with the data folder inside it, so that the module fence is
 * on: a function still gets the runtime-provided SDK. Its imports resolve from the install's
 * node_modules by the name the install has for it, and Node reads every link on the way to the
 * real folder: the sandbox must be allowed to read each of them.
 */
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

let copy: string;
let shared: string;
let cloud: CloudProcess;

beforeAll(async () => {
  copy = copyOfRepository(REPO_ROOT, 'workbook-linked-modules-');
  // copy/node_modules → shared/node_modules → the repository's node_modules (itself a link, in some checkouts).
  shared = mkdtempSync(join(tmpdir(), 'workbook-shared-install-'));
  symlinkSync(readlinkSync(join(copy, 'node_modules')), join(shared, 'node_modules'), 'dir');
  rmSync(join(copy, 'node_modules'));
  symlinkSync(join(shared, 'node_modules'), join(copy, 'node_modules'), 'dir');
  cloud = await startCloudProcess(join(copy, '.workbook', 'local-cloud'), {}, copy);
}, 60_000);
afterAll(async () => {
  await cloud?.kill();
  if (copy) rmSync(copy, { recursive: true, force: true });
  if (shared) rmSync(shared, { recursive: true, force: true });
});

describe('a project whose node_modules is a link to a link', () => {
  it('runs a function that imports the runtime-provided SDK (ES module and CommonJS)', async () => {
    expect(lstatSync(join(copy, 'node_modules')).isSymbolicLink()).toBe(true);
    expect(lstatSync(join(shared, 'node_modules')).isSymbolicLink()).toBe(true);
    const config = { endpoint: cloud.url, region: 'us-east-1', credentials: TEST_CREDENTIALS };
    const lambda = new LambdaClient(config);
    const role = await createLambdaRole({ clientConfig: config }, 'linked-modules-role');
    const call = `const out = await new STSClient({}).send(new GetCallerIdentityCommand({})); return { arn: out.Arn };`;
    await deployFunction(lambda, {
      FunctionName: 'linked-esm',
      Role: role,
      Handler: 'index.handler',
      files: { 'index.mjs': `import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';\nexport async function handler() { ${call} }` },
    });
    await deployFunction(lambda, {
      FunctionName: 'linked-cjs',
      Role: role,
      Handler: 'index.handler',
      files: { 'index.js': `const { STSClient, GetCallerIdentityCommand } = require('@aws-sdk/client-sts');\nexports.handler = async () => { ${call} };` },
    });
    for (const name of ['linked-esm', 'linked-cjs']) {
      const out = await lambda.send(new InvokeCommand({ FunctionName: name }));
      expect(out.FunctionError, Buffer.from(out.Payload ?? []).toString()).toBeUndefined();
      expect(payloadOf(out).arn).toBe(`arn:aws:sts::000000000000:assumed-role/linked-modules-role/${name}`);
    }
  });
});

describe('a data folder reached through a link (LOCAL_CLOUD_DATA under macOS\'s /tmp, a linked home)', () => {
  it('runs functions: a worker is handed real paths, as it may not read the link above them', async () => {
    const real = mkdtempSync(join(tmpdir(), 'workbook-real-data-'));
    const links = mkdtempSync(join(tmpdir(), 'workbook-data-link-'));
    symlinkSync(real, join(links, 'home'), 'dir');
    mkdirSync(join(links, 'home', 'data'));
    const linked = await startTestCloud({ dataDir: join(links, 'home', 'data') });
    try {
      const lambda = new LambdaClient(linked.clientConfig);
      const role = await createLambdaRole(linked, 'linked-data-role');
      await deployFunction(lambda, {
        FunctionName: 'through-a-link',
        Role: role,
        Handler: 'index.handler',
        files: { 'index.mjs': `import { writeFileSync } from 'node:fs';\nimport { tmpdir } from 'node:os';\nexport async function handler() { writeFileSync(tmpdir() + '/x', 'y'); return { ok: true }; }` },
      });
      const out = await lambda.send(new InvokeCommand({ FunctionName: 'through-a-link' }));
      expect(out.FunctionError, Buffer.from(out.Payload ?? []).toString()).toBeUndefined();
      expect(payloadOf(out)).toEqual({ ok: true });
    } finally {
      await linked.close();
      rmSync(links, { recursive: true, force: true });
      rmSync(real, { recursive: true, force: true });
    }
  });
});
