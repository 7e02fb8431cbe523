import { runCheck, type CheckDefinition } from '../../checks/kit.ts';
import { captureOutput } from '../../lib/output.ts';
import type { TestCloud } from '../support/cloud.ts';

/**
 * Helpers for the tests of steps 2 and 3: most deploys and checks run in this process (a child
 * process each costs a second of CPU), aimed at the test cloud through the environment, as
 * the scripts are.
 */

/** Aims this process at the test cloud, as `npm run …` would be with cloud.env. */
export function aimAt(cloud: TestCloud): void {
  for (const [key, value] of Object.entries(cloud.env)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
}

/** Runs `fn` with WORKBOOK_PREFIX set (the default prefix when undefined). */
export async function withPrefix<T>(prefix: string | undefined, fn: () => Promise<T>): Promise<T> {
  const before = process.env.WORKBOOK_PREFIX;
  if (prefix) process.env.WORKBOOK_PREFIX = prefix;
  else delete process.env.WORKBOOK_PREFIX;
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env.WORKBOOK_PREFIX;
    else process.env.WORKBOOK_PREFIX = before;
  }
}

/** Runs a solution's deploy() in this process; its output, or the error it threw (with its output). */
export async function deploy(step: 1 | 2 | 3, prefix?: string): Promise<string> {
  const modules: Record<1 | 2 | 3, () => Promise<{ deploy: () => Promise<unknown> }>> = {
    1: () => import('../../solutions/01-queue/deploy.ts'),
    2: () => import('../../solutions/02-intake-lambda/deploy.ts'),
    3: () => import('../../solutions/03-api/deploy.ts'),
  };
  const { deploy: run } = await modules[step]();
  const { error, lines } = await withPrefix(prefix, () => captureOutput(run));
  if (error) throw Object.assign(error as Error, { output: lines.join('\n') });
  return lines.join('\n');
}

/** A check's output, run in this process. */
export async function checkInProcess(check: CheckDefinition, prefix?: string): Promise<{ passed: boolean; stdout: string }> {
  const { result, error, lines } = await withPrefix(prefix, () => captureOutput(() => runCheck(check)));
  if (error) throw error;
  return { passed: result!.passed, stdout: lines.join('\n') };
}

/** The local cloud's fault switches (POST /_localcloud/faults). */
export async function setFaults(cloud: TestCloud, settings: { roleNotAssumableFor?: number }): Promise<Record<string, number>> {
  const response = await cloud.control('faults', { method: 'POST', body: JSON.stringify(settings) });
  if (!response.ok) throw new Error(`POST /_localcloud/faults answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as Record<string, number>;
}

export async function faults(cloud: TestCloud): Promise<Record<string, number>> {
  return (await (await cloud.control('faults')).json()) as Record<string, number>;
}
