/**
 * Publish → recorded latency of the recorder (step 7), on a fresh local cloud of its own (like
 * the tour): deploys steps 4, 6 and 7, publishes one update (the cold start), then N status
 * updates to the topic at a steady rate, waits until every one is in the table, and reports
 * latency percentiles; then tears everything down.
 *
 *   node --import tsx scripts/bench-recorder.ts [--updates 200] [--rate 100] [--warmup 0]
 *
 * Two latencies per update, both on this machine's clock: from just before Publish to
 * - "handled": the recorder's recordedAt (the handler has the update; SNS and Lambda's part), and
 * - "stored": the timestamp of the recorder's "recorded" log line, written when PutItem returned.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { PublishCommand } from '@aws-sdk/client-sns';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { startLocalCloud, type LocalCloud } from '../local-cloud/server.ts';
import { probeUpdate, updateAttributes } from '../checks/recorder-probes.ts';
import { documentClient, logsClient, snsClient, stsClient } from '../lib/clients.ts';
import { loadDotEnv } from '../lib/config.ts';
import { runMain } from '../lib/main.ts';
import { names } from '../lib/names.ts';
import { readTimeWindow } from '../lib/order-events.ts';
import { bold, captureOutput, fail, heading, ok, say } from '../lib/output.ts';
import { runStep } from '../lib/steps.ts';
import { teardown } from './teardown.ts';

const option = (name: string, fallback: number) => {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(process.argv[index + 1]);
};

void runMain(async () => {
  const updates = option('updates', 200);
  const rate = option('rate', 100);
  const warmup = option('warmup', 0);
  heading(`Publish → recorded: ${updates} status updates at ${rate}/s${warmup ? ` after ${warmup} to warm up` : ''} on a fresh local cloud`);
  const dataDir = mkdtempSync(join(tmpdir(), 'workbook-bench-'));
  let cloud: LocalCloud | undefined;
  try {
    cloud = await startLocalCloud({ port: 0, dataDir, region: 'us-east-1' });
    loadDotEnv();
    Object.assign(process.env, { WORKBOOK_TARGET: 'local', LOCAL_CLOUD_PORT: String(cloud.port), LOCAL_CLOUD_DATA: dataDir, AWS_REGION: 'us-east-1' });
    delete process.env.AWS_ENDPOINT_URL;
    delete process.env.WORKBOOK_PREFIX;
    for (const step of [4, 6, 7]) {
      const { result, lines } = await captureOutput(() => runStep('solutions', step));
      if (result !== 0) throw new Error(`solution ${step} failed:\n${lines.join('\n')}`);
    }
    const n = names();
    const { Account } = await stsClient().send(new GetCallerIdentityCommand({}));
    const topicArn = `arn:aws:sns:us-east-1:${Account}:${n.updatesTopic}`;
    const sns = snsClient();
    const db = documentClient();
    ok('deployed steps 4, 6 and 7');

    const publish = async (orderId: string) => {
      const update = { ...probeUpdate(orderId, Date.now()), status: 'confirmed' };
      await sns.send(new PublishCommand({ TopicArn: topicArn, Message: JSON.stringify(update), MessageAttributes: updateAttributes(update) }));
    };
    const benchStarted = new Date();
    // One update first, alone: the recorder's cold start.
    const coldStarted = Date.now();
    await publish('bench-cold');
    await waitForItems(db, n.orderEventsTable, benchStarted, 1, 10_000);
    const coldMs = Date.now() - coldStarted;

    // --warmup W: W updates at the same rate first, unmeasured, so that the recorder has scaled out
    // (each new concurrent worker is a cold start) before the measured run.
    const sentAt = new Map<string, number>();
    const interval = 1000 / rate;
    const run = async (count: number, label: string, measured: boolean) => {
      const runStarted = performance.now();
      const inFlight: Promise<void>[] = [];
      for (let i = 0; i < count; i++) {
        const wait = runStarted + i * interval - performance.now();
        if (wait > 0) await delay(wait);
        const orderId = `${label}-${String(i).padStart(5, '0')}`;
        if (measured) sentAt.set(orderId, Date.now());
        inFlight.push(publish(orderId));
      }
      await Promise.all(inFlight);
    };
    let expected = 1;
    if (warmup > 0) {
      await run(warmup, 'warmup', false);
      expected += warmup;
      await waitForItems(db, n.orderEventsTable, benchStarted, expected, 30_000);
    }
    const started = performance.now();
    await run(updates, 'bench', true);
    expected += updates;
    const items = await waitForItems(db, n.orderEventsTable, benchStarted, expected, 30_000);
    const seconds = (performance.now() - started) / 1000;

    const storedAt = await recordedLogTimes(n.recorderLogGroup, benchStarted.getTime());
    const handled: number[] = [];
    const stored: number[] = [];
    for (const item of items) {
      const sent = sentAt.get(item.orderId);
      if (sent === undefined) continue;
      handled.push(item.times.recordedAt - sent);
      const logged = storedAt.get(item.orderId);
      if (logged !== undefined) stored.push(logged - sent);
    }
    const ms = (v: number) => `${v.toFixed(0)} ms`;
    const line = (values: number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
      return `p50 ${ms(pct(50))}  p95 ${ms(pct(95))}  p99 ${ms(pct(99))}  max ${ms(sorted.at(-1)!)}  (${values.length} updates)`;
    };
    say(`  handled: ${line(handled)}`);
    say(`  stored:  ${line(stored)}`);
    say(`  the first update, cold: ${ms(coldMs)} to stored; ${(updates / seconds).toFixed(0)} updates/s over ${seconds.toFixed(1)} s`);
    say(`  workers the recorder used: ${cloud.cloud.lambda.workerPids(n.recorderFunction).length}`);

    const complete = handled.length === updates && items.length === expected && new Set(items.map((i) => i.orderId)).size === items.length;
    if (complete) ok(bold(`all ${updates} updates recorded, each once`));
    else fail(bold(`${handled.length} of ${updates} recorded (${items.length} items)`));
    await captureOutput(() => teardown({ yes: true }));
    return complete ? 0 : 1;
  } finally {
    await cloud?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

/** Polls the time index until `count` events since `from` are there (or the deadline passes). */
async function waitForItems(db: ReturnType<typeof documentClient>, table: string, from: Date, count: number, deadlineMs: number) {
  const giveUpAt = Date.now() + deadlineMs;
  for (;;) {
    const items = await readTimeWindow(db, table, from, new Date(Date.now() + 60_000));
    if (items.length >= count || Date.now() > giveUpAt) return items;
    await delay(250); // no hurry: the latencies come from the items and the log, not from this poll
  }
}

/** When the recorder logged "recorded" for each order (the log event's timestamp, epoch ms). */
async function recordedLogTimes(logGroupName: string, since: number): Promise<Map<string, number>> {
  const times = new Map<string, number>();
  let nextToken: string | undefined;
  do {
    const page = await logsClient().send(new FilterLogEventsCommand({ logGroupName, filterPattern: '"recorded {"', startTime: since, nextToken }));
    for (const event of page.events ?? []) {
      const orderId = /"orderId":"([^"]+)"/.exec(event.message ?? '')?.[1];
      if (orderId && event.timestamp) times.set(orderId, event.timestamp);
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return times;
}
