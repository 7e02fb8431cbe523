/**
 * `npm run check:step-8`: the whole pipeline, end to end, with probe orders of the check's own.
 *
 * - An invalid order sent to POST /orders is refused (400, with its reason), and is recorded
 *   nowhere: the probe orders sent after it are all in the table, and it is not.
 * - PROBES good orders sent over HTTP, as a shop sends them, are accepted (202) and each is
 *   recorded in the table with every stage time (acceptedAt, queuedAt, processedAt,
 *   publishedAt, recordedAt), in time order; the time-window index (what `npm run report`
 *   reads) finds them all.
 * - A poison message, as in check:step-5: the monitor is invoked with a batch shaped as Lambda's
 *   poller shapes it, a probe order and a malformed message; it must report the malformed one,
 *   and only it, as a batch item failure — and the probe must then reach the table.
 * - On the local cloud, a poison message sent straight to the orders queue goes the whole way:
 *   the real mapping and monitor fail it maxReceiveCount times and it lands in the DLQ, where the
 *   check finds it by its message attribute and deletes it (checks/poison-probe.ts). The local
 *   cloud's fastRetry switch makes that one message visible again at once after each receive.
 *
 * On real AWS (or another endpoint) that takes maxReceiveCount (5) receives, one per 60 s
 * visibility timeout, about five minutes; a check must not change the learner's queue to go
 * faster. There the way on to the DLQ is verified as configuration (the mapping passes the
 * failures on, the queue redrives after maxReceiveCount receives); `npm run step:8 --
 * --wait-for-dlq` shows the whole way, and check:step-1 proves the redrive count itself.
 *
 * The probes' customerId starts with "check-"; every item they produced is deleted at the end.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { InvokeCommand, ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient, lambdaClient, sqsClient } from '../lib/clients.ts';
import { resolveTarget } from '../lib/config.ts';
import { findPipeline, pollIntervalMs, postOrder, type Pipeline } from '../lib/end-to-end.ts';
import { WorkbookError } from '../lib/errors.ts';
import { names } from '../lib/names.ts';
import { STAGES, TIME_INDEX, readTimeWindow, readTimeline, type OrderEvent } from '../lib/order-events.ts';
import { detail } from '../lib/output.ts';
import type { QueuedOrder } from '../lib/pipeline.ts';
import { defineCheck, problem, runCheckWhenExecuted } from './kit.ts';
import { within } from './patience.ts';
import { clip, newProbeCustomer } from './orders.ts';
import { canFollowPoisonToDeadLetterQueue, followPoisonToDeadLetterQueue, poisonProbeLabel, whyPiecewise, type PoisonProbeTarget } from './poison-probe.ts';
import { pollerRecord } from './poller-record.ts';
import { deleteRecordsOf } from './probe-records.ts';

/** How many probe orders go through the API. */
export const PROBES = 5;
const NOTE = 'a test order from npm run check:step-8; safe to delete';

/** How long the pipeline gets to record a probe: Lambda cold starts take seconds on AWS. */
const recordDeadlineMs = () => within({ instant: 15_000, emulator: 45_000, aws: 90_000 });

export const check = defineCheck({
  step: 8,
  title: 'orders end to end, traced to the table',
  async run(t) {
    const n = names();
    const db = documentClient();
    const pipeline = await t.require('the pipeline of steps 1–7 is in place (API, queue and DLQ, mapping, table, recorder)', async () => {
      try {
        return await findPipeline();
      } catch (err) {
        if (err instanceof WorkbookError) problem(err.message, err.hint ?? 'run `npm run status` to see which step is missing.');
        throw err;
      }
    });
    t.behaviourFollows();
    const customerId = newProbeCustomer();
    const invalidCustomer = `${customerId}-invalid`;
    const probes: string[] = [];
    // A line for under an item's ✔: the item leaves it here, and it is shown once the ✔ is.
    let note: string | undefined;
    const showNote = () => {
      if (note) detail(note);
      note = undefined;
    };

    try {
      // The invalid order goes first: once the probes sent after it are recorded, its absence means something.
      const refused = await t.item('an invalid order (quantity 0) is refused: 400 with the reason', async () => {
        const answer = await postOrder(pipeline.ordersUrl, { customerId: invalidCustomer, items: [{ sku: 'check-probe', quantity: 0 }], note: NOTE });
        if (typeof answer.body?.orderId === 'string') probes.push(answer.body.orderId); // accepted after all: remove it afterwards
        if (answer.status !== 400 || typeof answer.body?.message !== 'string') {
          problem(
            `POST /orders answered ${answer.status} ${clip(answer.text)} to an order with quantity 0, not 400 with a reason.`,
            'the intake function decides (steps/02-intake-lambda/order.ts, the quantity rule): `npm run check:step-2` shows what is wrong.',
          );
        }
        note = `400 ${String(answer.body.error)}: ${answer.body.message}`;
        return true;
      });
      showNote();

      const accepted = await t.require(`${PROBES} probe orders sent to POST /orders over HTTP are accepted (202 with an orderId)`, async () => {
        // One after another, as a shop's visitors come: the check measures the pipeline, not cold starts.
        const answers = [];
        for (let i = 0; i < PROBES; i++) {
          answers.push(await postOrder(pipeline.ordersUrl, { customerId, items: [{ sku: `check-probe-${i + 1}`, quantity: i + 1 }], note: NOTE }));
        }
        const ids = new Map<string, number>();
        for (const answer of answers) {
          const orderId = answer.body?.orderId;
          if (answer.status === 202 && typeof orderId === 'string') {
            probes.push(orderId);
            ids.set(orderId, Date.parse(String(answer.body?.acceptedAt)) || Date.now());
          }
        }
        const bad = answers.find((a) => a.status !== 202 || typeof a.body?.orderId !== 'string');
        if (bad) {
          problem(
            `${answers.filter((a) => a !== bad && a.status === 202).length} of ${PROBES} were accepted; one got ${bad.status} ${clip(bad.text)}.`,
            'the API and the intake function decide: `npm run check:step-3` shows why.',
          );
        }
        return ids;
      });

      const stageList = STAGES.join(', ');
      const recorded = await t.require(`each is recorded in ${pipeline.tableName} with every stage time (${stageList})`, async () => {
        const started = Date.now();
        const timelines = await waitForTimelines(db, pipeline.tableName, [...accepted.keys()]);
        const missing = [...accepted.keys()].filter((id) => !timelines.get(id)?.length);
        if (missing.length > 0) {
          problem(
            `${missing.length} of ${PROBES} accepted probe orders were not recorded within ${recordDeadlineMs() / 1000} s (e.g. ${missing[0]}): ` +
              'they were lost, or are stuck, between the queue and the table.',
            'each half has its check: `npm run check:step-5` (queue → monitor → topic) and `npm run check:step-7` (topic → recorder → table).',
          );
        }
        for (const [orderId, events] of timelines) {
          const wrong = eventProblem(events[0], orderId, customerId);
          if (wrong) problem(`the item for probe order ${orderId} ${wrong}.`, 'compare steps/07-recorder-lambda/handler.ts (and the monitor\'s handler, step 5) with solutions/.');
        }
        const latencies = [...timelines.values()].map((events) => events[0].times.recordedAt - events[0].times.acceptedAt).sort((a, b) => a - b);
        note = `accepted → recorded: ${latencies.map((ms) => `${ms} ms`).join(', ')} (the check waited ${Date.now() - started} ms)`;
        return timelines;
      });
      showNote();

      await t.item('each timeline is in time order (acceptedAt ≤ queuedAt ≤ processedAt ≤ publishedAt ≤ recordedAt; events oldest first)', () => {
        for (const [orderId, events] of recorded) {
          for (const event of events) {
            const backwards = STAGES.findIndex((stage, i) => i > 0 && event.times[stage] < event.times[STAGES[i - 1]]);
            if (backwards > 0) {
              problem(
                `probe order ${orderId}: ${STAGES[backwards]} (${event.times[STAGES[backwards]]}) is earlier than ${STAGES[backwards - 1]} (${event.times[STAGES[backwards - 1]]}).`,
                'each stage stamps its time as it passes the order on: compare the handlers of steps 2, 5 and 7 with solutions/.',
              );
            }
          }
          const keys = events.map((e) => e.eventKey);
          if (keys.some((key, i) => i > 0 && key < keys[i - 1])) {
            problem(`probe order ${orderId}'s events do not come back oldest first: ${keys.join(', ')}.`, 'the sort key is `${ISO time the order was accepted}#${status}` (steps 6 and 7, lib/order-events.ts).');
          }
        }
      });

      const inWindow = await t.item(`the time-window index ${TIME_INDEX} finds every probe (what \`npm run report\` reads)`, async () => {
        const from = new Date(Math.min(...accepted.values()) - 60_000);
        const giveUpAt = Date.now() + within({ instant: 2_000, emulator: 5_000, aws: 10_000 }); // an index is eventually consistent
        for (;;) {
          const window = await readTimeWindow(db, pipeline.tableName, from, new Date(Date.now() + 60_000));
          const missing = [...accepted.keys()].filter((id) => !window.some((e) => e.orderId === id));
          if (missing.length === 0) return window;
          if (Date.now() >= giveUpAt) {
            problem(
              `a Query on ${TIME_INDEX} for the last minutes misses ${missing.length} of the ${PROBES} recorded probes (e.g. ${missing[0]}).`,
              'every item needs its timeBucket (hour#shard) and eventKey: compare steps/07-recorder-lambda/handler.ts and steps/06-table/deploy.ts with solutions/.',
            );
          }
          await delay(pollIntervalMs());
        }
      });

      if (refused && inWindow) {
        await t.item('the invalid order is recorded nowhere', () => {
          const found = inWindow.filter((e) => e.customerId === invalidCustomer);
          if (found.length > 0) {
            problem(
              `the table holds ${found.length} event(s) of the invalid order (customer ${invalidCustomer}, order ${found[0].orderId}), although the API refused it.`,
              'the intake function must answer 400 and queue nothing for a bad order: `npm run check:step-2`.',
            );
          }
          note = `the ${PROBES} probes sent after it are recorded; none of the ${inWindow.length} events in that window is the invalid order's`;
        });
        showNote();
      }

      const reported = await t.item('a poison message in a batch is reported as a batch item failure, and its batch-mate reaches the table', async () => {
        const orderId = randomUUID();
        probes.push(orderId);
        note = await poisonedBatch({ db, pipeline, functionName: n.monitorFunction, orderId, customerId });
        return true;
      });
      showNote();

      const probeTarget: PoisonProbeTarget = { sqs: sqsClient(), queue: pipeline.queue, deadLetter: pipeline.deadLetter, sender: 'npm run check:step-8' };
      const onLocalCloud = canFollowPoisonToDeadLetterQueue();
      const toDlq = onLocalCloud
        ? poisonProbeLabel(probeTarget)
        : `a poison message on the queue would go to ${pipeline.deadLetter.name}: the mapping passes batch item failures on, the queue redrives after ${pipeline.deadLetter.maxReceiveCount} receives`;
      if (onLocalCloud && !reported) {
        t.skip(toDlq, 'not sent: the monitor does not report a malformed message alone (the ✘ above).');
      } else {
        await t.item(toDlq, async () => {
          const { EventSourceMappings = [] } = await lambdaClient().send(new ListEventSourceMappingsCommand({ EventSourceArn: pipeline.queue.arn }));
          const mapping = EventSourceMappings.find((m) => m.FunctionArn?.endsWith(`:function:${n.monitorFunction}`));
          if (!mapping?.FunctionResponseTypes?.includes('ReportBatchItemFailures')) {
            problem(
              'the mapping has no ReportBatchItemFailures: Lambda ignores the failures the monitor reports and deletes the poison message as if processed.',
              'in steps/05-monitor-lambda/deploy.ts set FunctionResponseTypes: [FunctionResponseType.ReportBatchItemFailures], then `npm run step:5`.',
            );
          }
          if (onLocalCloud) {
            note = await followPoisonToDeadLetterQueue(probeTarget);
            return;
          }
          note =
            `(configuration only: ${whyPiecewise(pipeline.deadLetter.maxReceiveCount, pipeline.queue.visibilityTimeoutSeconds)}; ` +
            '`npm run step:8 -- --wait-for-dlq` shows one go all the way, and check:step-1 proves the redrive count)';
        });
        showNote();
      }
    } finally {
      for (const orderId of probes) await deleteRecordsOf(db, pipeline.tableName, orderId);
    }
  },
});

/** Each order's events (oldest first), once every order has at least one, or at the deadline. Consistent reads. */
async function waitForTimelines(db: DynamoDBDocumentClient, tableName: string, orderIds: string[]): Promise<Map<string, OrderEvent[]>> {
  const timelines = new Map<string, OrderEvent[]>();
  const giveUpAt = Date.now() + recordDeadlineMs();
  // DynamoDB cannot announce an item: look, briefly apart, until a deadline (nothing better exists).
  for (;;) {
    for (const orderId of orderIds.filter((id) => !timelines.has(id))) {
      const events = await readTimeline(db, tableName, orderId, true);
      if (events.length > 0) timelines.set(orderId, events);
    }
    if (timelines.size === orderIds.length || Date.now() >= giveUpAt) return timelines;
    await delay(pollIntervalMs());
  }
}

/** What is wrong with a recorded probe event, in words; undefined when nothing is. */
function eventProblem(event: OrderEvent, orderId: string, customerId: string): string | undefined {
  const missing = STAGES.filter((stage) => typeof event.times?.[stage] !== 'number' || !Number.isFinite(event.times[stage]));
  if (missing.length > 0) return `lacks times.${missing.join(', times.')} (epoch milliseconds): it holds ${JSON.stringify(event.times)}`;
  if (event.customerId !== undefined && event.customerId !== customerId) return `carries customerId ${event.customerId}, not ${customerId}`;
  if (event.orderId !== orderId) return `has orderId ${event.orderId}`;
  return undefined;
}

/**
 * Invokes the monitor with a batch shaped exactly as Lambda's poller shapes it (as check:step-5
 * does): a probe order and a malformed message. The answer must list the malformed message, and
 * only it, in batchItemFailures; the probe's update must then go all the way to the table.
 */
async function poisonedBatch(p: { db: DynamoDBDocumentClient; pipeline: Pipeline; functionName: string; orderId: string; customerId: string }): Promise<string> {
  const now = Date.now();
  const good: QueuedOrder = { orderId: p.orderId, customerId: p.customerId, items: [{ sku: 'check-probe', quantity: 1 }], note: NOTE, times: { acceptedAt: now, queuedAt: now } };
  const poison = JSON.stringify({ customerId: p.customerId, note: 'a malformed message from npm run check:step-8: it has no orderId' });
  const records = [pollerRecord(JSON.stringify(good), p.pipeline.queue.arn, 'npm-run-check-step-8'), pollerRecord(poison, p.pipeline.queue.arn, 'npm-run-check-step-8')];
  const [goodId, poisonId] = records.map((r) => r.messageId);

  const out = await lambdaClient().send(new InvokeCommand({ FunctionName: p.functionName, Payload: Buffer.from(JSON.stringify({ Records: records })) }));
  const text = Buffer.from(out.Payload ?? []).toString('utf8');
  const fix = 'the monitor decides: `npm run check:step-5` says what is wrong with it.';
  if (out.FunctionError) problem(`the monitor failed the whole batch (${out.FunctionError}: ${clip(text)}): one bad message must not fail its batch-mates.`, fix);
  let failures: unknown;
  try {
    failures = (JSON.parse(text) as { batchItemFailures?: unknown } | null)?.batchItemFailures;
  } catch {
    failures = undefined;
  }
  const ids = Array.isArray(failures) ? failures.map((f) => (f as { itemIdentifier?: unknown })?.itemIdentifier) : [];
  if (ids.length !== 1 || ids[0] !== poisonId) {
    problem(
      `the monitor answered ${clip(text || '(nothing)')}: it should list the malformed message (${poisonId}), and only it, in batchItemFailures` +
        `${ids.includes(goodId) ? ' — it listed the good order too' : ''}.`,
      fix,
    );
  }
  const [event] = (await waitForTimelines(p.db, p.pipeline.tableName, [p.orderId])).get(p.orderId) ?? [];
  if (!event) {
    problem(
      `the monitor reported only the malformed message, but its batch-mate (order ${p.orderId}) was not recorded within ${recordDeadlineMs() / 1000} s.`,
      'follow it through the topic and the recorder: `npm run check:step-7`.',
    );
  }
  return `batchItemFailures named the malformed message only; order ${p.orderId} was recorded ${event.times.recordedAt - now} ms after the invoke`;
}

runCheckWhenExecuted(import.meta.url, check);
