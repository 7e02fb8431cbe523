/**
 * `npm run status`: runs every step's check quietly and shows which pass, then the next thing
 * to do. By default only the configuration (describe calls: seconds, even on AWS); with
 * `--deep` the behaviour too — probes through the queue, the functions, the topic and the table,
 * which takes minutes on AWS.
 *
 * A step is ✔ only when its check passed; ✘ says what is wrong (never the title of the
 * verification that failed, which states what should be true); – says what could not be
 * verified (a skipped verification is never a pass).
 */
import { loadCheck, runCheck, type CheckOutcome, type CheckResult } from '../checks/kit.ts';
import { resolveTarget } from '../lib/config.ts';
import { WorkbookError } from '../lib/errors.ts';
import { ensureTargetAnswers } from '../lib/localCloud.ts';
import { isMainModule, runMain } from '../lib/main.ts';
import { captureOutput, cmd, dim, fail, heading, next, ok, say, skipped } from '../lib/output.ts';
import { STEPS } from '../lib/steps.ts';

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

export async function status(options: StatusOptions): Promise<number> {
  await ensureTargetAnswers();
  const scope = options.deep ? 'configuration and behaviour' : 'configuration only';
  heading(`Workbook status on ${resolveTarget().label} (${scope})`);
  let firstOpen: { step: number; outcome?: CheckOutcome } | undefined;
  for (const step of STEPS) {
    const check = await loadCheck(step.number);
    const { result: outcome, error } = await captureOutput(() => runCheck(check, { behaviour: options.deep }));
    const line = statusLine(step, outcome, error);
    if (line.mark === 'pass') ok(line.text);
    else if (line.mark === 'fail') fail(dimAfterTitle(line.text, step));
    else skipped(dimAfterTitle(line.text, step));
    if (line.mark !== 'pass') firstOpen ??= { step: step.number, outcome };
  }

  if (!options.deep) say(dim(`\n  Behaviour (orders through the pipeline) was not tried: ${cmd('npm run status -- --deep')} does, in minutes on AWS.`));
  if (!firstOpen) {
    next(`every step of this edition passes${options.deep ? '' : ' (configuration)'}. ${cmd('npm run teardown')} removes it all when you are done.`);
    return 0;
  }
  const { step, outcome } = firstOpen;
  const problem = outcome?.results.find((r) => r.outcome === 'fail') ?? outcome?.results.find((r) => r.outcome === 'skip');
  say();
  if (problem?.fix) say(`Step ${step}: ${problem.fix}`);
  next(`${cmd(`npm run check:step-${step}`)} shows the details.`);
  return 0;
}

function dimAfterTitle(text: string, step: { number: number; title: string }): string {
  const head = `step ${step.number}  ${step.title}`;
  return text.startsWith(head) ? `${head}${dim(text.slice(head.length))}` : text;
}

if (isMainModule(import.meta.url)) void runMain(async () => status(parseStatusArgs(process.argv.slice(2))));
