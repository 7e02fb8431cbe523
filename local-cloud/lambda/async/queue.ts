import type { Cloud } from '../../cloud.ts';
import { toAwsError } from '../../protocol/errors.ts';
import type { FunctionRecord } from '../model.ts';
import type { InvocationResult } from '../runtime/sandbox.ts';
import { sendAsRole } from './destinations.ts';
import {
  DEFAULT_MAX_EVENT_AGE_SECONDS,
  DEFAULT_RETRY_ATTEMPTS,
  InvokeConfigs,
  type FunctionResolver,
  type InvokeConfig,
} from './invoke-config.ts';
import { EventJournal, type PendingEvent } from './journal.ts';
import { errorMessageOf, invocationRecord, type AttemptOutcome, type RecordCondition } from './record.ts';

/** What the queue needs from Lambda. */
export interface AsyncHost {
  /** The function as it is now; undefined once deleted. */
  functionNamed(name: string): FunctionRecord | undefined;
  /** Runs one attempt (after any transition in flight); throws Lambda's errors. */
  run(name: string, requestId: string, event: string): Promise<InvocationResult>;
  resolve: FunctionResolver;
}

/**
 * AWS waits about one minute before the second attempt and two before the third. The local cloud
 * keeps that shape at a scale a learner can watch: 1 s, then 2 s. LOCAL_CLOUD_ASYNC_RETRY_DELAYS
 * ("60,120" for AWS's own pace, in seconds) or `retryDelaysMs` change it.
 */
export const DEFAULT_RETRY_DELAYS_MS = [1000, 2000];

/**
 * Asynchronous invocations (InvocationType Event, and what SNS delivers): accepted at once, run in
 * the background, retried on a function error or timeout (MaximumRetryAttempts, 2 by default)
 * while the event is younger than MaximumEventAgeInSeconds, then sent to the on-failure
 * destination and/or the dead-letter queue. Successes go to the on-success destination.
 * Pending events are persisted, so a restart resumes them.
 */
export class AsyncInvocations {
  readonly configs: InvokeConfigs;
  /** Delay before the 2nd, 3rd… attempt; the last value repeats. */
  retryDelaysMs: number[] = retryDelaysFromEnvironment() ?? DEFAULT_RETRY_DELAYS_MS;
  private readonly journal: EventJournal;
  private readonly pending = new Set<PendingEvent>();
  private readonly timers = new Map<PendingEvent, NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  private nextSeq = 0;
  private closing = false;

  constructor(
    private readonly cloud: Cloud,
    private readonly host: AsyncHost,
  ) {
    this.configs = new InvokeConfigs(cloud, host.resolve);
    this.journal = new EventJournal(cloud.store);
    for (const event of this.journal.load()) {
      this.pending.add(event);
      this.nextSeq = Math.max(this.nextSeq, event.seq + 1);
    }
  }

  /** Starts what a previous run left behind; called once Lambda is ready. */
  resume(): void {
    for (const event of this.pending) this.schedule(event);
    if (this.pending.size > 0) {
      this.cloud.log({ service: 'lambda', action: 'Invoke', detail: `resuming ${this.pending.size} queued asynchronous invocation(s)` });
    }
  }

  /** Accepts an event (the Invoke answers 202) and runs it as soon as a worker is free. */
  enqueue(fn: FunctionRecord, requestId: string, payload: string): void {
    const now = Date.now();
    const event: PendingEvent = {
      id: requestId,
      functionName: fn.name,
      payload,
      acceptedAt: now,
      attempts: 0,
      dueAt: now,
      seq: this.nextSeq++,
    };
    this.pending.add(event);
    this.journal.added(event);
    this.start(event);
  }

  /** A deleted function loses its settings and its queued events. */
  forgetFunction(name: string): void {
    this.configs.forget(name);
    for (const event of this.pending) if (event.functionName === name) this.finish(event);
  }

  /** Events not finished yet (tests and the live log). */
  get queued(): number {
    return this.pending.size;
  }

  /** Stops starting attempts; what is queued stays on disk for the next start. */
  close(): void {
    this.closing = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  /** Resolves once attempts in flight are over (after the workers were stopped). */
  async drained(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }

  private schedule(event: PendingEvent): void {
    const wait = event.dueAt - Date.now();
    if (wait <= 0) return this.start(event);
    const timer = setTimeout(() => {
      this.timers.delete(event);
      this.start(event);
    }, wait);
    this.timers.set(event, timer);
  }

  private start(event: PendingEvent): void {
    if (this.closing || !this.pending.has(event)) return;
    const task = this.attempt(event).catch((err: Error) =>
      this.cloud.log({ service: 'lambda', action: 'Invoke', detail: `${event.functionName} (Event) (request ${event.id})`, error: err.message }),
    );
    this.running.add(task);
    void task.finally(() => this.running.delete(task));
  }

  private async attempt(event: PendingEvent): Promise<void> {
    let outcome: AttemptOutcome;
    try {
      const result = await this.host.run(event.functionName, event.id, event.payload);
      outcome = { payload: result.payload, functionError: result.functionError };
    } catch (err) {
      if (this.closing) return; // still on disk: the next start runs it
      const error = toAwsError(err);
      if (error.code === 'ResourceNotFoundException') return this.discard(event, `function ${event.functionName} no longer exists`);
      // A function that cannot run (its code failed to unpack…) counts as a failed attempt, as on AWS.
      outcome = { payload: JSON.stringify({ errorType: error.code, errorMessage: error.message }), functionError: 'Unhandled' };
    }
    if (!this.pending.has(event)) return; // the function was deleted meanwhile
    const fn = this.host.functionNamed(event.functionName);
    if (!fn) return this.discard(event, `function ${event.functionName} no longer exists`);
    event.attempts++;
    const config = this.configs.of(fn.name);

    if (!outcome.functionError) {
      this.finish(event);
      if (config?.onSuccess) this.sendRecord(fn, config.onSuccess, event, 'Success', outcome, `${fn.name} (Event) succeeded`);
      return;
    }

    const maxRetries = config?.maximumRetryAttempts ?? DEFAULT_RETRY_ATTEMPTS;
    const maxAgeMs = (config?.maximumEventAgeInSeconds ?? DEFAULT_MAX_EVENT_AGE_SECONDS) * 1000;
    const reason = errorSummary(outcome.payload);
    if (event.attempts <= maxRetries) {
      const delay = this.retryDelay(event.attempts);
      if (Date.now() + delay - event.acceptedAt <= maxAgeMs) {
        event.dueAt = Date.now() + delay;
        this.journal.changed(event);
        this.schedule(event);
        this.cloud.log({
          service: 'lambda',
          action: 'Invoke',
          detail: `${fn.name} (Event) failed, attempt ${event.attempts}: retry ${event.attempts} of ${maxRetries} in ${seconds(delay)} (request ${event.id})`,
          error: reason,
        });
        return;
      }
      return this.fail(fn, config, event, outcome, 'EventAgeExceeded', reason);
    }
    this.fail(fn, config, event, outcome, 'RetriesExhausted', reason);
  }

  /** The event failed for good: on-failure destination and dead-letter queue, whichever are set (both may be). */
  private fail(
    fn: FunctionRecord,
    config: InvokeConfig | undefined,
    event: PendingEvent,
    outcome: AttemptOutcome,
    condition: RecordCondition,
    reason: string,
  ): void {
    this.finish(event);
    const head =
      condition === 'RetriesExhausted'
        ? `${fn.name} (Event) failed ${plural(event.attempts, 'attempt')}`
        : `${fn.name} (Event) outlived MaximumEventAgeInSeconds after ${plural(event.attempts, 'attempt')}`;
    const request = `(request ${event.id})`;
    if (!config?.onFailure && !fn.deadLetterTargetArn) {
      this.cloud.log({
        service: 'lambda',
        action: 'Invoke',
        detail: `${head}: discarded, no on-failure destination or dead-letter queue ${request}`,
        error: reason,
      });
      return;
    }
    if (config?.onFailure) this.sendRecord(fn, config.onFailure, event, condition, outcome, head, reason);
    if (fn.deadLetterTargetArn) {
      const sent = sendAsRole(
        this.cloud,
        fn,
        fn.deadLetterTargetArn,
        {
          body: event.payload,
          attributes: {
            RequestID: { DataType: 'String', StringValue: event.id },
            ErrorCode: { DataType: 'Number', StringValue: '200' },
            ErrorMessage: { DataType: 'String', StringValue: errorMessageOf(outcome.payload) },
          },
        },
        'the dead letter',
      );
      if (sent) {
        this.cloud.log({
          service: 'lambda',
          action: 'Invoke',
          detail: `${head}: event sent to the dead-letter queue ${fn.deadLetterTargetArn} ${request}`,
          error: reason,
        });
      }
    }
  }

  private sendRecord(
    fn: FunctionRecord,
    destination: string,
    event: PendingEvent,
    condition: RecordCondition,
    outcome: AttemptOutcome,
    head: string,
    reason?: string,
  ): void {
    const side = condition === 'Success' ? 'on-success' : 'on-failure';
    const record = invocationRecord({
      requestId: event.id,
      functionArn: `${fn.arn}:$LATEST`,
      condition,
      attempts: event.attempts,
      event: event.payload,
      outcome,
    });
    if (sendAsRole(this.cloud, fn, destination, { body: JSON.stringify(record) }, `the ${side} record`)) {
      this.cloud.log({
        service: 'lambda',
        action: 'Invoke',
        detail: `${head}: ${condition} record sent to the ${side} destination ${destination} (request ${event.id})`,
        error: reason,
      });
    }
  }

  private discard(event: PendingEvent, why: string): void {
    this.finish(event);
    this.cloud.log({ service: 'lambda', action: 'Invoke', detail: `${event.functionName} (Event) discarded: ${why} (request ${event.id})` });
  }

  private finish(event: PendingEvent): void {
    this.pending.delete(event);
    clearTimeout(this.timers.get(event));
    this.timers.delete(event);
    this.journal.removed(event);
  }

  private retryDelay(attempts: number): number {
    const delays = this.retryDelaysMs.length ? this.retryDelaysMs : DEFAULT_RETRY_DELAYS_MS;
    return delays[Math.min(attempts, delays.length) - 1];
  }
}

function retryDelaysFromEnvironment(): number[] | undefined {
  const text = process.env.LOCAL_CLOUD_ASYNC_RETRY_DELAYS;
  if (!text) return undefined;
  const delays = text.split(',').map((part) => Number(part.trim()) * 1000);
  return delays.length && delays.every((ms) => Number.isFinite(ms) && ms >= 0) ? delays : undefined;
}

function errorSummary(payload: string): string {
  try {
    const doc = JSON.parse(payload) as { errorType?: string; errorMessage?: string };
    if (doc && typeof doc === 'object' && (doc.errorType || doc.errorMessage)) return `${doc.errorType}: ${doc.errorMessage}`;
  } catch {
    // fall through
  }
  return payload;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
