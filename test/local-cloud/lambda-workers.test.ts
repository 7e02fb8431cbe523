import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvokeCommand, LambdaClient, UpdateFunctionConfigurationCommand, waitUntilFunctionUpdatedV2 } from '@aws-sdk/client-lambda';
import { startTestCloud, TEST_CREDENTIALS, type TestCloud } from '../support/cloud.ts';
import { startCloudProcess } from '../support/process.ts';
import { createLambdaRole, deployFunction, fixture, payloadOf, processExists } from '../fixtures/lambda/helpers.ts';

/**
 * Lambda's worker processes: warm reuse, concurrency up to a bound, retirement on update, no
 * orphans (on close, and when the local cloud is killed), persistence, and invoke latency.
 */
let cloud: TestCloud;
let lambda: LambdaClient;
let role: string;

const invoke = (FunctionName: string, payload: unknown = {}) =>
  lambda.send(new InvokeCommand({ FunctionName, Payload: JSON.stringify(payload) }));

/** Five sandboxes per function here, whatever this machine's default (lambda/runtime/sizing.ts). */
const SIZING = { perFunction: 5, spareIdleMs: 60_000, lastIdleMs: 600_000 };

beforeAll(async () => {
  cloud = await startTestCloud({ sandboxes: SIZING });
  lambda = new LambdaClient(cloud.clientConfig);
  role = await createLambdaRole(cloud, 'workers-role');
  await deployFunction(lambda, { FunctionName: 'sleeper', Role: role, Handler: 'index.sleep', files: { 'index.mjs': fixture('esm/index.mjs') }, Timeout: 5 });
});
afterAll(() => cloud?.close());

describe('workers', () => {
  it('warm invocations reuse the worker and are faster than the cold start', async () => {
    await deployFunction(lambda, { FunctionName: 'warm', Role: role, Handler: 'index.echo', files: { 'index.mjs': fixture('esm/index.mjs') } });
    let started = performance.now();
    const cold = payloadOf(await invoke('warm'));
    const coldMs = performance.now() - started;
    started = performance.now();
    const warm = payloadOf(await invoke('warm'));
    const warmMs = performance.now() - started;
    expect(warm.pid).toBe(cold.pid);
    expect(warm.invocations).toBe(cold.invocations + 1);
    expect(warm.loadedAt).toBe(cold.loadedAt);
    expect(warmMs).toBeLessThan(coldMs);
  });

  it('concurrent invocations run in parallel, in separate workers, up to the bound', async () => {
    const sleepers = (count: number, ms: number) =>
      Promise.all(Array.from({ length: count }, () => lambda.send(new InvokeCommand({ FunctionName: 'sleeper', Payload: JSON.stringify({ ms }) }))));
    // Five long ones at once need five workers. Cold starts are paced (one init at a time, so they
    // do not starve warm workers of CPU), so each sleeps long enough for all five to be started.
    const cold = (await sleepers(5, 2000)).map(payloadOf);
    expect(new Set(cold.map((r) => r.pid)).size).toBe(5);
    const runs = (await sleepers(5, 500)).map(payloadOf);
    expect(new Set(runs.map((r) => r.pid))).toEqual(new Set(cold.map((r) => r.pid)));
    // All five were sleeping at the same moment.
    expect(Math.max(...runs.map((r) => r.started))).toBeLessThan(Math.min(...runs.map((r) => r.ended)));

    // Beyond the bound, invocations queue for a free worker instead of failing.
    const many = await sleepers(14, 100);
    expect(many.every((out) => out.FunctionError === undefined)).toBe(true);
    expect(new Set(many.map((out) => payloadOf(out).pid)).size).toBeLessThanOrEqual(SIZING.perFunction);
  });

  it('a configuration update retires the old workers', async () => {
    const before = payloadOf(await invoke('sleeper', { ms: 1 })).pid;
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'sleeper', MemorySize: 256 }));
    await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 10 }, { FunctionName: 'sleeper' });
    const after = payloadOf(await invoke('sleeper', { ms: 1 })).pid;
    expect(after).not.toBe(before);
    expect(processExists(before)).toBe(false);
  });

  it('idle spares are reclaimed soon; the function keeps its last warm sandbox', async () => {
    const spareIdleMs = 150;
    const other = await startTestCloud({ sandboxes: { perFunction: 3, spareIdleMs, lastIdleMs: 600_000 } });
    try {
      const client = new LambdaClient(other.clientConfig);
      const otherRole = await createLambdaRole(other, 'reclaim-role');
      await deployFunction(client, { FunctionName: 'spares', Role: otherRole, Handler: 'index.sleep', files: { 'index.mjs': fixture('esm/index.mjs') } });
      // The live log says when each spare goes; listened to from the start, as the first may go before the last ends.
      const reclaims: string[] = [];
      const twoReclaimed = new Promise<void>((resolve) => {
        other.cloud.events.on('event', (event) => {
          if (event.action !== 'Reclaim') return;
          reclaims.push(event.detail ?? '');
          if (reclaims.length === 2) resolve();
        });
      });
      const outs = await Promise.all(
        Array.from({ length: 3 }, () => client.send(new InvokeCommand({ FunctionName: 'spares', Payload: '{"ms":1500}' }))),
      );
      const pids = outs.map((out) => payloadOf(out).pid);
      expect(new Set(pids).size).toBe(3);
      await Promise.race([
        twoReclaimed,
        new Promise((_, reject) => setTimeout(() => reject(new Error(`two reclaims expected, saw: ${reclaims.join('; ')}`)), 5000)),
      ]);
      expect(reclaims.every((detail) => /^spares: an idle sandbox \(worker \d+\) ended after 0 s idle$/.test(detail)), reclaims.join('; ')).toBe(true);
      const left = other.cloud.lambda.workerPids('spares');
      expect(left).toHaveLength(1);
      expect(pids.filter(processExists)).toEqual(left);
      // Well past the spare idle time, the last one is still there, and it is the one reused.
      await new Promise((resolve) => setTimeout(resolve, spareIdleMs * 4));
      expect(other.cloud.lambda.workerPids('spares')).toEqual(left);
      const again = payloadOf(await client.send(new InvokeCommand({ FunctionName: 'spares', Payload: '{"ms":1}' })));
      expect(again.pid).toBe(left[0]);
    } finally {
      await other.close();
    }
  });

  it('closing the local cloud leaves no worker behind', async () => {
    const other = await startTestCloud();
    const client = new LambdaClient(other.clientConfig);
    const otherRole = await createLambdaRole(other, 'close-role');
    await deployFunction(client, { FunctionName: 'a', Role: otherRole, Handler: 'index.sleep', files: { 'index.mjs': fixture('esm/index.mjs') } });
    const outs = await Promise.all(
      Array.from({ length: 3 }, () => client.send(new InvokeCommand({ FunctionName: 'a', Payload: '{"ms":50}' }))),
    );
    const pids = outs.map((out) => payloadOf(out).pid);
    // One more, left running while the cloud closes.
    void client.send(new InvokeCommand({ FunctionName: 'a', Payload: '{"ms":2000}' })).catch(() => undefined);
    expect(pids.every(processExists)).toBe(true);
    await other.close();
    expect(pids.filter(processExists)).toEqual([]);
    expect(other.cloud.lambda.workerPids('a')).toEqual([]);
  });

  it('workers end when the local cloud process is killed outright (SIGKILL)', async () => {
    const dataDir = join(cloud.dataDir, '..', `lambda-sigkill-${process.pid}`);
    const killed = await startCloudProcess(dataDir);
    try {
      const config = { endpoint: killed.url, region: 'us-east-1', credentials: TEST_CREDENTIALS };
      const client = new LambdaClient(config);
      const killedRole = await createLambdaRole({ clientConfig: config }, 'sigkill-role');
      await deployFunction(client, { FunctionName: 'orphan', Role: killedRole, Handler: 'index.echo', files: { 'index.mjs': fixture('esm/index.mjs') } });
      const pid = payloadOf(await client.send(new InvokeCommand({ FunctionName: 'orphan' }))).pid;
      expect(processExists(pid)).toBe(true);
      await killed.kill('SIGKILL');
      // The worker notices its IPC channel close and exits on its own; nothing better to wait on than its pid.
      const deadline = Date.now() + 5000;
      while (processExists(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(processExists(pid)).toBe(false);
    } finally {
      await killed.kill();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('warm latency: p50 over 200 invocations (printed)', async () => {
    const coldStart = performance.now();
    await deployFunction(lambda, { FunctionName: 'bench', Role: role, Handler: 'index.echo', files: { 'index.mjs': fixture('esm/index.mjs') } });
    const deployed = performance.now();
    await invoke('bench');
    const coldMs = performance.now() - deployed;
    const times: number[] = [];
    for (let i = 0; i < 200; i++) {
      const started = performance.now();
      await invoke('bench', { i });
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    const p50 = times[100];
    const p99 = times[198];
    console.log(
      `lambda invoke latency: cold ${coldMs.toFixed(1)} ms (deploy ${(deployed - coldStart).toFixed(1)} ms); ` +
        `warm p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms over 200 invocations`,
    );
    expect(p50).toBeLessThan(coldMs);
  });
});

describe('restart', () => {
  it('functions survive a restart on the same data folder and run again', async () => {
    const dataDir = join(cloud.dataDir, '..', `lambda-restart-${process.pid}`);
    const first = await startTestCloud({ dataDir });
    try {
      const client = new LambdaClient(first.clientConfig);
      const firstRole = await createLambdaRole(first, 'restart-role');
      await deployFunction(client, { FunctionName: 'durable', Role: firstRole, Handler: 'index.echo', files: { 'index.mjs': fixture('esm/index.mjs') } });
      expect(payloadOf(await client.send(new InvokeCommand({ FunctionName: 'durable', Payload: '{"n":1}' }))).event).toEqual({ n: 1 });
    } finally {
      await first.close();
    }
    const second = await startTestCloud({ dataDir });
    try {
      const client = new LambdaClient(second.clientConfig);
      const out = await client.send(new InvokeCommand({ FunctionName: 'durable', Payload: '{"n":2}' }));
      expect(payloadOf(out).event).toEqual({ n: 2 });
    } finally {
      await second.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
