/**
 * `npm run bench`: how fast the finished pipeline runs on the embedded local cloud, and what it
 * costs. A fresh cloud of its own in this process (state in a temporary folder, as the tour
 * has), solutions 1–7 deployed, the stage's throttle lifted, a warm-up, then a sustained run of
 * orders over HTTP at a steady rate; then a burst of raw PutItem calls for comparison. Prints one
 * table and writes the same as JSON.
 *
 *   npm run bench -- [--rate 100] [--seconds 30] [--warmup 5] [--concurrency 64] [--json .workbook/bench.json]
 *
 * Where the CPU goes is read from each process's own accounting: this process (the local cloud)
 * from process.cpuUsage(), the Lambda sandboxes from /proc, the load generator (a process of its
 * own, load-generator.ts) from its own process.cpuUsage().
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { GetRestApisCommand, UpdateStageCommand } from '@aws-sdk/client-api-gateway';
import { CreateTableCommand, DeleteTableCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { startLocalCloud, type LocalCloud } from '../local-cloud/server.ts';
import type { CloudEvent } from '../local-cloud/cloud.ts';
import { RealismProfile } from '../local-cloud/realism/profile.ts';
import { realismEnvironment } from '../local-cloud/realism/settings.ts';
import { invokeUrl } from '../lib/api.ts';
import { apiGatewayClient, documentClient, dynamoDbClient } from '../lib/clients.ts';
import { displayPath, loadDotEnv } from '../lib/config.ts';
import { latencyReport } from '../lib/latency-report.ts';
import { LiveLine } from '../lib/live-line.ts';
import { runMain } from '../lib/main.ts';
import { names } from '../lib/names.ts';
import { readTimeWindow } from '../lib/order-events.ts';
import { bold, captureOutput, duration, fail, heading, ok, say } from '../lib/output.ts';
import { runStep } from '../lib/steps.ts';
import { LoadGenerator } from './bench/load-client.ts';
import { plannedOrders, type OrdersResult } from './bench/load-messages.ts';
import { parseBenchOptions, type BenchOptions } from './bench/options.ts';
import { requireProc, rssBytesOf } from './bench/proc.ts';
import { ProcessMeter, type PssReading, type RssReading } from './bench/process-meter.ts';
import { waitUntilRecorded } from './bench/recorded.ts';
import { printResults, type BenchResults } from './bench/results.ts';

/** What the stage's throttle is raised to: far above anything this machine can send. */
const LIFTED_LIMIT = 100_000;
/** Open PutItem calls in the raw burst. */
const RAW_CONCURRENCY = 32;
/** The drain gives up once the table has not grown for this long. */
const STALLED_MS = 30_000;

const mb = (bytes: number) => bytes / (1024 * 1024);
const totalMb = (r: RssReading) => mb(r.mainBytes + r.sandboxesBytes);

void runMain(async () => {
  const options = parseBenchOptions(process.argv.slice(2));
  requireProc();
  heading(
    `Benchmark: ${options.rate} orders/s for ${options.seconds} s` +
      `${options.warmupSeconds ? ` after ${options.warmupSeconds} s of warm-up` : ', cold'} on a fresh local cloud`,
  );
  const dataDir = mkdtempSync(join(tmpdir(), 'workbook-bench-'));
  let cloud: LocalCloud | undefined;
  let generator: LoadGenerator | undefined;
  let meter: ProcessMeter | undefined;
  try {
    const startedAt = performance.now();
    cloud = await startLocalCloud({ port: 0, dataDir, region: 'us-east-1', realism: RealismProfile.off() });
    const readyMs = performance.now() - startedAt;
    const readySinceProcessStartMs = performance.now();
    const mainAtReady = rssBytesOf(process.pid) ?? process.memoryUsage.rss();
    aimAt(cloud, dataDir);
    ok(`local cloud ready at ${cloud.url} in ${duration(readyMs)} (${duration(readySinceProcessStartMs)} since the process started)`);

    const live = new LiveLine();
    const deployStarted = performance.now();
    for (const step of [1, 2, 3, 4, 5, 6, 7]) {
      live.update(`deploying solution ${step} of 7…`);
      const { result, error, lines } = await captureOutput(() => runStep('solutions', step));
      if (result !== 0) throw new Error(`solution ${step} failed:\n${lines.join('\n')}${error ? `\n${String(error)}` : ''}`);
    }
    const url = await liftStageThrottle();
    live.done(`deployed solutions 1–7 in ${duration(performance.now() - deployStarted)}`);
    ok(`stage throttle lifted for the measurement: step 3 sets 5 requests/s (bursts of 10); raised to ${LIFTED_LIMIT.toLocaleString('en-US')}`);

    const n = names();
    const lambda = cloud.cloud.lambda;
    meter = new ProcessMeter(() => [n.intakeFunction, n.monitorFunction, n.recorderFunction].flatMap((f) => lambda.workerPids(f)));
    meter.start();
    generator = await LoadGenerator.start();
    const db = documentClient();
    // Watching costs the cloud nothing while orders flow: the recorder's finished invocations
    // (this process's own event feed) drive the progress line; the table is counted at the end.
    const isRecorderRun = (event: CloudEvent) =>
      event.service === 'lambda' && event.action === 'Invocation' && event.detail?.startsWith(`${n.recorderFunction} (`) === true;
    let recorderRuns = 0;
    cloud.cloud.events.on('event', (event) => {
      if (isRecorderRun(event)) recorderRuns++;
    });

    /** Sends orders for `seconds` and waits until the table has them all (or stops growing). */
    const runOrders = async (label: string, seconds: number) => {
      const from = new Date();
      let sent = 0;
      let accepted = 0;
      let recorded = 0;
      const show = (what: string) => {
        const rss = meter!.rss();
        live.update(`${what} · sent ${sent}/${planned} · accepted ${accepted} · recorded ${recorded} · ${rss.sandboxes} sandboxes · RSS ${totalMb(rss).toFixed(0)} MB`);
      };
      const planned = plannedOrders(options.rate, seconds);
      const phaseStarted = performance.now();
      const runsBefore = recorderRuns;
      const sending = generator!.orders({ url, rate: options.rate, seconds, concurrency: options.concurrency, label: `bench-${label}` }, (p) => {
        sent = p.sent;
        accepted = p.accepted;
        recorded = recorderRuns - runsBefore;
        show(`${label} ${((performance.now() - phaseStarted) / 1000).toFixed(0)} s (${seconds} s planned)`);
      });
      const result = await sending;
      accepted = result.acceptedOrderIds.length;
      await untilCloudSays(cloud!.cloud, isRecorderRun, () => recorderRuns - runsBefore >= accepted, { timeoutMs: STALLED_MS, restartOnEvent: true });
      recorded = await waitUntilRecorded({
        db,
        tableName: n.orderEventsTable,
        from,
        expected: accepted,
        stalledMs: STALLED_MS,
        onCount: (count) => {
          recorded = count;
          show(`${label}: waiting for the last records`);
        },
      });
      live.done(`${label}: ${result.sent} orders sent, ${accepted} accepted, ${recorded} recorded in ${duration(performance.now() - phaseStarted)}`);
      return { from, result };
    };

    meter.resetPeak();
    if (options.warmupSeconds > 0) await runOrders('warm-up', options.warmupSeconds);

    const loadAverageBefore = loadavg();
    const measuredAt = new Date();
    const cpuBefore = meter.cpu();
    const { from, result } = await runOrders('run', options.seconds);
    const cpuAfter = meter.cpu();
    const loadAverageAfter = loadavg();
    const idle = meter.rss(); // first: the peak includes this last reading
    const peak = meter.peakRss();

    // The same endpoint, the same SDK, nothing else going on: what one write costs alone.
    const raw = await rawPutItemRate(generator, `${n.prefix}-bench-raw`, Math.min(3, options.seconds), live);
    const settled = await settle(cloud, meter, [n.intakeFunction, n.monitorFunction, n.recorderFunction], live);

    const results = await tally({
      options,
      from,
      result,
      tableName: n.orderEventsTable,
      db,
      measuredAt,
      loadAverageBefore,
      loadAverageAfter,
      cpu: { mainMs: cpuAfter.mainMs - cpuBefore.mainMs, sandboxesMs: cpuAfter.sandboxesMs - cpuBefore.sandboxesMs },
      raw,
      peak,
      idle,
      settled,
      mainAtReady,
      readyMs,
      readySinceProcessStartMs,
    });

    say();
    printResults(results);
    say();
    say('  The main process runs the whole local cloud (HTTP, every service, dynalite) and also this benchmark\'s');
    say('  own watching (/proc reads, the progress line, the table counted once orders stop); those cannot be told apart.');
    say('  The load generator runs in a process of its own, so its CPU is its own.');
    const file = resolve(options.jsonFile);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    say(`  Written to ${displayPath(file)}.`);

    const { lost, duplicated, refused } = results.orders;
    if (lost === 0 && duplicated === 0 && refused === 0) {
      ok(bold(`every accepted order recorded once: ${results.orders.recorded} orders`));
      return 0;
    }
    fail(bold(`${lost} lost, ${duplicated} duplicated, ${refused} refused`));
    for (const refusal of result.refusals) say(`    │ ${refusal}`);
    return 1;
  } finally {
    meter?.stop();
    await generator?.stop();
    await cloud?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

/**
 * Resolves once `finished()` holds — checked now and at each event of the cloud's feed that
 * `relevant` accepts — or after `timeoutMs`, counted from the last such event when
 * `restartOnEvent` (a wait for progress that gives up once progress stops).
 */
function untilCloudSays(
  cloud: LocalCloud['cloud'],
  relevant: (event: CloudEvent) => boolean,
  finished: () => boolean,
  options: { timeoutMs: number; restartOnEvent?: boolean; onEvent?: () => void },
): Promise<void> {
  if (finished()) return Promise.resolve();
  return new Promise((resolve) => {
    let timer = setTimeout(done, options.timeoutMs);
    function done() {
      clearTimeout(timer);
      cloud.events.off('event', onEvent);
      resolve();
    }
    function onEvent(event: CloudEvent) {
      if (!relevant(event)) return;
      if (finished()) return done();
      options.onEvent?.();
      if (options.restartOnEvent) {
        clearTimeout(timer);
        timer = setTimeout(done, options.timeoutMs);
      }
    }
    cloud.events.on('event', onEvent);
  });
}

/** Points every client in this process (and the load generator, which inherits the environment) at the bench's cloud. */
function aimAt(cloud: LocalCloud, dataDir: string): void {
  loadDotEnv(); // first, so that its values cannot come back over these
  process.env.WORKBOOK_TARGET = 'local';
  Object.assign(process.env, realismEnvironment(RealismProfile.off()));
  delete process.env.LOCAL_CLOUD_REALISM_SCALE;
  process.env.LOCAL_CLOUD_PORT = String(cloud.port);
  process.env.AWS_REGION = 'us-east-1';
  process.env.LOCAL_CLOUD_DATA = dataDir;
  delete process.env.AWS_ENDPOINT_URL;
  delete process.env.WORKBOOK_PREFIX;
}

/** Raises the stage's throttle (step 3 keeps it at a learner's pace); returns the URL orders go to. */
async function liftStageThrottle(): Promise<string> {
  const n = names();
  const api = (await apiGatewayClient().send(new GetRestApisCommand({}))).items?.find((a) => a.name === n.api);
  if (!api?.id) throw new Error(`solution 3 made no REST API named ${n.api}`);
  await apiGatewayClient().send(
    new UpdateStageCommand({
      restApiId: api.id,
      stageName: n.apiStage,
      patchOperations: [
        { op: 'replace', path: '/*/*/throttling/rateLimit', value: String(LIFTED_LIMIT) },
        { op: 'replace', path: '/*/*/throttling/burstLimit', value: String(LIFTED_LIMIT) },
      ],
    }),
  );
  return invokeUrl(api.id, n.apiStage, '/orders');
}

/** PutItem calls per second into a scratch table, from the load generator, for `seconds`. */
async function rawPutItemRate(generator: LoadGenerator, table: string, seconds: number, live: LiveLine) {
  const ddb = dynamoDbClient();
  live.update(`raw PutItem for ${seconds} s into ${table}…`);
  await ddb.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    }),
  );
  await waitUntilTableExists({ client: ddb, maxWaitTime: 60, minDelay: 1 }, { TableName: table });
  try {
    const result = await generator.puts({ table, seconds, concurrency: RAW_CONCURRENCY });
    if (result.puts === 0) throw new Error(`no PutItem succeeded: ${result.firstError ?? 'no answer'}`);
    live.done(`raw PutItem: ${result.puts} in ${result.seconds.toFixed(1)} s (${result.errors} errors)`);
    return result;
  } finally {
    await ddb.send(new DeleteTableCommand({ TableName: table }));
    ddb.destroy();
  }
}

interface Settled {
  pss: PssReading;
  rss: RssReading;
  waitedMs: number;
}

/**
 * The memory the pipeline keeps once it is idle: the cloud reclaims idle spare sandboxes after
 * its spare idle time (lambda/runtime/sizing.ts), so this waits, watching the worker processes,
 * until each function has one left (or that time and 10 s more have passed), then reads RSS and
 * the proportional set size.
 */
async function settle(cloud: LocalCloud, meter: ProcessMeter, functions: string[], live: LiveLine): Promise<Settled> {
  const started = performance.now();
  const limitMs = cloud.cloud.sandboxes.spareIdleMs + 10_000;
  const lambda = cloud.cloud.lambda;
  const spares = () => functions.reduce((sum, f) => sum + Math.max(lambda.workerPids(f).length - 1, 0), 0);
  const showSpares = () => live.update(`idle: ${spares()} spare sandboxes left, reclaimed after ${duration(cloud.cloud.sandboxes.spareIdleMs)} idle…`);
  if (spares() > 0) showSpares();
  // The cloud says when it reclaims one (a Reclaim event in its feed): wake on those.
  const isReclaim = (event: CloudEvent) => event.service === 'lambda' && event.action === 'Reclaim';
  await untilCloudSays(cloud.cloud, isReclaim, () => spares() === 0, { timeoutMs: limitMs, onEvent: showSpares });
  const waitedMs = performance.now() - started;
  live.done(`idle: ${spares() === 0 ? 'every function down to one sandbox' : `${spares()} spares still there`} after ${duration(waitedMs)}`);
  return { pss: meter.pss(), rss: meter.rss(), waitedMs };
}

/** Reads the measured run's records back and puts every figure together. */
async function tally(p: {
  options: BenchOptions;
  from: Date;
  result: OrdersResult;
  tableName: string;
  db: ReturnType<typeof documentClient>;
  measuredAt: Date;
  loadAverageBefore: number[];
  loadAverageAfter: number[];
  cpu: { mainMs: number; sandboxesMs: number };
  raw: { puts: number; errors: number; seconds: number };
  peak: RssReading;
  idle: RssReading;
  settled: Settled;
  mainAtReady: number;
  readyMs: number;
  readySinceProcessStartMs: number;
}): Promise<BenchResults> {
  const { options, result } = p;
  const acceptedIds = new Set(result.acceptedOrderIds);
  const events = (await readTimeWindow(p.db, p.tableName, p.from, new Date(Date.now() + 60_000))).filter((e) => acceptedIds.has(e.orderId));
  const recordedIds = new Set(events.map((e) => e.orderId));
  const report = latencyReport(events);
  const endToEnd = report?.spans.find((s) => s.label === 'end to end');
  const accepted = result.acceptedOrderIds.length;
  const refused = result.sent - accepted;
  const recordedPerSecond = report?.throughputPerSecond ?? 0;
  const rawPerSecond = p.raw.puts / p.raw.seconds;
  const perOrder = (ms: number) => ms / Math.max(1, accepted);
  const cpuMsPerOrder = {
    main: perOrder(p.cpu.mainMs),
    sandboxes: perOrder(p.cpu.sandboxesMs),
    loadGenerator: result.cpuMs / Math.max(1, result.sent),
  };
  const cpu = cpus();
  return {
    measuredAt: p.measuredAt.toISOString(),
    machine: {
      cpus: cpu.length,
      cpuModel: cpu[0]?.model ?? 'unknown',
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      loadAverageBefore: p.loadAverageBefore,
      loadAverageAfter: p.loadAverageAfter,
    },
    settings: {
      rate: options.rate,
      seconds: options.seconds,
      warmupSeconds: options.warmupSeconds,
      concurrency: options.concurrency,
      stageThrottle: `lifted to ${LIFTED_LIMIT} requests/s for the measurement (step 3 sets 5/s, bursts of 10)`,
    },
    cloud: { readyMs: p.readyMs, readySinceProcessStartMs: p.readySinceProcessStartMs },
    orders: {
      sent: result.sent,
      accepted,
      refused,
      recorded: recordedIds.size,
      lost: accepted - [...acceptedIds].filter((id) => recordedIds.has(id)).length,
      duplicated: events.length - recordedIds.size + (accepted - acceptedIds.size),
      acceptedPerSecond: accepted / result.seconds,
      recordedPerSecond,
      late: result.late,
    },
    latencyMs: {
      orderToRecord: { p50: endToEnd?.p50 ?? Number.NaN, p95: endToEnd?.p95 ?? Number.NaN, p99: endToEnd?.p99 ?? Number.NaN, max: endToEnd?.max ?? Number.NaN },
      postToAnswer: { p50: result.answerP50Ms, p99: result.answerP99Ms },
    },
    cpuMsPerOrder: { ...cpuMsPerOrder, total: cpuMsPerOrder.main + cpuMsPerOrder.sandboxes + cpuMsPerOrder.loadGenerator },
    rawPutItem: { perSecond: rawPerSecond, puts: p.raw.puts, errors: p.raw.errors, seconds: p.raw.seconds, concurrency: RAW_CONCURRENCY },
    pipelineToRawRatio: recordedPerSecond / rawPerSecond,
    memoryMb: {
      peak: totalMb(p.peak),
      peakMain: mb(p.peak.mainBytes),
      peakSandboxes: mb(p.peak.sandboxesBytes),
      idle: totalMb(p.idle),
      idleMain: mb(p.idle.mainBytes),
      idleSandboxes: mb(p.idle.sandboxesBytes),
      sandboxes: p.idle.sandboxes,
      mainAtReady: mb(p.mainAtReady),
      settled: {
        pss: mb(p.settled.pss.mainBytes + p.settled.pss.sandboxesBytes),
        pssMain: mb(p.settled.pss.mainBytes),
        pssSandboxes: mb(p.settled.pss.sandboxesBytes),
        rss: totalMb(p.settled.rss),
        sandboxes: p.settled.pss.sandboxes,
        waitedMs: p.settled.waitedMs,
      },
    },
  };
}
