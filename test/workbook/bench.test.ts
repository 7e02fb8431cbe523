import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseBenchOptions, DEFAULT_OPTIONS } from '../../scripts/bench/options.ts';
import type { BenchResults } from '../../scripts/bench/results.ts';
import { runScript } from './support.ts';

const scratch = mkdtempSync(join(tmpdir(), 'bench-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// No learner cloud to lean on: the bench must start its own (as the tour does).
// Idle spares reclaimed after 1 s, so the settled memory is read without waiting 30 s.
const env = { ...process.env, NO_COLOR: '1', LOCAL_CLOUD_PORT: '1', AWS_ENDPOINT_URL: 'http://127.0.0.1:1', LOCAL_CLOUD_SPARE_SANDBOX_IDLE_SECONDS: '1' };

describe('npm run bench', () => {
  it('runs a tiny benchmark on its own cloud and writes every figure as JSON', { timeout: 90_000 }, async () => {
    const file = join(scratch, 'bench.json');
    const result = await runScript('bench', env, '--rate', '20', '--seconds', '2', '--warmup', '1', '--json', file);
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toMatch(/stage throttle lifted for the measurement/);
    expect(result.stdout).toMatch(/orders\/s end to end\s+[\d.]+ accepted, [\d.]+ recorded/);
    expect(result.stdout).toMatch(/lost \/ duplicated\s+0 \/ 0/);

    const r = JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
    const positive = (value: unknown) => expect(typeof value === 'number' && Number.isFinite(value) && value > 0, String(value)).toBe(true);
    expect(r.settings).toMatchObject({ rate: 20, seconds: 2, warmupSeconds: 1, concurrency: DEFAULT_OPTIONS.concurrency });
    expect(r.settings.stageThrottle).toMatch(/lifted/);
    expect(Number.isNaN(Date.parse(r.measuredAt))).toBe(false);
    positive(r.machine.cpus);
    expect(r.machine.loadAverageBefore).toHaveLength(3);
    expect(r.machine.loadAverageAfter).toHaveLength(3);
    positive(r.cloud.readyMs);
    expect(r.cloud.readySinceProcessStartMs).toBeGreaterThanOrEqual(r.cloud.readyMs);

    // 20/s for 2 s: 40 orders, every one accepted and recorded exactly once.
    expect(r.orders).toMatchObject({ sent: 40, accepted: 40, refused: 0, recorded: 40, lost: 0, duplicated: 0 });
    positive(r.orders.acceptedPerSecond);
    positive(r.orders.recordedPerSecond);

    const l = r.latencyMs.orderToRecord;
    for (const v of [l.p50, l.p95, l.p99, l.max, r.latencyMs.postToAnswer.p50, r.latencyMs.postToAnswer.p99]) positive(v);
    expect(l.p50).toBeLessThanOrEqual(l.p95);
    expect(l.p95).toBeLessThanOrEqual(l.p99);
    expect(l.p99).toBeLessThanOrEqual(l.max);

    const c = r.cpuMsPerOrder;
    for (const v of [c.main, c.sandboxes, c.loadGenerator]) positive(v);
    expect(c.total).toBeCloseTo(c.main + c.sandboxes + c.loadGenerator, 6);

    positive(r.rawPutItem.perSecond);
    positive(r.rawPutItem.puts);
    expect(r.rawPutItem.errors).toBe(0);
    expect(r.pipelineToRawRatio).toBeGreaterThan(0);
    expect(r.pipelineToRawRatio).toBeLessThanOrEqual(1);
    expect(r.pipelineToRawRatio).toBeCloseTo(r.orders.recordedPerSecond / r.rawPutItem.perSecond, 9);

    const m = r.memoryMb;
    for (const v of [m.peak, m.peakMain, m.peakSandboxes, m.idle, m.idleMain, m.idleSandboxes, m.sandboxes, m.mainAtReady]) positive(v);
    expect(m.peak).toBeGreaterThanOrEqual(m.idle);
    // Settled: one sandbox per function left (intake, monitor, recorder), and PSS below RSS (Node's code is shared).
    expect(m.settled.sandboxes).toBeLessThanOrEqual(3);
    for (const v of [m.settled.pss, m.settled.pssMain, m.settled.pssSandboxes, m.settled.rss]) positive(v);
    expect(m.settled.pss).toBeCloseTo(m.settled.pssMain + m.settled.pssSandboxes, 6);
    expect(m.settled.pss).toBeLessThan(m.settled.rss);
    expect(result.stdout).toMatch(/memory, settled\s+[\d,]+ MB PSS\s+main [\d,]+ \+ \d sandboxes [\d,]+ \(RSS [\d,]+ MB\); idle spares gone after [\d.]+ s/);
    expect(m.peak).toBeCloseTo(m.peakMain + m.peakSandboxes, 6);
    expect(m.idle).toBeCloseTo(m.idleMain + m.idleSandboxes, 6);
  });

  it('refuses a bad option before it starts anything', async () => {
    const result = await runScript('bench', env, '--rate', 'lots');
    expect(result.code).toBe(1);
    expect(result.output).toContain('--rate takes a number of orders per second, more than 0 to 10000; got "lots".');
    expect(result.output).not.toContain('local cloud ready');
  });
});

describe('the benchmark options', () => {
  it('has defaults, and takes each option', () => {
    expect(parseBenchOptions([])).toEqual({ rate: 100, seconds: 30, warmupSeconds: 5, concurrency: 64, jsonFile: '.workbook/bench.json' });
    expect(parseBenchOptions(['--rate', '12.5', '--seconds', '60', '--warmup', '0', '--concurrency', '8', '--json', 'out/b.json'])).toEqual({
      rate: 12.5,
      seconds: 60,
      warmupSeconds: 0,
      concurrency: 8,
      jsonFile: 'out/b.json',
    });
  });

  it.each([
    [['--rate', '0'], '--rate takes a number of orders per second, more than 0 to 10000; got "0".'],
    [['--rate', '-5'], '--rate takes a number of orders per second, more than 0 to 10000; got "-5".'],
    [['--rate', '1e3'], 'got "1e3"'],
    [['--rate', '0x10'], 'got "0x10"'],
    [['--rate', ''], 'got ""'],
    [['--rate', 'Infinity'], 'got "Infinity"'],
    [['--rate', '10001'], 'got "10001"'],
    [['--seconds', '0'], '--seconds takes a number of seconds of measured run, more than 0 to 3600; got "0".'],
    [['--seconds', '9'.repeat(400)], `got "${'9'.repeat(60)}"`],
    [['--warmup', '-1'], '--warmup takes a number of seconds of warm-up, from 0 to 600; got "-1".'],
    [['--concurrency', '2.5'], '--concurrency takes a whole number of open requests at most, from 1 to 1024; got "2.5".'],
    [['--concurrency', '0'], 'got "0"'],
    [['--json', ''], '--json needs a file path, not "".'],
    [['--json', 'a\0b'], '--json needs a file path'],
    [['--rate'], '--rate needs a value.'],
    [['--rate', '--seconds', '3'], '--rate needs a value.'],
    [['--__proto__', '1'], 'Unknown option "--__proto__".'],
    [['--constructor', '1'], 'Unknown option "--constructor".'],
    [['--toString', '1'], 'Unknown option "--toString".'],
    [['rate', '5'], 'Unknown option "rate".'],
    [['--orders', '5'], 'Unknown option "--orders".'],
  ])('refuses %j', (args, message) => {
    let error: Error | undefined;
    try {
      parseBenchOptions(args);
    } catch (err) {
      error = err as Error;
    }
    expect(error?.name).toBe('WorkbookError');
    expect(error?.message).toContain(message);
  });
});
