import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { startTestCloud } from '../support/cloud.ts';
import type { CloudEvent } from '../../local-cloud/cloud.ts';
import { NodeBinaries, runningNode, type NodeBinary } from '../../local-cloud/lambda/runtime/node-binary.ts';
import { permissionFlags } from '../../local-cloud/lambda/runtime/permissions.ts';
import { createLambdaRole, deployFunction, payloadOf } from '../fixtures/lambda/helpers.ts';

/**
 * A nodejsN.x function runs on Node N when the local cloud can find one (LOCAL_CLOUD_NODE_N, or
 * nodeN on PATH); otherwise on the local cloud's own Node, and the live log says why.
 */
const RUNNING = runningNode();
/** A major the running Node is not: the case where another binary is needed. */
const OTHER_MAJOR = RUNNING.major === 24 ? 22 : 24;
/** A real Node 24 for the end-to-end case: TEST_NODE_24 (what .ci/run provides), else node24 on PATH. */
const NODE_24 = process.env.TEST_NODE_24 || findOnPath('node24');

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'node-binary-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A stand-in executable that prints `output` whatever it is asked (as a Node would print its probe). */
function fake(name: string, output: string, mode = 0o755): string {
  const file = join(scratch, name);
  writeFileSync(file, `#!/bin/sh\nprintf '%s' '${output.replace(/'/g, `'\\''`)}'\n`);
  chmodSync(file, mode);
  return file;
}
const probeOutput = (version: string, flags: string[]) => JSON.stringify({ version, flags });
const running22: NodeBinary = { ...RUNNING, version: '22.9.0', major: 22 };

describe('choosing the Node for a runtime', () => {
  it('the running Node when its major is the runtime\'s; any other runtime string gets it too', async () => {
    const nodes = new NodeBinaries({ PATH: '' }, running22);
    expect(await nodes.forRuntime('nodejs22.x')).toBe(running22);
    expect(await nodes.forRuntime('python3.12')).toBe(running22);
    expect(await nodes.forRuntime('__proto__')).toBe(running22);
  });

  it('LOCAL_CLOUD_NODE_24 when it is a Node 24 with a permission model; its own flags, not the running Node\'s', async () => {
    const node24 = fake('node-24', probeOutput('24.1.0', ['--permission', '--disable-warning']));
    const nodes = new NodeBinaries({ LOCAL_CLOUD_NODE_24: node24, PATH: '' }, running22);
    const chosen = await nodes.forRuntime('nodejs24.x');
    expect(chosen).toMatchObject({ path: node24, version: '24.1.0', major: 24, source: `LOCAL_CLOUD_NODE_24="${node24}"` });
    expect(chosen.fallback).toBeUndefined();
    expect(chosen.features).toEqual({ permissionFlag: '--permission', allowNet: false, disableWarning: true });
    // Asked again: the same choice, not a second probe.
    expect(await nodes.forRuntime('nodejs24.x')).toBe(chosen);
  });

  it('node24 on PATH when LOCAL_CLOUD_NODE_24 is not set', async () => {
    const folder = join(scratch, 'bin');
    mkdirSync(folder, { recursive: true });
    const node24 = join(folder, 'node24');
    writeFileSync(node24, `#!/bin/sh\nprintf '%s' '${probeOutput('24.3.1', ['--permission', '--allow-net'])}'\n`);
    chmodSync(node24, 0o755);
    const nodes = new NodeBinaries({ PATH: ['relative/bin', join(scratch, 'nothing'), folder].join(delimiter) }, running22);
    expect(await nodes.forRuntime('nodejs24.x')).toMatchObject({ path: node24, version: '24.3.1', source: `node24 on PATH (${node24})` });
  });

  it('an unusable setting falls back to the running Node, saying why and how to provide Node 24', async () => {
    const huge = `/${'x'.repeat(10_000)}`;
    const cases: [string, string][] = [
      [fake('node-20', probeOutput('20.19.0', ['--experimental-permission'])), 'is Node 20.19.0, not Node 24'],
      [fake('node-24-unfenced', probeOutput('24.0.0', [])), 'is Node 24.0.0, which has no permission model'],
      [fake('not-node', 'hello'), 'did not run as Node.js'],
      [fake('proto', '{"__proto__":{"version":"24.0.0"},"flags":[]}'), 'did not run as Node.js'],
      [fake('not-executable', probeOutput('24.1.0', ['--permission']), 0o644), 'is not executable'],
      [join(scratch, 'missing'), 'does not exist'],
      [scratch, 'is not a file'],
      ['node24', 'is not an absolute path'],
      ['__proto__', 'is not an absolute path'],
      [huge, 'cannot be used (ENAMETOOLONG)'],
    ];
    for (const [setting, why] of cases) {
      const chosen = await new NodeBinaries({ LOCAL_CLOUD_NODE_24: setting, PATH: '' }, running22).forRuntime('nodejs24.x');
      expect(chosen.path, setting.slice(0, 80)).toBe(running22.path);
      expect(chosen.version).toBe('22.9.0');
      expect(chosen.fallback, setting.slice(0, 80)).toContain(why);
      expect(chosen.fallback).toContain('npm install --prefix ~/.node24 node@24');
      expect(chosen.fallback).toContain('LOCAL_CLOUD_NODE_24=');
      expect(chosen.fallback!.length).toBeLessThan(1000); // a huge setting is quoted cut short
    }
    const none = await new NodeBinaries({ PATH: '' }, running22).forRuntime('nodejs24.x');
    expect(none.fallback).toMatch(/^no Node 24 was found \(neither LOCAL_CLOUD_NODE_24 nor node24 on PATH\)\. /);
  });

  it('the permission flags follow the chosen binary', () => {
    const grants = { read: ['/task'], write: ['/tmp/x'], workers: true };
    expect(permissionFlags(grants, { permissionFlag: '--experimental-permission', allowNet: false, disableWarning: true })).toEqual([
      '--experimental-permission',
      '--allow-fs-read=/task',
      '--allow-fs-write=/tmp/x',
      '--allow-worker',
      '--disable-warning=ExperimentalWarning',
      '--disable-warning=SecurityWarning',
    ]);
    expect(permissionFlags({ ...grants, workers: false }, { permissionFlag: '--permission', allowNet: true, disableWarning: false })).toEqual([
      '--permission',
      '--allow-fs-read=/task',
      '--allow-fs-write=/tmp/x',
      '--allow-net',
    ]);
  });
});

describe('functions on the Node of their runtime', () => {
  const settings = ['LOCAL_CLOUD_NODE_22', 'LOCAL_CLOUD_NODE_24'];
  const saved = Object.fromEntries(settings.map((name) => [name, process.env[name]]));
  afterAll(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  /** Reports the Node it runs on, and whether the sandbox still keeps it out of the data folder. */
  const handler = `
    import { readdirSync } from 'node:fs';
    export const handler = async (event) => {
      let dataFolder;
      try { readdirSync(event.dataDir); dataFolder = 'readable'; } catch (err) { dataFolder = err.code; }
      return { version: process.version, dataFolder };
    };`;

  /** A fresh cloud (each picks its Nodes once), one function of `runtime`, invoked twice. */
  async function runOn(runtime: 'nodejs22.x' | 'nodejs24.x') {
    const cloud = await startTestCloud();
    const events: CloudEvent[] = [];
    cloud.cloud.events.on('event', (event) => events.push(event));
    try {
      const lambda = new LambdaClient(cloud.clientConfig);
      const role = await createLambdaRole(cloud, 'node-role');
      await deployFunction(lambda, { FunctionName: 'which-node', Role: role, Runtime: runtime, Handler: 'index.handler', files: { 'index.mjs': handler } });
      const invoke = () => lambda.send(new InvokeCommand({ FunctionName: 'which-node', Payload: JSON.stringify({ dataDir: cloud.dataDir }), LogType: 'Tail' }));
      const first = await invoke();
      const second = await invoke();
      return {
        results: [payloadOf(first), payloadOf(second)] as { version: string; dataFolder: string }[],
        coldTail: Buffer.from(first.LogResult!, 'base64').toString('utf8'),
        notes: events.filter((e) => e.service === 'lambda' && e.action === 'Runtime' && e.detail?.startsWith(`${runtime} `)),
      };
    } finally {
      await cloud.close();
    }
  }

  it('nodejs24.x runs on the Node 24 that LOCAL_CLOUD_NODE_24 names, fenced in by that Node\'s permission model', async (ctx) => {
    if (!NODE_24 || !existsSync(NODE_24)) ctx.skip('no Node 24 here: set TEST_NODE_24 to one (npm install --prefix /tmp/node24 node@24), as .ci/run does');
    process.env.LOCAL_CLOUD_NODE_24 = NODE_24;
    const { results, coldTail, notes } = await runOn('nodejs24.x');
    for (const result of results) {
      expect(result.version).toMatch(/^v24\./);
      expect(result.dataFolder).toBe('ERR_ACCESS_DENIED');
    }
    const version = results[0].version;
    expect(coldTail).toContain(`INIT_START Runtime Version: nodejs:24.local-node-${version}\t`);
    expect(notes).toHaveLength(1);
    expect(notes[0].detail).toBe(`nodejs24.x functions run on Node ${version.slice(1)} (LOCAL_CLOUD_NODE_24="${NODE_24}")`);
    expect(notes[0].error).toBeUndefined();
  });

  it(`without a Node ${OTHER_MAJOR}, nodejs${OTHER_MAJOR}.x runs on the local cloud's own Node, and the live log says so once, with the fix`, async () => {
    const runtime = `nodejs${OTHER_MAJOR}.x` as const;
    const missing = join(scratch, 'no-such-node');
    process.env[`LOCAL_CLOUD_NODE_${OTHER_MAJOR}`] = missing;
    const { results, coldTail, notes } = await runOn(runtime);
    for (const result of results) expect(result).toEqual({ version: process.version, dataFolder: 'ERR_ACCESS_DENIED' });
    expect(coldTail).toContain(`INIT_START Runtime Version: nodejs:${OTHER_MAJOR}.local-node-${process.version}\t`);
    expect(notes).toHaveLength(1);
    expect(notes[0].detail).toBe(`${runtime} functions run on Node ${process.versions.node} (the local cloud's own Node), not on Node ${OTHER_MAJOR}`);
    expect(notes[0].error).toContain(`LOCAL_CLOUD_NODE_${OTHER_MAJOR}="${missing}" does not exist.`);
    expect(notes[0].error).toContain(`npm install --prefix ~/.node${OTHER_MAJOR} node@${OTHER_MAJOR}`);
  });
});

function findOnPath(name: string): string | undefined {
  for (const folder of (process.env.PATH ?? '').split(delimiter)) {
    if (folder && existsSync(join(folder, name))) return join(folder, name);
  }
  return undefined;
}
