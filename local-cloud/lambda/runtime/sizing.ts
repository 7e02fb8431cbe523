import { availableParallelism } from 'node:os';

/**
 * How many execution environments the local cloud keeps per function, and for how long.
 *
 * AWS runs each environment on capacity of its own, so scaling out is free there. Here every
 * sandbox is a Node process on the learner's cores: past one per core they only compete for CPU,
 * each with its own JIT and garbage collector to warm and its cold start (~0.3 s of CPU) to pay
 * off, and each costs ~60–80 MB. Measured with `npm run bench` on 2 cores: four per function
 * instead of two cost 70 % more memory and doubled the p99 of a cold burst, for 5 % less CPU
 * once warm. So invocations beyond the bound wait for a warm sandbox instead (what a learner can see of
 * Lambda's concurrency — reserved concurrency, throttling, a mapping's MaximumConcurrency — is
 * decided before this and stays as on AWS).
 */
export interface SandboxSizing {
  /** Sandboxes one function may have at once. */
  perFunction: number;
  /** An idle sandbox beyond a function's first is reclaimed after this long. */
  spareIdleMs: number;
  /** A function's last idle sandbox is reclaimed after this long (AWS keeps them some minutes too). */
  lastIdleMs: number;
}

export const SANDBOXES_PER_FUNCTION_VARIABLE = 'LOCAL_CLOUD_SANDBOXES_PER_FUNCTION';
export const SPARE_IDLE_VARIABLE = 'LOCAL_CLOUD_SPARE_SANDBOX_IDLE_SECONDS';

/** Lambda's own concurrency for one function's burst here: more than this would never help a laptop. */
const MAX_PER_FUNCTION = 10;
const DEFAULT_SPARE_IDLE_SECONDS = 30;
const LAST_IDLE_MS = 10 * 60_000;

/** The sizing from the environment, or the machine's defaults; a bad value is named, not ignored. */
export function sandboxSizing(env: NodeJS.ProcessEnv = process.env, cores = availableParallelism()): SandboxSizing {
  const perFunction = whole(env, SANDBOXES_PER_FUNCTION_VARIABLE, 1, MAX_PER_FUNCTION) ?? Math.min(Math.max(cores, 2), MAX_PER_FUNCTION);
  const spareIdleSeconds = whole(env, SPARE_IDLE_VARIABLE, 0, LAST_IDLE_MS / 1000) ?? DEFAULT_SPARE_IDLE_SECONDS;
  return { perFunction, spareIdleMs: spareIdleSeconds * 1000, lastIdleMs: LAST_IDLE_MS };
}

function whole(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < min || value > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}; it is "${text.slice(0, 40)}".`);
  }
  return value;
}
