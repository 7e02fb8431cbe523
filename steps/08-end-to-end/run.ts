/**
 * Step 8: orders end to end (read README.md next to this file first). Nothing new is built:
 * this script uses the pipeline of steps 1–7 the way the company will.
 *
 *   1. an invalid order, as a buggy shop page might send it: 400 with the reason
 *   2. orders through the API over HTTP, as the shop's front end sends them, at a steady rate
 *      (a poison message slips onto the queue halfway), with a live count until all are recorded
 *   3. a few orders' timelines, stage by stage, read back from the table
 *   4. the per-stage latency report of this run
 *   5. proof that the invalid order was recorded nowhere
 *   6. the poison message: reported as a batch item failure, on its way to the dead-letter queue
 *
 *   npm run step:8                         20 orders at 5 a second (the stage's throttling, step 3)
 *   npm run step:8 -- --orders 200 --rate 80
 *   npm run step:8 -- --wait-for-dlq       also waits (minutes) for the poison message in the DLQ
 *
 * WORKBOOK_ORDERS and WORKBOOK_ORDER_RATE (in .env or the environment) set the defaults.
 * Running it again is harmless: it sends new orders, and the table keeps them all.
 */
import { randomUUID } from 'node:crypto';
import { logsClient, sqsClient, documentClient } from '../../lib/clients.ts';
import { resolveTarget } from '../../lib/config.ts';
import { findPipeline, pollIntervalMs, postOrder, withinThrottling } from '../../lib/end-to-end.ts';
import { WorkbookError } from '../../lib/errors.ts';
import { clock, latencyReport, ms, printLatencyReport, type LatencyReport } from '../../lib/latency-report.ts';
import { LiveLine } from '../../lib/live-line.ts';
import { names } from '../../lib/names.ts';
import { readTimeline, type OrderEvent } from '../../lib/order-events.ts';
import { bold, cmd, detail, fail, heading, next, ok, say, warn } from '../../lib/output.ts';
import { runWhenExecuted } from '../../lib/steps.ts';
import { firstFailure, followToDeadLetterQueue, sendPoison, type FailedReceive, type PoisonSent } from './poison.ts';
import { sendAtSteadyRate, type Sent } from './shop.ts';
import { printTimeline, watchRecords } from './watch.ts';

export interface EndToEndOptions {
  /** How many good orders to send. */
  orders: number;
  /** At how many orders a second (within the stage's throttling, step 3). */
  rate: number;
  /** Wait until the poison message is in the dead-letter queue (maxReceiveCount × the visibility timeout). */
  waitForDlq: boolean;
  /** How many orders' timelines to print. */
  timelines: number;
}

const DEFAULTS: EndToEndOptions = { orders: 20, rate: 5, waitForDlq: false, timelines: 3 };

export interface EndToEndResult {
  /** The good orders as the API answered them, in the order they were sent. */
  sent: Sent[];
  /** Each accepted order's recorded event, by order id. */
  recorded: Map<string, OrderEvent>;
  report?: LatencyReport;
  invalid: { customerId: string; status: number; error?: string; message?: string; recordedEvents: number };
  poison: PoisonSent & { failedReceives: FailedReceive[]; inDeadLetterQueue: boolean };
}

export async function run(options: Partial<EndToEndOptions> = optionsFromCommandLine()): Promise<EndToEndResult> {
  const o = { ...DEFAULTS, ...options };
  const target = resolveTarget();
  const n = names();
  const db = documentClient();
  const sqs = sqsClient();
  const logs = logsClient();
  const wrong: string[] = [];
  heading(`Step 8: orders end to end (${target.label})`);

  // What steps 1–7 made, found by name and tag.
  const pipeline = await findPipeline();
  let rate = o.rate;
  const { stageRateLimit: limit, stageBurstLimit: burst } = pipeline;
  if (limit && !withinThrottling(o.orders, rate, limit, burst)) {
    warn(
      `${o.orders} orders at ${rate}/s is more than the stage lets through (${limit}/s${burst ? `, bursts of ${burst}` : ''}; step 3): sending at ${limit}/s.`,
    );
    rate = limit;
  }
  ok('the pipeline of steps 1–7 is in place');
  detail(`POST ${pipeline.ordersUrl}${pipeline.stageRateLimit ? ` (throttled at ${pipeline.stageRateLimit} requests/s)` : ''}`);
  detail(`${pipeline.queue.name} → ${n.monitorFunction} → ${n.updatesTopic} → ${n.recorderFunction} → ${pipeline.tableName}`);

  // 1. An invalid order. It goes first: once the orders sent after it are all recorded, "it is
  //    not in the table" means something.
  say();
  say(bold('1. An invalid order, as a buggy shop page might send it'));
  const runId = randomUUID().slice(0, 8);
  const invalidCustomer = `shop-invalid-${runId}`;
  const invalidAnswer = await postOrder(pipeline.ordersUrl, { customerId: invalidCustomer, items: [{ sku: 'tea-earl-grey', quantity: 0 }] });
  const invalid: EndToEndResult['invalid'] = {
    customerId: invalidCustomer,
    status: invalidAnswer.status,
    error: typeof invalidAnswer.body?.error === 'string' ? invalidAnswer.body.error : undefined,
    message: typeof invalidAnswer.body?.message === 'string' ? invalidAnswer.body.message : undefined,
    recordedEvents: 0,
  };
  if (invalid.status === 400) {
    ok(`${invalid.status} ${invalid.error}: ${invalid.message}`);
    detail(`quantity 0, customer ${invalidCustomer}: refused by the intake function before anything was queued`);
  } else {
    fail(`the API answered ${invalid.status} ${invalidAnswer.text.slice(0, 160)} to an order with quantity 0`);
    wrong.push(`an order with quantity 0 got ${invalid.status}, not 400: ${cmd('npm run check:step-2')} and ${cmd('npm run check:step-3')} show why`);
  }

  // 2. The orders, at a steady rate; the poison message halfway. A live count meanwhile.
  say();
  say(bold(`2. ${o.orders} order${o.orders === 1 ? '' : 's'} through the API at ${rate} a second, and a poison message halfway`));
  const accepted = new Map<string, number>(); // order id → acceptedAt (epoch ms, the intake's clock)
  const refused: Sent[] = [];
  let sentCount = 0;
  let recordedCount = 0;
  let allSent = false;
  let poison: PoisonSent | undefined;
  const line = new LiveLine();
  const progress = () =>
    `sent ${sentCount}/${o.orders} · accepted ${accepted.size}${refused.length ? ` · refused ${refused.length}` : ''} · recorded ${recordedCount}/${accepted.size}`;
  const started = Date.now();
  // After the last answer, the pipeline gets this long to record everything (cold starts on AWS).
  let recordDeadline = Number.POSITIVE_INFINITY;
  const recordAllowanceMs = target.realAws ? 90_000 : 15_000;

  const watching = watchRecords({
    db,
    tableName: pipeline.tableName,
    accepted,
    allSent: () => allSent,
    deadline: () => recordDeadline,
    onProgress: (recorded) => {
      recordedCount = recorded;
      line.update(progress());
    },
  });
  watching.catch(() => {}); // its error, if any, is thrown where it is awaited, below
  let sent: Sent[];
  try {
    sent = await sendAtSteadyRate({
      url: pipeline.ordersUrl,
      count: o.orders,
      perSecond: rate,
      onSent: () => {
        sentCount++;
        line.update(progress());
      },
      onAnswer: (s) => {
        const orderId = s.answer.body?.orderId;
        const acceptedAt = Date.parse(String(s.answer.body?.acceptedAt));
        if (s.answer.status === 202 && typeof orderId === 'string') accepted.set(orderId, Number.isNaN(acceptedAt) ? s.sentAt : acceptedAt);
        else refused.push(s);
        line.update(progress());
      },
      between: async () => {
        poison = await sendPoison(sqs, pipeline.queue.url, `shop-poison-${runId}`);
      },
    });
  } catch (err) {
    recordDeadline = 0; // stop watching
    allSent = true;
    await watching.catch(() => undefined);
    throw err;
  }
  allSent = true;
  recordDeadline = Date.now() + recordAllowanceMs;
  const recorded = await watching;
  recordedCount = recorded.byOrder.size;
  line.done(progress());

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const throttled = sent.reduce((sum, s) => sum + s.answer.throttled, 0);
  if (throttled > 0) detail(`${throttled} request(s) were throttled (429) by the stage and sent again`);
  if (refused.length > 0) {
    const first = refused[0].answer;
    fail(`${refused.length} of ${o.orders} orders were not accepted; the first got ${first.status} ${first.text.slice(0, 160)}`);
    wrong.push(`orders were refused: ${cmd('npm run check:step-3')} shows why`);
  }
  const notRecorded = [...accepted.keys()].filter((id) => !recorded.byOrder.has(id));
  if (notRecorded.length > 0) {
    fail(`${notRecorded.length} of ${accepted.size} accepted orders were not recorded within ${recordAllowanceMs / 1000} s after the last was sent (e.g. ${notRecorded[0]})`);
    wrong.push(
      `orders went missing between the queue and the table: ${cmd('npm run check:step-5')} and ${cmd('npm run check:step-7')} follow an order ` +
        `through each half; the functions' logs (${cmd(`npm run aws -- logs tail ${n.monitorLogGroup}`)}, …) say what failed`,
    );
  } else {
    ok(`${accepted.size} orders accepted (202) and recorded in the table, ${seconds} s after the first was sent`);
  }
  if (poison) detail(`the poison message went straight to ${pipeline.queue.name} after order ${Math.floor(o.orders / 2)} (MessageId ${poison.messageId})`);

  // 3. A few timelines, read back with one Query each (the table's key: orderId, then time).
  const withTimeline = sent.filter((s) => recorded.byOrder.has(String(s.answer.body?.orderId))).slice(0, o.timelines);
  if (withTimeline.length > 0) {
    say();
    say(bold(`3. ${withTimeline.length === 1 ? 'One order' : `${withTimeline.length} orders`}, stage by stage (from the table: Query by orderId)`));
    for (const s of withTimeline) {
      const orderId = String(s.answer.body!.orderId);
      printTimeline(orderId, await readTimeline(db, pipeline.tableName, orderId, true), s.order);
    }
  }

  // 4. The latency report of this run's orders.
  const report = latencyReport([...recorded.byOrder.values()]);
  if (report) {
    say();
    say(bold(`4. Per-stage latency, ${report.orders} orders (sent at ${rate}/s)`));
    printLatencyReport(report);
    detail(`nearest-rank percentiles; ${cmd('npm run report')} makes this report from the table for any time window`);
  }

  // 5. The invalid order: recorded nowhere.
  say();
  say(bold('5. The invalid order, recorded nowhere'));
  invalid.recordedEvents = recorded.window.filter((e) => e.customerId === invalidCustomer).length;
  if (invalid.recordedEvents > 0) {
    fail(`the table holds ${invalid.recordedEvents} event(s) for the invalid order (customer ${invalidCustomer})`);
    wrong.push(`an invalid order was recorded: the intake function must answer 400 and queue nothing (${cmd('npm run check:step-2')})`);
  } else if (notRecorded.length > 0 || accepted.size === 0) {
    warn('not provable this time: the orders sent after it are not all recorded');
  } else {
    ok(`no event for customer ${invalidCustomer} in the table`);
    detail(
      `the ${accepted.size} orders sent after it are all recorded, and none of the ${recorded.window.length} events between ` +
        `${clock(recorded.from.getTime())} and ${clock(recorded.to.getTime())} (Query on the time index) is its`,
    );
  }

  // 6. The poison message.
  say();
  say(bold('6. The poison message'));
  const poisonResult: EndToEndResult['poison'] = { ...(poison ?? { messageId: '', sentAt: 0, body: '' }), failedReceives: [], inDeadLetterQueue: false };
  if (poison) {
    const { visibilityTimeoutSeconds: visibility } = pipeline.queue;
    const { maxReceiveCount } = pipeline.deadLetter;
    const first = await firstFailure(logs, pipeline.monitorLogGroup, poison, pollIntervalMs());
    if (!first) {
      fail(`the monitor's log (${pipeline.monitorLogGroup}) says nothing about the poison message ${poison.messageId} yet`);
      wrong.push(`the monitor must log and report a message it cannot process: ${cmd('npm run check:step-5')}`);
    } else {
      poisonResult.failedReceives.push(first);
      ok(`receive ${first.receiveCount} of ${maxReceiveCount}: the monitor failed it and reported it as a batch item failure (${first.error})`);
      detail(`its batch-mates went through: every order above is recorded. The monitor reported it ${ms(first.at - poison.sentAt)} after it was sent.`);
      const dlqAt = first.at + maxReceiveCount * visibility * 1000;
      say(
        `  SQS hides it for the visibility timeout (${visibility} s), then hands it out again; the monitor fails it each time. ` +
          `After receive ${maxReceiveCount} (step 1's maxReceiveCount) SQS moves it to ${pipeline.deadLetter.name}: about ` +
          `${roughly(maxReceiveCount * visibility)} after the first receive (≈ ${clock(dlqAt)} UTC), on AWS as here.`,
      );
      if (o.waitForDlq) {
        await waitForDeadLetter(poison, poisonResult, first, dlqAt);
      } else {
        say(`  ${cmd('npm run step:8 -- --wait-for-dlq')} waits and shows it arrive; or look later:`);
        say(`  ${cmd(`npm run aws -- sqs receive-message --queue-url ${pipeline.deadLetter.url} --attribute-names All`)}`);
        say(`  Once there, a message whose cause is fixed goes back with ${cmd('npm run redrive')} (StartMessageMoveTask; README: Redrive).`);
      }
    }
  }

  async function waitForDeadLetter(sentPoison: PoisonSent, result: EndToEndResult['poison'], first: FailedReceive, dlqAt: number) {
    const deadline = dlqAt + (target.realAws ? 120_000 : 30_000);
    say(`  Waiting for it in ${pipeline.deadLetter.name} (until ${clock(deadline)} at the latest)…`);
    const found = await followToDeadLetterQueue({
      sqs,
      logs,
      logGroupName: pipeline.monitorLogGroup,
      deadLetterQueueUrl: pipeline.deadLetter.url,
      poison: sentPoison,
      deadline,
      onReceive: (receive) => {
        if (receive.receiveCount === first.receiveCount) return;
        result.failedReceives.push(receive);
        const previous = result.failedReceives.at(-2);
        const gap = previous ? ` (${ms(receive.at - previous.at)} after receive ${previous.receiveCount})` : '';
        ok(`receive ${receive.receiveCount} of ${pipeline.deadLetter.maxReceiveCount} at ${clock(receive.at)}${gap}: failed again`);
      },
    });
    if (!found) {
      fail(`the poison message did not reach ${pipeline.deadLetter.name} by ${clock(deadline)}`);
      wrong.push(`the orders queue must send failing messages to the DLQ (RedrivePolicy, step 1): ${cmd('npm run check:step-1')}`);
      return;
    }
    result.inDeadLetterQueue = true;
    const source = found.message.Attributes?.DeadLetterQueueSourceArn;
    ok(`in ${pipeline.deadLetter.name} ${ms(found.arrivedAt - sentPoison.sentAt)} after it was sent, with the same MessageId${source ? `; DeadLetterQueueSourceArn ${source}` : ''}`);
    detail(`body: ${found.message.Body}`);
    say('  The script deleted it from the DLQ. In production a person reads it there, fixes whatever sent it, and then');
    say(`  deletes it or moves it back to the queue: ${cmd('npm run redrive')} (StartMessageMoveTask; README: Redrive).`);
  }

  say();
  if (wrong.length > 0) {
    throw new WorkbookError(`Step 8 showed ${wrong.length} problem(s) in the pipeline (the ✘ lines above).`, wrong.join('; '));
  }
  next(`${cmd('npm run check:step-8')} verifies all this with probe orders of its own; ${cmd('npm run report')} reports latency from the table at any time.`);
  return { sent, recorded: recorded.byOrder, report, invalid, poison: poisonResult };
}

/** "5 minutes", "45 seconds". */
const roughly = (seconds: number): string => (seconds >= 120 ? `${Math.round(seconds / 60)} minutes` : `${seconds} seconds`);

/** --orders N, --rate R, --wait-for-dlq; WORKBOOK_ORDERS and WORKBOOK_ORDER_RATE as defaults. */
export function optionsFromCommandLine(argv = process.argv.slice(2), env = process.env): Partial<EndToEndOptions> {
  const options: Partial<EndToEndOptions> = {};
  const value = (flag: string): string | undefined => {
    const inline = argv.find((a) => a.startsWith(`${flag}=`));
    if (inline) return inline.slice(flag.length + 1);
    const at = argv.indexOf(flag);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const orders = value('--orders') ?? env.WORKBOOK_ORDERS;
  if (orders !== undefined) {
    options.orders = Number(orders);
    if (!Number.isInteger(options.orders) || options.orders < 1 || options.orders > 10_000) {
      throw new WorkbookError(`--orders is "${orders}": give a whole number from 1 to 10000.`, 'e.g. npm run step:8 -- --orders 100');
    }
  }
  const rate = value('--rate') ?? env.WORKBOOK_ORDER_RATE;
  if (rate !== undefined) {
    options.rate = Number(rate);
    if (!Number.isFinite(options.rate) || options.rate <= 0 || options.rate > 1_000) {
      throw new WorkbookError(`--rate is "${rate}": give the orders per second, more than 0 and at most 1000.`, 'e.g. npm run step:8 -- --rate 20');
    }
  }
  if (argv.includes('--wait-for-dlq')) options.waitForDlq = true;
  return options;
}

runWhenExecuted(import.meta.url, run);
