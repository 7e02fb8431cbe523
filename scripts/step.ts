/**
 * `npm run step:N` runs the learner's script in steps/; `npm run solution:N` the reference in
 * solutions/. Usage: node --import tsx scripts/step.ts N [--solution]
 */
import { runMain } from '../lib/main.ts';
import { fail, hint } from '../lib/output.ts';
import { STEPS, runStep } from '../lib/steps.ts';

const args = process.argv.slice(2);
const number = Number(args.find((a) => /^\d+$/.test(a)));

void runMain(async () => {
  if (!Number.isInteger(number)) {
    fail('Which step? Give its number.');
    hint(`npm run step:${STEPS.at(-1)!.number} (steps: ${STEPS.map((s) => s.number).join(', ')})`);
    return 2;
  }
  return runStep(args.includes('--solution') ? 'solutions' : 'steps', number);
});
