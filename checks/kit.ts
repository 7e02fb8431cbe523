import { errorName, hintFor } from '../lib/errors.ts';
import { ensureTargetAnswers } from '../lib/localCloud.ts';
import { isMainModule, runMain } from '../lib/main.ts';
import { bold, cmd, fail, heading, hint, next, ok, say, skipped, warn } from '../lib/output.ts';
import { STEPS } from '../lib/steps.ts';

/**
 * The check kit: a check is a list of verifications, each printed as it completes — ✔, or ✘
 * with what is wrong and how to fix it (a file, a setting or a command).
 *
 *   export const check = defineCheck({ step: 1, title: '…', async run(t) {
 *     const url = await t.require('the orders queue exists', () => findQueue(…));
 *     await t.item('long polling is on', async () => { if (…) problem('what is wrong', 'how to fix it'); });
 *   }});
 */
export interface CheckDefinition {
  step: number;
  title: string;
  run(t: Checker): Promise<void>;
}

export const defineCheck = (definition: CheckDefinition): CheckDefinition => definition;

export interface CheckResult {
  label: string;
  outcome: 'pass' | 'fail' | 'skip' | 'warn';
  /** For fail: what is wrong; for skip and warn: why. */
  wrong?: string;
  /** For fail (and warn): what to do. */
  fix?: string;
}

export interface CheckOutcome {
  step: number;
  passed: boolean;
  results: CheckResult[];
}

/** A verification failed: what is wrong, and how to fix it. */
export class Problem extends Error {
  constructor(
    readonly wrong: string,
    readonly fix: string,
  ) {
    super(wrong);
    this.name = 'Problem';
  }
}

export function problem(wrong: string, fix: string): never {
  throw new Problem(wrong, fix);
}

/** Thrown by require(): the verifications after it depend on what just failed. */
class StopCheck extends Error {}

export class Checker {
  readonly results: CheckResult[] = [];

  /** One verification: passes when `verify` returns, fails when it throws. Returns its value. */
  async item<T>(label: string, verify: () => Promise<T> | T): Promise<T | undefined> {
    try {
      const value = await verify();
      this.record({ label, outcome: 'pass' });
      return value;
    } catch (err) {
      if (err instanceof StopCheck) throw err;
      if (err instanceof Problem) {
        this.record({ label, outcome: 'fail', wrong: err.wrong, fix: err.fix });
        return undefined;
      }
      // An error nobody planned for (a permission, the network): report it, say what may help.
      this.record({
        label,
        outcome: 'fail',
        wrong: `${errorName(err)}: ${err instanceof Error ? err.message : String(err)}`,
        fix: hintFor(err) ?? 'Rerun with WORKBOOK_DEBUG=1 for details; if the message is unclear, compare your file with solutions/.',
      });
      if (/^E[A-Z]+$/.test(errorName(err))) throw new StopCheck(); // the target went away
      return undefined;
    }
  }

  /** Like item(), but the rest of the check depends on it: a failure stops the check here. */
  async require<T>(label: string, verify: () => Promise<T> | T): Promise<T> {
    const before = this.results.length;
    const value = await this.item(label, verify);
    if (this.results[before]?.outcome !== 'pass') throw new StopCheck();
    return value as T;
  }

  /** A verification that cannot run now, and why. Does not fail the check. */
  skip(label: string, why: string): void {
    this.record({ label, outcome: 'skip', wrong: why });
  }

  /** Passes, with advice worth reading. */
  warn(label: string, why: string, fix?: string): void {
    this.record({ label, outcome: 'warn', wrong: why, fix });
  }

  private record(result: CheckResult): void {
    this.results.push(result);
    if (result.outcome === 'pass') ok(result.label);
    else if (result.outcome === 'skip') {
      skipped(`${result.label} (skipped)`);
      hint(result.wrong!, 'why');
    } else if (result.outcome === 'warn') {
      warn(result.label);
      hint(result.wrong!, 'note');
      if (result.fix) hint(result.fix);
    } else {
      fail(result.label);
      hint(result.wrong!, 'wrong');
      hint(result.fix!);
    }
  }
}

/** Runs a check and prints its lines and a summary. Assumes the target answers. */
export async function runCheck(definition: CheckDefinition): Promise<CheckOutcome> {
  const { step } = definition;
  heading(`Check step ${step}: ${definition.title}`);
  const t = new Checker();
  try {
    await definition.run(t);
  } catch (err) {
    if (!(err instanceof StopCheck)) throw err;
  }
  const failed = t.results.filter((r) => r.outcome === 'fail').length;
  const passed = t.results.filter((r) => r.outcome === 'pass' || r.outcome === 'warn').length;
  const skips = t.results.filter((r) => r.outcome === 'skip').length;
  say();
  if (failed === 0 && passed > 0) {
    ok(bold(`Step ${step} passes: ${passed} verifications${skips ? `, ${skips} skipped` : ''}.`));
    const following = STEPS.find((s) => s.number === step + 1);
    if (following) next(`read steps/${following.folder}/README.md, then ${cmd(`npm run step:${following.number}`)}.`);
    else next(`that is the last step in this edition. ${cmd('npm run teardown')} removes everything the workbook made.`);
  } else {
    fail(bold(`Step ${step}: ${failed} verification${failed === 1 ? '' : 's'} failed.`));
    next(`fix what the first ✘ says, then run ${cmd(`npm run check:step-${step}`)} again.`);
  }
  return { step, passed: failed === 0 && passed > 0, results: t.results };
}

/** The last line of checks/step-N.ts: when run as a script, check and exit 0 only if all passed. */
export function runCheckWhenExecuted(moduleUrl: string, definition: CheckDefinition): void {
  if (!isMainModule(moduleUrl)) return;
  void runMain(async () => {
    await ensureTargetAnswers();
    const outcome = await runCheck(definition);
    return outcome.passed ? 0 : 1;
  });
}

/** Loads checks/step-N.ts (for `npm run status` and the tour, which run checks in-process). */
export async function loadCheck(step: number): Promise<CheckDefinition> {
  const module = (await import(`./step-${step}.ts`)) as { check?: CheckDefinition };
  if (!module.check) throw new Error(`checks/step-${step}.ts does not export "check"`);
  return module.check;
}
