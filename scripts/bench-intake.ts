/**
 * POST /orders → 202 latency, on a fresh local cloud of its own (like the tour): deploys steps
 * 1–3, sends one order (the cold start), then N good orders over HTTP at a steady rate, and
 * reports latency percentiles; then
 * checks that every accepted order is on the queue, and tears everything down.
 *
 *   node --import tsx scripts/bench-intake.ts [--orders 1000] [--rate 100] [--sequential]
 *
 * Step 3 throttles the stage to a learner's few requests a second; the benchmark raises the
 * limits on its own throwaway cloud, to measure the pipeline rather than the throttle.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { GetRestApisCommand, UpdateStageCommand } from '@aws-sdk/client-api-gateway';
import { DeleteMessageBatchCommand, GetQueueUrlCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { startLocalCloud, type LocalCloud } from '../local-cloud/server.ts';
import { invokeUrl } from '../lib/api.ts';
import { apiGatewayClient, sqsClient } from '../lib/clients.ts';
import { loadDotEnv } from '../lib/config.ts';
import { runMain } from '../lib/main.ts';
import { names } from '../lib/names.ts';
import { bold, captureOutput, fail, heading, ok, say } from '../lib/output.ts';
import { runStep } from '../lib/steps.ts';
import { teardown } from './teardown.ts';

const option = (name: string, fallback: number) => {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(process.argv[index + 1]);
};

void runMain(async () => {
  const orders = option('orders', 1000);
  const rate = option('rate', 100);
  const sequential = process.argv.includes('--sequential');
  heading(`POST /orders → 202: ${orders} orders at ${rate}/s${sequential ? ', one at a time' : ''} on a fresh local cloud`);
  const dataDir = mkdtempSync(join(tmpdir(), 'workbook-bench-'));
  let cloud: LocalCloud | undefined;
  try {
    cloud = await startLocalCloud({ port: 0, dataDir, region: 'us-east-1' });
    loadDotEnv();
    Object.assign(process.env, { WORKBOOK_TARGET: 'local', LOCAL_CLOUD_PORT: String(cloud.port), LOCAL_CLOUD_DATA: dataDir, AWS_REGION: 'us-east-1' });
    delete process.env.AWS_ENDPOINT_URL;
    delete process.env.WORKBOOK_PREFIX;
    for (const step of [1, 2, 3]) {
      const { result, lines } = await captureOutput(() => runStep('solutions', step));
      if (result !== 0) throw new Error(`solution ${step} failed:\n${lines.join('\n')}`);
    }
    const n = names();
    const api = (await apiGatewayClient().send(new GetRestApisCommand({}))).items!.find((a) => a.name === n.api)!;
    const url = invokeUrl(api.id!, n.apiStage, '/orders');
    await apiGatewayClient().send(
      new UpdateStageCommand({
        restApiId: api.id,
        stageName: n.apiStage,
        patchOperations: [
          { op: 'replace', path: '/*/*/throttling/rateLimit', value: '100000' },
          { op: 'replace', path: '/*/*/throttling/burstLimit', value: '100000' },
        ],
      }),
    );
    ok(`deployed steps 1–3 (stage throttling raised for the measurement); POST ${url}`);

    const body = JSON.stringify({ customerId: 'bench', items: [{ sku: 'tea-earl-grey', quantity: 2 }] });
    // One order first, alone: the function's cold start (a worker starts, loads the bundle and the
    // SDK). Requests arriving meanwhile would each start a worker of their own, as on Lambda.
    const coldStarted = performance.now();
    const cold = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    await cold.arrayBuffer();
    const coldMs = performance.now() - coldStarted;
    if (cold.status !== 202) throw new Error(`the first order got ${cold.status}`);
    const latencies: number[] = [];
    const statuses = new Map<number, number>();
    const interval = 1000 / rate;
    const started = performance.now();
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < orders; i++) {
      // Open-loop: requests leave on schedule, whether or not earlier ones have answered
      // (--sequential: each waits for the one before, still no faster than the rate).
      const due = started + i * interval;
      const wait = due - performance.now();
      if (wait > 0) await delay(wait);
      if (sequential) await inFlight.at(-1);
      inFlight.push(
        (async () => {
          const sent = performance.now();
          const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
          await response.arrayBuffer();
          latencies[i] = performance.now() - sent;
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        })(),
      );
    }
    await Promise.all(inFlight);
    const seconds = (performance.now() - started) / 1000;

    const sorted = [...latencies].sort((a, b) => a - b);
    const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
    const ms = (v: number) => `${v.toFixed(1)} ms`;
    say(`  statuses: ${[...statuses].map(([s, c]) => `${s} ×${c}`).join(', ')}  (${(orders / seconds).toFixed(0)} requests/s over ${seconds.toFixed(1)} s)`);
    say(`  latency:  p50 ${ms(pct(50))}  p90 ${ms(pct(90))}  p99 ${ms(pct(99))}  max ${ms(sorted.at(-1)!)}  (the first order, cold: ${ms(coldMs)})`);

    const tenth = Math.ceil(latencies.length / 10);
    const byTenth = Array.from({ length: 10 }, (_, i) => median(latencies.slice(i * tenth, (i + 1) * tenth)));
    say(`  median by tenth of the run: ${byTenth.map((v) => v.toFixed(0)).join(' ')} ms`);
    say(`  workers the function used: ${cloud.cloud.lambda.workerPids(n.intakeFunction).length}`);

    const queued = (await drain(n.ordersQueue)) - 1; // less the first order
    const accepted = statuses.get(202) ?? 0;
    if (queued === accepted && accepted === orders) ok(bold(`all ${orders} orders accepted and on the queue`));
    else fail(bold(`${accepted} of ${orders} accepted, ${queued} on the queue`));
    await captureOutput(() => teardown({ yes: true }));
    return queued === accepted && accepted === orders ? 0 : 1;
  } finally {
    await cloud?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/** Receives and deletes everything on the queue; returns how many messages there were. */
async function drain(queueName: string): Promise<number> {
  const sqs = sqsClient();
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }));
  let count = 0;
  for (;;) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (Messages.length === 0) return count;
    count += Messages.length;
    await sqs.send(
      new DeleteMessageBatchCommand({ QueueUrl, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }),
    );
  }
}
