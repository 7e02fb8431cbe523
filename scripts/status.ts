/**
 * `npm run status`: runs every step's check quietly and shows which pass, then the next thing
 * to do.
 */
import { loadCheck, runCheck, type CheckOutcome } from '../checks/kit.ts';
import { resolveTarget } from '../lib/config.ts';
import { ensureTargetAnswers } from '../lib/localCloud.ts';
import { runMain } from '../lib/main.ts';
import { captureOutput, cmd, dim, fail, heading, next, ok, say } from '../lib/output.ts';
import { STEPS } from '../lib/steps.ts';

void runMain(async () => {
  await ensureTargetAnswers();
  heading(`Workbook status on ${resolveTarget().label}`);
  let firstFailing: { step: number; outcome?: CheckOutcome } | undefined;
  for (const step of STEPS) {
    const check = await loadCheck(step.number);
    const { result: outcome, error } = await captureOutput(() => runCheck(check));
    const label = `step ${step.number}  ${step.title}`;
    if (outcome?.passed) {
      ok(label);
      continue;
    }
    const problem = outcome?.results.find((r) => r.outcome === 'fail');
    fail(`${label}  ${dim(problem ? problem.label : String(error))}`);
    firstFailing ??= { step: step.number, outcome };
  }

  if (!firstFailing) {
    next(`every step of this edition passes. ${cmd('npm run teardown')} removes it all when you are done.`);
    return 0;
  }
  const { step, outcome } = firstFailing;
  const problem = outcome?.results.find((r) => r.outcome === 'fail');
  say();
  if (problem?.fix) say(`Step ${step}: ${problem.fix}`);
  next(`${cmd(`npm run check:step-${step}`)} shows the details.`);
  return 0;
});
