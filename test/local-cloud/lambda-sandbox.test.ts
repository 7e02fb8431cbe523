import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { localCloudEnvironment } from '../../lib/localCloud.ts';
import { resolveTarget } from '../../lib/config.ts';
import { cloudEnvironment, dropForeignVariables } from '../../local-cloud/process-environment.ts';
import { TEST_CREDENTIALS } from '../support/cloud.ts';
import { startCloudProcess, type CloudProcess } from '../support/process.ts';
import { createLambdaRole, deployFunction, payloadOf } from '../fixtures/lambda/helpers.ts';

/**
 * Lambda sandboxes do not leak: a handler sees its own code, its own /tmp and its own
 * environment, and nothing of the local cloud's process, the data folder or other functions.
 * The cloud runs as its own process, started the way a learner's shell would start it: with
 * real-looking secrets in its environment.
 */
const PLANTED = {
  AWS_ACCESS_KEY_ID: 'AKIAPLANTEDPLANTED00',
  AWS_SECRET_ACCESS_KEY: 'planted-secret-access-key',
  AWS_SESSION_TOKEN: 'planted-session-token',
  GITHUB_TOKEN: 'planted-github-token',
  NODE_AUTH_TOKEN: 'planted-npm-token',
};

/** One handler for every probe: it tries what the event says and reports what happened. */
const PROBE = `
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const attempt = (action) => {
  try {
    return { ok: true, value: action() };
  } catch (err) {
    return { ok: false, code: err.code ?? err.name };
  }
};

export const handler = async ({ op, path, text }) => {
  switch (op) {
    case 'whoami':
      return { pid: process.pid, ppid: process.ppid, taskRoot: process.env.LAMBDA_TASK_ROOT, tmp: tmpdir(), env: { ...process.env } };
    case 'read':
      return attempt(() => readFileSync(path, 'latin1'));
    case 'list':
      return attempt(() => readdirSync(path));
    case 'write':
      return attempt(() => writeFileSync(path, text ?? 'planted'));
    case 'tmp':
      return attempt(() => {
        writeFileSync(join(tmpdir(), 'note.txt'), text);
        return readFileSync(join(tmpdir(), 'note.txt'), 'utf8');
      });
    case 'exec':
      return attempt(() => execFileSync('/bin/cat', [path], { encoding: 'latin1' }));
  }
  throw new Error('unknown op ' + op);
};
`;

let root: string;
let dataDir: string;
let cloud: CloudProcess;
let lambda: LambdaClient;

const probe = async (FunctionName: string, event: Record<string, unknown>) =>
  payloadOf(await lambda.send(new InvokeCommand({ FunctionName, Payload: JSON.stringify(event) })));

beforeAll(async () => {
  // The data folder sits in a "type": "module" package, as the default one does in the workbook's repository.
  root = mkdtempSync(join(tmpdir(), 'lambda-sandbox-'));
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'learner-project', type: 'module' }));
  dataDir = join(root, 'data');
  mkdirSync(dataDir);
  cloud = await startCloudProcess(dataDir, PLANTED);
  const config = { endpoint: cloud.url, region: 'us-east-1', credentials: TEST_CREDENTIALS };
  lambda = new LambdaClient(config);
  const role = await createLambdaRole({ clientConfig: config }, 'sandbox-role');
  const probeFiles = { 'index.mjs': PROBE, 'secret.txt': 'only for this function' };
  await Promise.all([
    deployFunction(lambda, { FunctionName: 'alpha', Role: role, Handler: 'index.handler', files: probeFiles }),
    deployFunction(lambda, { FunctionName: 'beta', Role: role, Handler: 'index.handler', files: probeFiles }),
    deployFunction(lambda, {
      FunctionName: 'plain-cjs',
      Role: role,
      Handler: 'index.handler',
      files: { 'index.js': "const { join } = require('node:path');\nexports.handler = async (event) => ({ style: typeof module, joined: join('a', event.name) });\n" },
    }),
    deployFunction(lambda, {
      FunctionName: 'dot-mjs',
      Role: role,
      Handler: 'app.handler',
      files: { 'app.mjs': "export const handler = async () => ({ style: typeof module, url: import.meta.url.endsWith('/app.mjs') });\n" },
    }),
    deployFunction(lambda, {
      FunctionName: 'type-module',
      Role: role,
      Handler: 'src/index.handler',
      files: {
        'package.json': JSON.stringify({ type: 'module' }),
        'src/index.js': "import { basename } from 'node:path';\nexport const handler = async () => ({ style: typeof module, file: basename(new URL(import.meta.url).pathname) });\n",
      },
    }),
  ]);
}, 60_000);

afterAll(async () => {
  await cloud?.kill('SIGTERM');
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("the local cloud's own secrets", () => {
  it('are in the environment the cloud process was started with, so the probes below mean something', () => {
    const environ = readFileSync(`/proc/${cloud.child.pid}/environ`, 'latin1');
    expect(environ).toContain(`AWS_SECRET_ACCESS_KEY=${PLANTED.AWS_SECRET_ACCESS_KEY}`);
  });

  it('never reach a handler: not in process.env, not through /proc/PPID/environ, not through a child process', async () => {
    const me = await probe('alpha', { op: 'whoami' });
    expect(me.ppid).toBe(cloud.child.pid);
    const leaked = Object.entries(me.env as Record<string, string>).filter(([, value]) => Object.values(PLANTED).includes(value));
    expect(leaked).toEqual([]);
    expect(me.env.AWS_ACCESS_KEY_ID).toMatch(/^ASIA/);
    expect(me.env).not.toHaveProperty('GITHUB_TOKEN');
    expect(me.env).not.toHaveProperty('NODE_AUTH_TOKEN');

    expect(await probe('alpha', { op: 'read', path: `/proc/${me.ppid}/environ` })).toEqual({ ok: false, code: 'ERR_ACCESS_DENIED' });
    expect(await probe('alpha', { op: 'read', path: '/proc/self/environ' })).toEqual({ ok: false, code: 'ERR_ACCESS_DENIED' });
    expect(await probe('alpha', { op: 'exec', path: `/proc/${me.ppid}/environ` })).toEqual({ ok: false, code: 'ERR_ACCESS_DENIED' });
  });

  it("a handler cannot read the data folder (the cloud's state, other functions' zips)", async () => {
    expect(await probe('alpha', { op: 'list', path: dataDir })).toEqual({ ok: false, code: 'ERR_ACCESS_DENIED' });
    expect(await probe('alpha', { op: 'list', path: join(dataDir, 'lambda', 'code', 'beta') })).toEqual({ ok: false, code: 'ERR_ACCESS_DENIED' });
  });
});

describe('functions are kept apart', () => {
  it("a handler cannot read or write another function's task folder", async () => {
    const beta = await probe('beta', { op: 'whoami' });
    const alphaSecret = await probe('alpha', { op: 'read', path: join(beta.taskRoot, 'secret.txt') });
    expect(alphaSecret).toEqual({ ok: false, code: 'ERR_ACCESS_DENIED' });
    const planted = join(beta.taskRoot, 'planted.js');
    expect(await probe('alpha', { op: 'write', path: planted })).toEqual({ ok: false, code: 'ERR_ACCESS_DENIED' });
    expect(existsSync(planted)).toBe(false);
    // Its own code it reads, as on Lambda; but /var/task is read-only there, and so is the task folder here.
    expect(await probe('beta', { op: 'read', path: join(beta.taskRoot, 'secret.txt') })).toEqual({ ok: true, value: 'only for this function' });
    expect(await probe('beta', { op: 'write', path: join(beta.taskRoot, 'index.mjs') })).toEqual({ ok: false, code: 'ERR_ACCESS_DENIED' });
  });

  it("a handler cannot read another function's credentials from its worker's environment", async () => {
    const beta = await probe('beta', { op: 'whoami' });
    expect(beta.env.AWS_SECRET_ACCESS_KEY).toEqual(expect.any(String));
    // The test itself (not sandboxed) sees them there: that is where a handler would look.
    expect(readFileSync(`/proc/${beta.pid}/environ`, 'latin1')).toContain(beta.env.AWS_SECRET_ACCESS_KEY);
    expect(await probe('alpha', { op: 'read', path: `/proc/${beta.pid}/environ` })).toEqual({ ok: false, code: 'ERR_ACCESS_DENIED' });
    const alpha = await probe('alpha', { op: 'whoami' });
    expect(alpha.env.AWS_SECRET_ACCESS_KEY).not.toBe(beta.env.AWS_SECRET_ACCESS_KEY);
  });

  it('each execution environment has its own /tmp, which only it may write and which goes with it', async () => {
    const alpha = await probe('alpha', { op: 'whoami' });
    const beta = await probe('beta', { op: 'whoami' });
    expect(alpha.tmp).not.toBe(beta.tmp);
    expect(await probe('alpha', { op: 'tmp', text: 'alpha was here' })).toEqual({ ok: true, value: 'alpha was here' });
    expect(await probe('beta', { op: 'read', path: join(alpha.tmp, 'note.txt') })).toEqual({ ok: false, code: 'ERR_ACCESS_DENIED' });
    expect(await probe('beta', { op: 'write', path: join(alpha.tmp, 'note.txt') })).toEqual({ ok: false, code: 'ERR_ACCESS_DENIED' });
    expect(readFileSync(join(alpha.tmp, 'note.txt'), 'utf8')).toBe('alpha was here');
  });
});

describe('module formats, as Lambda decides them', () => {
  it('a plain index.js with exports.handler is CommonJS, even inside a "type": "module" project', async () => {
    expect(await probe('plain-cjs', { name: 'b' })).toEqual({ style: 'object', joined: join('a', 'b') });
    // Said above every task folder, so the outcome never hangs on the project's package.json being unreadable.
    expect(JSON.parse(readFileSync(join(dataDir, 'lambda', 'tasks', 'package.json'), 'utf8'))).toEqual({ type: 'commonjs' });
  });

  it('an .mjs handler is an ES module', async () => {
    expect(await probe('dot-mjs', {})).toEqual({ style: 'undefined', url: true });
  });

  it('a .js handler under the zip\'s own package.json "type": "module" is an ES module', async () => {
    expect(await probe('type-module', {})).toEqual({ style: 'undefined', file: 'index.js' });
  });
});

describe("the local cloud's environment", () => {
  const shell: NodeJS.ProcessEnv = {
    PATH: '/usr/bin:/bin',
    HOME: '/home/learner',
    LANG: 'en_GB.UTF-8',
    LC_ALL: 'en_GB.UTF-8',
    NODE_OPTIONS: '--max-old-space-size=2048',
    NO_COLOR: '1',
    LOCAL_CLOUD_ASYNC_RETRY_DELAYS: '1,2',
    ...PLANTED,
    AWS_PROFILE: 'production',
    DATABASE_PASSWORD: 'hunter2',
  };

  it('lib/localCloud.ts starts the background cloud with the allow-listed variables and its settings only', () => {
    const target = resolveTarget({ WORKBOOK_TARGET: 'local', LOCAL_CLOUD_PORT: '4599', LOCAL_CLOUD_DATA: '/tmp/lc', AWS_REGION: 'eu-west-1' });
    const env = localCloudEnvironment(target, shell);
    expect(env).toEqual({
      PATH: '/usr/bin:/bin',
      HOME: '/home/learner',
      LANG: 'en_GB.UTF-8',
      LC_ALL: 'en_GB.UTF-8',
      NODE_OPTIONS: '--max-old-space-size=2048',
      NO_COLOR: '1',
      LOCAL_CLOUD_ASYNC_RETRY_DELAYS: '1,2',
      LOCAL_CLOUD_PORT: '4599',
      LOCAL_CLOUD_DATA: target.localCloud!.dataDir,
      AWS_REGION: 'eu-west-1',
    });
  });

  it('a cloud started straight from a shell drops what the allow-list does not keep', () => {
    const env = { ...shell };
    const dropped = dropForeignVariables(env);
    expect(dropped.sort()).toEqual(['AWS_ACCESS_KEY_ID', 'AWS_PROFILE', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'DATABASE_PASSWORD', 'GITHUB_TOKEN', 'NODE_AUTH_TOKEN']);
    expect(env).toEqual(cloudEnvironment(shell));
  });
});

describe('scratch folders', () => {
  it('a stopped cloud leaves no /tmp of its workers behind', async () => {
    const alpha = await probe('alpha', { op: 'whoami' });
    expect(existsSync(alpha.tmp)).toBe(true);
    await cloud.kill('SIGTERM');
    expect(existsSync(alpha.tmp)).toBe(false);
    expect(readdirSync(tmpdir()).filter((name) => alpha.tmp.endsWith(name))).toEqual([]);
  });
});
