import { errorName, hintFor } from '../lib/errors.ts';
import { ensureTargetAnswers } from '../lib/localCloud.ts';
import { isMainModule, runMain } from '../lib/main.ts';
import { bold, cmd, deferred as deferredLine, fail, heading, hint, next, ok, say, skipped, warn } from '../lib/output.ts';
import { STEPS, learnersBlanks } from '../lib/steps.ts';
import type { Blank } from '../lib/todo.ts';

/**
 * The check kit: a check is a list of verifications, each printed as it completes — ✔, or ✘
 * with what is wrong and how to fix it (a file, a setting or a command).
 *
 * Outcomes, and what they make of the step:
 * - ✔ pass, ! warn (passes, with a note): verified.
 * - ✘ fail: wrong, and how to fix it. The step fails (exit code 1).
 * - – skipped: the verification could not run now (messages of someone else's on the queue, a
 *   link above broken); why, and what to do. A skip is never a pass: with no ✘ the step is
 *   "incomplete" (exit code 2) until a run verifies everything.
 * - ↪ deferred: a later step's check verifies this now, in a way that includes it (once the
 *   monitor's mapping consumes the orders queue, check:step-5 proves delivery through it). The
 *   line names that check; the step passes on what it verified itself.
 *
 * Checks first look at configuration (describe calls), then at behaviour (invoke, send,
 * observe); `t.behaviourFollows()` marks the border, so that `npm run status` can stop there.
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
  outcome: 'pass' | 'fail' | 'skip' | 'warn' | 'deferred';
  /** For fail: what is wrong; for skip and warn: why; for deferred: which check verifies it, and how. */
  wrong?: string;
  /** For fail, skip (and warn): what to do. */
  fix?: string;
  /** Recorded by exists(): whether the step's own resource is there (what `npm run status` calls deployed). */
  resource?: true;
}

/** pass: everything verified; fail: at least one ✘; incomplete: no ✘, but something could not be verified. */
export type Verdict = 'pass' | 'fail' | 'incomplete';

export interface CheckOutcome {
  step: number;
  /** True only for the verdict "pass": a skipped verification never counts as passed. */
  passed: boolean;
  verdict: Verdict;
  /** False when the check stopped at its behaviour (configuration only, as `npm run status` runs it). */
  behaviourTried: boolean;
  results: CheckResult[];
}

/** The exit code of `npm run check:step-N`: 0 passed, 1 failed, 2 incomplete (something was skipped). */
export const EXIT_CODE: Record<Verdict, number> = { pass: 0, fail: 1, incomplete: 2 };

export interface RunOptions {
  /** Run the behaviour verifications too (the default); false stops at t.behaviourFollows(). */
  behaviour?: boolean;
}

/** The verdict of a list of results. */
export function verdictOf(results: CheckResult[]): Verdict {
  if (results.some((r) => r.outcome === 'fail')) return 'fail';
  if (results.some((r) => r.outcome === 'skip')) return 'incomplete';
  return results.some((r) => r.outcome === 'pass' || r.outcome === 'warn') ? 'pass' : 'incomplete';
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
/** Thrown by behaviourFollows() when only the configuration is checked. */
class ConfigurationOnly extends StopCheck {}

export class Checker {
  readonly results: CheckResult[] = [];

  constructor(readonly options: RunOptions = {}) {}

  /** True when the behaviour verifications run (false for `npm run status` without --deep). */
  get behaviour(): boolean {
    return this.options.behaviour !== false;
  }

  /** The border between configuration and behaviour: a configuration-only run stops here. */
  behaviourFollows(): void {
    if (!this.behaviour) throw new ConfigurationOnly();
  }

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

  /**
   * Like require(), for a resource the step itself creates (not a prerequisite from an earlier
   * step): whether it passed is whether the step is deployed, as `npm run status` shows it.
   */
  async exists<T>(label: string, verify: () => Promise<T> | T): Promise<T> {
    const before = this.results.length;
    try {
      return await this.require(label, verify);
    } finally {
      if (this.results[before]) this.results[before].resource = true;
    }
  }

  /**
   * A verification that cannot run now: why, and what to do so that it can. It does not fail
   * the check, but the check is incomplete (never passed) until a run verifies it.
   */
  skip(label: string, why: string, todo = 'fix what the ✘ above says, then run the check again.'): void {
    this.record({ label, outcome: 'skip', wrong: why, fix: todo });
  }

  /** A verification that a later step's check makes now, in a way that includes it (`by`: which, and how). */
  deferred(label: string, by: string): void {
    this.record({ label, outcome: 'deferred', wrong: by });
  }

  /** Passes, with advice worth reading. */
  warn(label: string, why: string, fix?: string): void {
    this.record({ label, outcome: 'warn', wrong: why, fix });
  }

  private record(result: CheckResult): void {
    this.results.push(result);
    if (result.outcome === 'pass') ok(result.label);
    else if (result.outcome === 'skip') {
      skipped(`${result.label} (skipped: not verified)`);
      hint(result.wrong!, 'why');
      hint(result.fix!, 'to do');
    } else if (result.outcome === 'deferred') {
      deferredLine(`${result.label} (verified by a later check)`);
      hint(result.wrong!, 'by');
    } else if (result.outcome === 'warn') {
      warn(result.label);
      hint(result.wrong!, 'note');
      if (result.fix) hint(result.fix);
    } else {
      fail(result.label);
      hint(result.wrong!, 'wrong');
      hint(result.fix!);
    }
    const first = result.outcome === 'pass' || result.outcome === 'deferred' ? undefined : blankBefore(result.fix);
    if (first) hint(first, 'first');
  }
}

/**
 * When a fix says to run a step whose learner's copy still has a blank, that run would stop at the
 * blank: say so, rather than send the learner round by way of the step's own message.
 */
export function blankBefore(fix: string | undefined, blanksOf: (step: number) => Blank[] = blanksOfStep): string | undefined {
  const step = /`npm run step:(\d+)\b/.exec(fix ?? '')?.[1];
  if (step === undefined) return undefined;
  const [blank] = blanksOf(Number(step));
  return blank && `fill in the blank at ${blank.file}:${blank.line} (${blank.whatToWrite}): \`npm run step:${step}\` stops there until it is.`;
}

/** A step's folder that is gone has no blank to name: `npm run step:N` says so itself. */
function blanksOfStep(number: number): Blank[] {
  const step = STEPS.find((s) => s.number === number);
  return (step && learnersBlanks(step)) ?? [];
}

/** Runs a check and prints its lines and a summary. Assumes the target answers. */
export async function runCheck(definition: CheckDefinition, options: RunOptions = {}): Promise<CheckOutcome> {
  const { step } = definition;
  heading(`Check step ${step}: ${definition.title}`);
  const t = new Checker(options);
  let behaviourTried = t.behaviour;
  try {
    await definition.run(t);
  } catch (err) {
    if (err instanceof ConfigurationOnly) behaviourTried = false;
    else if (!(err instanceof StopCheck)) throw err;
  }
  const count = (...outcomes: CheckResult['outcome'][]) => t.results.filter((r) => outcomes.includes(r.outcome)).length;
  const failed = count('fail');
  const passed = count('pass', 'warn');
  const skips = count('skip');
  const deferred = count('deferred');
  const verdict = verdictOf(t.results);
  const later = deferred ? `; ${deferred} verified by a later step's check (↪)` : '';
  say();
  if (verdict === 'pass') {
    const scope = behaviourTried ? '' : ' (configuration only: behaviour not tried)';
    ok(bold(`Step ${step} passes: ${passed} verifications${later}${scope}.`));
    const following = STEPS.find((s) => s.number === step + 1);
    if (following) next(`read steps/${following.folder}/README.md, then ${cmd(`npm run step:${following.number}`)}.`);
    else next(`that is the last step in this edition. ${cmd('npm run teardown')} removes everything the workbook made.`);
  } else if (verdict === 'incomplete') {
    skipped(bold(`Step ${step} is incomplete: ${passed} verifications passed, ${skips} could not run${later}. Not passed yet.`));
    next(`do what the first "to do:" says, then run ${cmd(`npm run check:step-${step}`)} again.`);
  } else {
    fail(bold(`Step ${step}: ${failed} verification${failed === 1 ? '' : 's'} failed.`));
    next(`fix what the first ✘ says, then run ${cmd(`npm run check:step-${step}`)} again.`);
  }
  return { step, passed: verdict === 'pass', verdict, behaviourTried, results: t.results };
}

/** The last line of checks/step-N.ts: when run as a script, check and exit 0 only if all passed (2: incomplete). */
export function runCheckWhenExecuted(moduleUrl: string, definition: CheckDefinition): void {
  if (!isMainModule(moduleUrl)) return;
  void runMain(async () => {
    await ensureTargetAnswers();
    const outcome = await runCheck(definition);
    return EXIT_CODE[outcome.verdict];
  });
}

/** Loads checks/step-N.ts (for `npm run status` and the tour, which run checks in-process). */
export async function loadCheck(step: number): Promise<CheckDefinition> {
  const module = (await import(`./step-${step}.ts`)) as { check?: CheckDefinition };
  if (!module.check) throw new Error(`checks/step-${step}.ts does not export "check"`);
  return module.check;
}
