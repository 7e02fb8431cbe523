/**
 * `npm run status`: where the learner is. Per step: the blanks left in steps/ (read from disk),
 * whether the step is deployed (its own resources exist), and whether its check passes; then the
 * one next command. By default the checks look at the configuration only (describe calls:
 * seconds, even on AWS); with `--deep` at the behaviour too — probes through the queue, the
 * functions, the topic and the table, which takes minutes on AWS.
 *
 * A step is ✔ only when no blank is left and its check passed; ○ has blanks to fill in, or waits
 * for an earlier step (its check stopped at something that step makes); ✘ says what is wrong
 * (never the title of the verification that failed, which states what should be true); – says
 * what could not be verified (a skipped verification is never a pass).
 */
import { loadCheck, runCheck, type CheckOutcome, type CheckResult } from '../checks/kit.ts';
import { resolveTarget } from '../lib/config.ts';
import { WorkbookError } from '../lib/errors.ts';
import { ensureTargetAnswers } from '../lib/localCloud.ts';
import { isMainModule, runMain } from '../lib/main.ts';
import { captureOutput, cmd, colors, dim, fail, heading, next, ok, say, skipped } from '../lib/output.ts';
import { STEPS, learnersBlanks, type Step } from '../lib/steps.ts';
import type { Blank } from '../lib/todo.ts';

export interface StatusOptions {
  /** Also run the behaviour verifications (minutes on AWS). */
  deep: boolean;
}

export function parseStatusArgs(args: string[]): StatusOptions {
  const unknown = args.filter((arg) => arg !== '--deep');
  if (unknown.length > 0) throw new WorkbookError(`npm run status does not know ${unknown.join(' ')}.`, 'Run `npm run status` (configuration only) or `npm run status -- --deep` (behaviour too).');
  return { deep: args.includes('--deep') };
}

/** One step's line: what is wrong, or what could not be verified, in the check's own words. */
export function statusLine(step: { number: number; title: string }, outcome: CheckOutcome | undefined, error?: unknown): { mark: 'pass' | 'fail' | 'incomplete'; text: string } {
  const label = `step ${step.number}  ${step.title}`;
  if (!outcome) return { mark: 'fail', text: `${label}: the check stopped: ${error instanceof Error ? error.message : String(error)}` };
  if (outcome.verdict === 'pass') return { mark: 'pass', text: label };
  const first = firstOf(outcome.results, outcome.verdict === 'fail' ? 'fail' : 'skip');
  if (outcome.verdict === 'fail') return { mark: 'fail', text: `${label}: ${first ? firstSentence(first.wrong ?? first.label) : 'a verification failed'}` };
  return {
    mark: 'incomplete',
    text: `${label}: incomplete, not verified: ${first ? `${first.label} (${firstSentence(first.wrong ?? '')})` : 'nothing could be verified'}`,
  };
}

const firstOf = (results: CheckResult[], outcome: CheckResult['outcome']) => results.find((r) => r.outcome === outcome);

/** The first sentence of a check's message, for a one-line summary. */
function firstSentence(text: string): string {
  const match = /^(.*?[.:!?])(\s|$)/.exec(text);
  const sentence = (match ? match[1] : text).replace(/[.:]$/, '');
  return sentence.length > 200 ? `${sentence.slice(0, 200)}…` : sentence;
}

/** Whether a step's own resources exist, as its configuration check found (the verifications made with t.exists). */
export type Deployed = 'yes' | 'partly' | 'no' | 'nothing to deploy' | 'not checked';

export function deployedOf(outcome: CheckOutcome | undefined): Deployed {
  const own = outcome?.results.filter((r) => r.resource) ?? [];
  if (own.length === 0) return outcome?.verdict === 'pass' ? 'nothing to deploy' : 'not checked';
  const found = own.filter((r) => r.outcome === 'pass').length;
  if (found === own.length) return 'yes';
  return found === 0 ? 'no' : 'partly';
}

/** Everything `npm run status` knows about one step. */
export interface StepStatus {
  step: Pick<Step, 'number' | 'title' | 'folder'>;
  /** The todo() calls left in steps/ (undefined: the step's folder could not be read). */
  blanks: Blank[] | undefined;
  outcome?: CheckOutcome;
  /** Why the check could not run to its end (an exception, not a ✘). */
  error?: unknown;
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/** Done: no blank left, and the check passed. */
const isDone = (s: StepStatus) => s.blanks?.length === 0 && s.outcome?.verdict === 'pass';

/**
 * The step's head line (mark and text) and the line under it: blanks · deployed · check.
 * `waitingFor`: the first earlier step not done, if any.
 */
export function describeStep(s: StepStatus, waitingFor?: number): { mark: 'pass' | 'fail' | 'incomplete' | 'todo'; text: string; detail: string } {
  const line = statusLine(s.step, s.outcome, s.error);
  const deployed = deployedOf(s.outcome);
  const blanks = s.blanks === undefined
    ? `steps/${s.step.folder} cannot be read`
    : s.blanks.length === 0 ? 'none left' : `${s.blanks.length} left, the first at ${s.blanks[0].file}:${s.blanks[0].line}`;
  const check = !s.outcome ? 'stopped' : s.outcome.verdict === 'pass' ? 'passes' : s.outcome.verdict === 'fail' ? 'fails' : 'incomplete';
  const where = deployed === 'not checked' ? 'not checked (an earlier step is missing)' : deployed;
  const detail = `blanks: ${blanks} · deployed: ${where} · check: ${check}`;
  if (s.blanks && s.blanks.length > 0 && s.outcome) {
    // Still to do: the check's ✘ (nothing deployed yet, as a rule) says nothing the blank does not.
    return { mark: 'todo', text: `step ${s.step.number}  ${s.step.title}: ${plural(s.blanks.length, 'blank')} to fill in`, detail };
  }
  if (waitingFor !== undefined && s.outcome && s.outcome.verdict !== 'pass' && deployed === 'not checked') {
    // Its check stopped at something an earlier step makes: what is wrong is there, not here.
    return { mark: 'todo', text: `step ${s.step.number}  ${s.step.title}: waits for step ${waitingFor}, not done yet`, detail };
  }
  return { mark: line.mark, text: line.text, detail };
}

/** The one thing to do next, and the command it comes down to; undefined when every step is done. */
export function nextStep(statuses: StepStatus[]): { step: number; text: string } | undefined {
  const open = statuses.find((s) => !isDone(s));
  if (!open) return undefined;
  const n = open.step.number;
  const check = `npm run check:step-${n}`;
  if (open.blanks === undefined) return { step: n, text: `steps/${open.step.folder} is missing or unreadable: ${cmd(`npm run reset ${n}`)} brings its committed version back.` };
  if (open.blanks.length > 0) {
    const first = open.blanks[0];
    return { step: n, text: `fill in the blank at ${first.file}:${first.line} (${first.whatToWrite}), then run ${cmd(`npm run step:${n}`)}.` };
  }
  if (!open.outcome) return { step: n, text: `${cmd(check)} shows why the check stopped.` };
  if (deployedOf(open.outcome) === 'no') return { step: n, text: `step ${n} is not deployed yet: run ${cmd(`npm run step:${n}`)}.` };
  const problem = open.outcome.results.find((r) => r.outcome === 'fail') ?? open.outcome.results.find((r) => r.outcome === 'skip');
  if (!problem?.fix) return { step: n, text: `${cmd(check)} shows the details.` };
  // The check's own fix names the command that applies it; one that does not is followed by the check.
  const fix = problem.fix.replace(/[.\s]+$/, '');
  return { step: n, text: /npm run /.test(fix) ? `step ${n}: ${fix}.` : `step ${n}: ${fix}, then run ${cmd(check)}.` };
}

export async function status(options: StatusOptions): Promise<number> {
  await ensureTargetAnswers();
  const scope = options.deep ? 'configuration and behaviour' : 'configuration only';
  heading(`Workbook status on ${resolveTarget().label} (${scope})`);
  const statuses: StepStatus[] = [];
  for (const step of STEPS) {
    const check = await loadCheck(step.number);
    const { result: outcome, error } = await captureOutput(() => runCheck(check, { behaviour: options.deep }));
    const state: StepStatus = { step, blanks: learnersBlanks(step), outcome, error };
    const waitingFor = statuses.find((earlier) => !isDone(earlier))?.step.number;
    statuses.push(state);
    const { mark, text, detail } = describeStep(state, waitingFor);
    if (mark === 'pass') ok(text);
    else if (mark === 'fail') fail(dimAfterTitle(text, step));
    else if (mark === 'todo') say(`${colors.blue('○')} ${dimAfterTitle(text, step)}`);
    else skipped(dimAfterTitle(text, step));
    say(`    ${dim(detail)}`);
  }

  if (!options.deep) say(dim(`\n  Behaviour (orders through the pipeline) was not tried: ${cmd('npm run status -- --deep')} does, in minutes on AWS.`));
  const following = nextStep(statuses);
  if (!following) {
    next(`every step of this edition passes${options.deep ? '' : ' (configuration)'}. ${cmd('npm run teardown')} removes it all when you are done.`);
    return 0;
  }
  next(following.text);
  return 0;
}

function dimAfterTitle(text: string, step: { number: number; title: string }): string {
  const head = `step ${step.number}  ${step.title}`;
  return text.startsWith(head) ? `${head}${dim(text.slice(head.length))}` : text;
}

if (isMainModule(import.meta.url)) void runMain(async () => status(parseStatusArgs(process.argv.slice(2))));
