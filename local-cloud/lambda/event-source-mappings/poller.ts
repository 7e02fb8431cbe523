import type { Cloud } from '../../cloud.ts';
import { toAwsError } from '../../protocol/errors.ts';
import type { ReceivedMessage } from '../../sqs/backend.ts';
import type { InvokeOutput } from '../backend.ts';
import type { FunctionRecord } from '../model.ts';
import { MAX_CONCURRENCY } from '../runtime/pool.ts';
import { roleContext } from '../async/execution-role.ts';
import { interpretBatchResponse } from './batch-response.ts';
import type { MappingRecord } from './model.ts';
import { sqsRecord } from './records.ts';

/** What a poller needs from Lambda. */
export interface PollerHost {
  readonly cloud: Cloud;
  /** The function as it is now; undefined while it does not exist. */
  functionNamed(name: string): FunctionRecord | undefined;
  /** A synchronous invocation, as Lambda's pollers make it. */
  invoke(name: string, event: unknown): Promise<InvokeOutput>;
}

/** Pollers a mapping runs at most without a ScalingConfig (AWS starts with five). */
export const DEFAULT_MAX_POLLERS = 5;
/** ReceiveMessage's longest wait: an idle poller asks again this rarely. */
const LONG_POLL_SECONDS = 20;
/** A poller that cannot poll (no function, no permission, no queue) tries again after 1 s, 2 s… up to this. */
const MAX_BACKOFF_MS = 30_000;

interface Worker {
  /** The first poller long-polls and stays; the others drain a backlog and end when it is gone. */
  primary: boolean;
  abort: AbortController;
  failures: number;
  done?: Promise<void>;
}

/**
 * The pollers of one SQS mapping. Each long-polls the queue as the function's execution role,
 * fills a batch up to BatchSize or until the batching window closes, invokes the function
 * synchronously, and deletes what succeeded (ReportBatchItemFailures decides which, when set).
 * What is not deleted becomes visible again after the queue's visibility timeout, and the queue's
 * redrive policy moves it to the dead-letter queue after maxReceiveCount receives.
 *
 * One poller runs while the queue is quiet, parked in a long poll: it costs nothing and wakes the
 * moment a message arrives. A batch that comes back full means a backlog and adds a poller, up to
 * ScalingConfig.MaximumConcurrency (or 5). The extra pollers do not wait on an empty queue: one
 * that finds less than a full batch ends, so the mapping is back to one poller once the backlog
 * is gone.
 */
export class MappingPoller {
  private readonly workers = new Set<Worker>();
  private stopped = false;
  /** The problem last reported to the live log, so a stuck poller does not repeat itself. */
  private problem: string | undefined;

  constructor(
    private readonly mapping: MappingRecord,
    private readonly host: PollerHost,
  ) {}

  start(): void {
    if (!this.stopped && this.workers.size === 0) this.spawn(true);
  }

  /** Pollers running now. */
  get size(): number {
    return this.workers.size;
  }

  /**
   * Long polls end at once; a batch being processed finishes (its successes are deleted).
   * Resolves once every poller has ended.
   */
  stop(): Promise<void> {
    this.stopped = true;
    const workers = [...this.workers];
    for (const worker of workers) worker.abort.abort();
    return Promise.all(workers.map((worker) => worker.done)).then(() => undefined);
  }

  private spawn(primary: boolean): void {
    const worker: Worker = { primary, abort: new AbortController(), failures: 0 };
    this.workers.add(worker);
    worker.done = this.run(worker)
      .catch((err: Error) => {
        this.log('a poller failed', err.message);
        // The mapping must keep one poller: a new one starts after a pause.
        if (primary && !this.stopped) setTimeout(() => this.stopped || this.spawn(true), 1000).unref();
      })
      .finally(() => this.workers.delete(worker));
  }

  private maxWorkers(): number {
    return Math.min(this.mapping.maximumConcurrency ?? DEFAULT_MAX_POLLERS, MAX_CONCURRENCY);
  }

  private async run(worker: Worker): Promise<void> {
    while (!this.stopped) {
      const fn = this.host.functionNamed(this.mapping.functionName);
      if (!fn) {
        this.report(`function ${this.mapping.functionName} does not exist; the queue is not read`);
        await this.pause(worker);
        continue;
      }
      const started = Date.now();
      let batch: ReceivedMessage[];
      try {
        batch = await this.collect(fn, worker);
      } catch (err) {
        const error = toAwsError(err);
        this.report(`ReceiveMessage as ${fn.role} failed: ${error.code}: ${error.message}`);
        await this.pause(worker);
        continue;
      }
      worker.failures = 0;
      this.recovered();
      if (batch.length === 0) {
        if (this.stopped || !worker.primary) return;
        // A long poll that came back empty at once means the queue stopped answering (shutdown).
        if (Date.now() - started < 1000) await this.pause(worker);
        continue;
      }
      const full = batch.length >= this.mapping.batchSize;
      if (full && !this.stopped && this.workers.size < this.maxWorkers()) this.spawn(false);
      await this.process(fn, batch);
      if (!full && !worker.primary) return;
    }
  }

  /** A batch: up to BatchSize messages, gathered for at most MaximumBatchingWindowInSeconds after the first. */
  private async collect(fn: FunctionRecord, worker: Worker): Promise<ReceivedMessage[]> {
    const signal = worker.abort.signal;
    const sqs = this.host.cloud.sqs;
    const url = sqs.queueUrl(this.mapping.eventSourceArn.split(':')[5] ?? '');
    const ctx = roleContext(this.host.cloud, fn.role, fn.name, 'sqs', 'ReceiveMessage');
    const receive = (max: number, until: AbortSignal, waitSeconds = LONG_POLL_SECONDS) =>
      sqs.receiveMessage(
        ctx,
        url,
        {
          MaxNumberOfMessages: Math.min(10, max),
          WaitTimeSeconds: waitSeconds,
          SystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        },
        until,
      );
    const batchSize = this.mapping.batchSize;
    const batch = await receive(batchSize, signal, worker.primary ? LONG_POLL_SECONDS : 0);
    const windowMs = this.mapping.maximumBatchingWindowInSeconds * 1000;
    if (batch.length === 0 || batch.length >= batchSize || windowMs === 0) return batch;

    const window = new AbortController();
    const close = () => window.abort();
    const timer = setTimeout(close, windowMs);
    signal.addEventListener('abort', close, { once: true });
    try {
      while (batch.length < batchSize && !window.signal.aborted) {
        batch.push(...(await receive(batchSize - batch.length, window.signal)));
      }
    } catch {
      // The queue went away mid-window: what was received is processed; the next poll reports it.
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', close);
    }
    return batch;
  }

  private async process(fn: FunctionRecord, batch: ReceivedMessage[]): Promise<void> {
    const { cloud } = this.host;
    const count = plural(batch.length, 'record');
    const records = batch.map((message) => sqsRecord(message, this.mapping.eventSourceArn, cloud.region));
    let out: InvokeOutput;
    try {
      out = await this.host.invoke(fn.name, { Records: records });
    } catch (err) {
      if (this.stopped) return; // shutting down: the messages are seen again after the visibility timeout
      const error = toAwsError(err);
      this.log(`${count} not delivered; they return to the queue after its visibility timeout`, `${error.code}: ${error.message}`);
      return;
    }
    if (out.functionError) {
      this.log(`${count}, function error: the whole batch returns to the queue after its visibility timeout`, errorSummary(out.payload));
      return;
    }
    const ids = new Set(batch.map((message) => message.MessageId));
    const outcome = this.mapping.functionResponseTypes.includes('ReportBatchItemFailures')
      ? interpretBatchResponse(out.payload.toString('utf8'), ids)
      : ({ kind: 'success' } as const);
    if (outcome.kind === 'invalid') {
      this.log(`${count}, invalid partial batch response: the whole batch returns to the queue after its visibility timeout`, outcome.reason);
      return;
    }
    const failed = outcome.kind === 'partial' ? outcome.failed : new Set<string>();
    this.delete(fn, batch.filter((message) => !failed.has(message.MessageId)));
    this.log(`${count}, ${plural(failed.size, 'failure')}`);
  }

  /** Deletes the successes, ten per DeleteMessageBatch, as the execution role. */
  private delete(fn: FunctionRecord, messages: ReceivedMessage[]): void {
    const sqs = this.host.cloud.sqs;
    const url = sqs.queueUrl(this.mapping.eventSourceArn.split(':')[5] ?? '');
    const ctx = roleContext(this.host.cloud, fn.role, fn.name, 'sqs', 'DeleteMessageBatch');
    for (let i = 0; i < messages.length; i += 10) {
      const entries = messages.slice(i, i + 10).map((message, n) => ({ Id: String(n), ReceiptHandle: message.ReceiptHandle }));
      try {
        const result = sqs.deleteMessageBatch(ctx, url, entries);
        if (result.Failed.length) this.log(`${plural(result.Failed.length, 'message')} could not be deleted`, result.Failed[0].Message);
      } catch (err) {
        const error = toAwsError(err);
        this.log(`${plural(entries.length, 'processed message')} not deleted; they will be processed again`, `${error.code}: ${error.message}`);
      }
    }
  }

  /** Waits 1 s, 2 s, 4 s… (at most 30 s) before trying again; stop() ends the wait at once. */
  private pause(worker: Worker): Promise<void> {
    const ms = Math.min(1000 * 2 ** worker.failures, MAX_BACKOFF_MS);
    worker.failures++;
    const signal = worker.abort.signal;
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private report(problem: string): void {
    if (this.problem === problem) return;
    this.problem = problem;
    this.log('polling paused', problem);
  }

  private recovered(): void {
    if (this.problem === undefined) return;
    this.problem = undefined;
    this.log('polling again');
  }

  private log(detail: string, error?: string): void {
    this.host.cloud.log({
      service: 'lambda',
      action: 'EventSourceMapping',
      detail: `esm ${this.mapping.uuid} → ${this.mapping.functionName}: ${detail}`,
      ...(error ? { error } : {}),
    });
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function errorSummary(payload: Buffer): string {
  try {
    const doc = JSON.parse(payload.toString('utf8')) as { errorType?: string; errorMessage?: string };
    return `${doc.errorType}: ${doc.errorMessage}`;
  } catch {
    return payload.toString('utf8');
  }
}
