/**
 * How patient a check must be with its target. The embedded local cloud answers every change at
 * once; an emulator in Docker (LocalStack) starts functions in seconds; AWS propagates
 * attributes, policies and subscriptions over seconds to a minute. Every wait of a check is
 * sized by this, never by "is it AWS?" alone.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { resolveTarget, type Target } from '../lib/config.ts';

export type Patience = 'instant' | 'emulator' | 'aws';

/** The target's patience: its own `timing` when it declares one, else what its kind implies. */
export function patience(target: Target = resolveTarget()): Patience {
  const declared = (target as Target & { timing?: Patience }).timing;
  if (declared === 'instant' || declared === 'emulator' || declared === 'aws') return declared;
  if (target.realAws) return 'aws';
  if (target.kind === 'local') return 'instant';
  return 'emulator';
}

/** The window for this target, from one value per patience. */
export function within(windows: Record<Patience, number>, target?: Target): number {
  return windows[patience(target)];
}

/**
 * Reads until `accept` takes the value or the window ends (backing off from 100 ms to 5 s), and
 * returns the last value read with whether it was accepted. A zero window reads once.
 */
export async function settle<T>(
  read: () => Promise<T>,
  accept: (value: T) => boolean,
  windowMs: number,
): Promise<{ value: T; settled: boolean; waitedMs: number }> {
  const started = Date.now();
  let pause = 100;
  for (;;) {
    const value = await read();
    const waitedMs = Date.now() - started;
    if (accept(value)) return { value, settled: true, waitedMs };
    if (waitedMs + pause > windowMs) return { value, settled: false, waitedMs };
    await delay(pause);
    pause = Math.min(pause * 2, 5_000);
  }
}
