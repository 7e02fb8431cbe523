import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { discoverAwsRegion, loadDotEnv } from './config.ts';
import { WorkbookError, errorName, hintFor } from './errors.ts';
import { cmd, fail, hint, say } from './output.ts';
import { TodoError } from './todo.ts';

/** True when node was asked to run this very file (not when another module imports it). */
export function isMainModule(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

/**
 * Runs a script's body: loads `.env` (and the AWS profile's region when the target needs it),
 * turns any error into ✘ + what to do, and sets the exit code (the body's return value, else 0;
 * 1 on error).
 */
export async function runMain(body: () => Promise<number | void>): Promise<void> {
  try {
    loadDotEnv();
    await discoverAwsRegion(); // the AWS profile's region, for WORKBOOK_TARGET=aws without AWS_REGION
    process.exitCode = (await body()) ?? 0;
  } catch (err) {
    printError(err);
    process.exitCode = 1;
  }
}

export function printError(err: unknown, rerun?: string): void {
  if (err instanceof TodoError) {
    printBlank(err.location ? `${err.location.file}:${err.location.line}` : 'a blank', err.whatToWrite, rerun);
    return;
  }
  if (err instanceof WorkbookError) {
    fail(err.message);
    if (err.hint) hint(err.hint);
    return;
  }
  const message = err instanceof Error ? err.message : String(err);
  fail(`${errorName(err)}: ${message}`);
  const advice = hintFor(err);
  if (advice) hint(advice);
  if (process.env.WORKBOOK_DEBUG && err instanceof Error) say(err.stack ?? '');
  else say('  (set WORKBOOK_DEBUG=1 to see the stack trace)');
}

/** A blank left in a learner's file: where it is, what to write, how to go on. */
export function printBlank(where: string, whatToWrite: string, rerun?: string, nothingRan = false): void {
  fail(`There is a blank to fill in at ${where}`);
  say(`    ${whatToWrite}`);
  const then = rerun ? `, then run ${cmd(rerun)} again` : '';
  hint(`open ${where}, replace the todo(…) call with your code${then}.`, 'do');
  if (nothingRan) say('  Nothing was created: a step stops before its first call while a blank is left.');
}
