import { setTimeout as delay } from 'node:timers/promises';
import { WorkbookError } from './errors.ts';
import { warn } from './output.ts';

/**
 * Waiting without fixed sleeps: retries and polls start fast (a local cloud answers in
 * milliseconds) and back off exponentially (real AWS may need seconds), up to a deadline.
 */
export interface Backoff {
  /** Give up after this long (ms). */
  deadlineMs: number;
  /** First pause (ms); doubles each time. */
  initialDelayMs?: number;
  /** Longest pause (ms). */
  maxDelayMs?: number;
}

function* pauses({ initialDelayMs = 20, maxDelayMs = 2000 }: Backoff): Generator<number> {
  for (let pause = initialDelayMs; ; pause = Math.min(pause * 2, maxDelayMs)) {
    // Jitter, so many callers retrying the same thing do not move in lockstep.
    yield pause / 2 + Math.random() * (pause / 2);
  }
}

/**
 * Calls `fn` until it succeeds, retrying only errors `retryable` accepts (the known
 * eventual-consistency errors of AWS), until the deadline; then the last error is thrown.
 */
export async function retry<T>(
  fn: () => Promise<T>,
  options: Backoff & {
    retryable: (err: unknown) => boolean;
    /** Said once, at the first retry: what we wait for and why (which may depend on the error). */
    waitingMessage?: string | ((err: unknown) => string);
  },
): Promise<T> {
  const giveUpAt = Date.now() + options.deadlineMs;
  let attempt = 0;
  for (const pause of pauses(options)) {
    try {
      return await fn();
    } catch (err) {
      attempt++;
      if (!options.retryable(err) || Date.now() + pause > giveUpAt) throw err;
      if (attempt === 1 && options.waitingMessage) {
        warn(typeof options.waitingMessage === 'string' ? options.waitingMessage : options.waitingMessage(err));
      }
      await delay(pause);
    }
  }
  throw new Error('unreachable');
}

/**
 * Polls `probe` until it returns something other than undefined, then returns that.
 * Use it only where nothing better exists (SDK waiters, long polling, events).
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: Backoff & { hint?: string },
): Promise<T> {
  const giveUpAt = Date.now() + options.deadlineMs;
  for (const pause of pauses(options)) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() + pause > giveUpAt) break;
    await delay(pause);
  }
  throw new WorkbookError(`Gave up waiting after ${options.deadlineMs / 1000} s: ${what}.`, options.hint);
}

/**
 * How long a refusal asks the caller to wait before trying again, in ms: its Retry-After
 * (seconds, or an HTTP date; the SDK also keeps it as `retryAfterSeconds`). Undefined when it
 * names no time.
 */
export function retryAfterMs(err: unknown): number | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as { retryAfterSeconds?: unknown; $response?: { headers?: Record<string, string | undefined> } };
  const header = e.retryAfterSeconds ?? e.$response?.headers?.['retry-after'];
  if (header === undefined || header === null || header === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const at = Date.parse(String(header));
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

/**
 * Calls `fn` until it succeeds, retrying while AWS refuses because the resource is busy or a
 * rate quota is spent (`busy` says which refusals those are): each pause backs off, and is at
 * least as long as the refusal's Retry-After. `beforeRetry` runs after each pause (an SDK
 * waiter for the resource to settle, say). After the deadline the last refusal is thrown.
 */
export async function retryWhileBusy<T>(
  fn: () => Promise<T>,
  options: Backoff & {
    busy: (err: unknown) => boolean;
    /** Said once, at the first retry: what we wait for and why. */
    waitingMessage?: string;
    beforeRetry?: () => Promise<void>;
  },
): Promise<T> {
  const giveUpAt = Date.now() + options.deadlineMs;
  let attempt = 0;
  for (const backoff of pauses(options)) {
    try {
      return await fn();
    } catch (err) {
      if (!options.busy(err)) throw err;
      const pause = Math.max(backoff, retryAfterMs(err) ?? 0);
      if (Date.now() + pause > giveUpAt) throw err;
      if (++attempt === 1 && options.waitingMessage) warn(options.waitingMessage);
      await delay(pause);
      await options.beforeRetry?.();
    }
  }
  throw new Error('unreachable');
}
