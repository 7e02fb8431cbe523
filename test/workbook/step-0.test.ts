import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { runScript } from './support.ts';

let cloud: TestCloud;
beforeAll(async () => {
  cloud = await startTestCloud();
});
afterAll(() => cloud.close());

describe('step 0: set up', () => {
  it('step:0 prints target, endpoint, region, identity and Node version', async () => {
    const result = await runScript('step:0', cloud.env);
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain('target:   local');
    expect(result.stdout).toContain(`endpoint: ${cloud.url}`);
    expect(result.stdout).toContain('region:   us-east-1');
    expect(result.stdout).toContain('identity: arn:aws:iam::000000000000:root (account 000000000000)');
    expect(result.stdout).toContain(`Node.js:  ${process.versions.node}`);
    expect(result.stdout).toContain('npm run check:step-0');
  });

  it('check:step-0 passes', async () => {
    const result = await runScript('check:step-0', cloud.env);
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain('Step 0 passes');
    expect(result.stdout).toContain('npm run step:1');
  });

  it('a bad setting fails with what to change', async () => {
    const noRegion = await runScript('check:step-0', { ...cloud.env, WORKBOOK_TARGET: 'aws', AWS_REGION: '', AWS_DEFAULT_REGION: '' });
    expect(noRegion.code).toBe(1);
    expect(noRegion.stdout).toContain('WORKBOOK_TARGET=aws needs a region');
    expect(noRegion.stdout).toContain('AWS_REGION=');

    const badPrefix = await runScript('check:step-0', { ...cloud.env, WORKBOOK_PREFIX: 'Not_OK' });
    expect(badPrefix.code).toBe(1);
    expect(badPrefix.stdout).toMatch(/✘ WORKBOOK_PREFIX can start resource names\n.*WORKBOOK_PREFIX is "Not_OK"/);
  });
});

describe('when the local cloud is not running', () => {
  let dataDir: string;
  let pid: number | undefined;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'workbook-autostart-'));
  });
  afterAll(() => {
    if (pid) process.kill(pid); // the cloud the step started in the background
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(`${dataDir}.log`, { force: true });
  });

  it('a step starts it in the background and says how to stop and watch it', async () => {
    const port = await freePort();
    const env = { ...cloud.env, LOCAL_CLOUD_PORT: String(port), LOCAL_CLOUD_DATA: dataDir };
    const result = await runScript('step:0', env);
    pid = parseInt(readFileSync(join(dataDir, 'local-cloud.pid'), 'utf8'), 10); // its first line
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain(`Started the local cloud in the background at http://127.0.0.1:${port} (pid ${pid}`);
    expect(result.stdout).toContain(`kill ${pid}`);
    expect(result.stdout).toContain('npm run local');
    expect(readFileSync(`${dataDir}.log`, 'utf8')).toContain('local cloud ready');
    expect(result.stdout).toContain('identity: arn:aws:iam::000000000000:root');
    // It outlives the step, for the next commands.
    const token = readFileSync(join(dataDir, 'control-token'), 'utf8').trim();
    const health = await fetch(`http://127.0.0.1:${port}/_localcloud/health`, { headers: { 'x-local-cloud-token': token } }).then((r) => r.json());
    expect(health).toMatchObject({ status: 'ready', pid });
  });

  it('a port taken by something else gets a clear way out', async () => {
    const other: Server = createServer((_req, res) => res.writeHead(404).end('not here'));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      const port = (other.address() as AddressInfo).port;
      const result = await runScript('step:0', { ...cloud.env, LOCAL_CLOUD_PORT: String(port), LOCAL_CLOUD_DATA: dataDir });
      expect(result.code).toBe(1);
      expect(result.stdout).toContain(`Port ${port} answers, but not as the workbook's local cloud`);
      expect(result.stdout).toContain(`AWS_ENDPOINT_URL=http://127.0.0.1:${port}`);
      expect(result.stdout).toContain('LOCAL_CLOUD_PORT=');
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
