/**
 * `npm run hint N`: the hints for the first blank still open in step N, one more each time you
 * ask. `-- --next` shows the next one; `-- --all` every hint of every blank of the step. Without
 * N: the first step with a blank left. What you have seen is kept in .workbook/hints.json.
 * Usage: node --import tsx scripts/hint.ts [N] [--next | --all]
 */
import { blanksOf, HintProgress, type HintedBlank } from '../lib/hints.ts';
import { runMain } from '../lib/main.ts';
import { bold, cmd, dim, fail, heading, hint, ok, say } from '../lib/output.ts';
import { findStep, STEPS, type Step } from '../lib/steps.ts';

const args = process.argv.slice(2);
const OPTIONS = new Set(['--next', '--all']);

void runMain(async () => {
  const unknown = args.filter((a) => !/^\d+$/.test(a) && !OPTIONS.has(a));
  const numbers = args.filter((a) => /^\d+$/.test(a));
  if (unknown.length > 0 || numbers.length > 1 || (args.includes('--next') && args.includes('--all'))) {
    fail(`Not understood: ${args.join(' ')}`);
    hint(`${cmd('npm run hint 1')}, ${cmd('npm run hint 1 -- --next')} or ${cmd('npm run hint 1 -- --all')}`, 'usage');
    return 2;
  }
  const progress = HintProgress.load();
  const step = numbers.length ? findStep(Number(numbers[0])) : firstStepWithBlanks();
  if (!step) {
    ok('Every blank of every step is filled.');
    say(`  To see a step's hints again: ${cmd('npm run hint N -- --all')}.`);
    return 0;
  }
  const blanks = blanksOf(step);
  if (blanks.length === 0) {
    ok(`Step ${step.number} (${step.title}) has no blanks: there is nothing to fill in.`);
    say(`  Run it with ${cmd(`npm run step:${step.number}`)}, then ${cmd(`npm run check:step-${step.number}`)}.`);
    return 0;
  }
  if (args.includes('--all')) {
    showAll(step, blanks, progress);
    progress.save();
    return 0;
  }
  const current = blanks.find((b) => b.open);
  if (!current) {
    ok(`Every blank of step ${step.number} is filled.`);
    say(`  Run ${cmd(`npm run step:${step.number}`)}, then ${cmd(`npm run check:step-${step.number}`)}; ${cmd(`npm run hint ${step.number} -- --all`)} shows every hint again.`);
    return 0;
  }
  showNext(step, blanks, current, progress, args.includes('--next'));
  progress.save();
  return 0;
});

function firstStepWithBlanks(): Step | undefined {
  return STEPS.find((step) => blanksOf(step).some((b) => b.open));
}

/** The hints seen so far for the blank, at least the first; one more with --next. */
function showNext(step: Step, blanks: HintedBlank[], current: HintedBlank, progress: HintProgress, more: boolean): void {
  const total = current.hints.hints.length;
  const before = progress.seenOf(current.key);
  const seen = Math.min(total, Math.max(1, before + (more ? 1 : 0)));
  progress.set(current.key, seen);
  const openCount = blanks.filter((b) => b.open).length;
  const index = blanks.indexOf(current) + 1;
  heading(`Step ${step.number}, blank ${index} of ${blanks.length} (${openCount} still open): ${current.hints.title}`);
  say(`  at ${cmd(`${current.open!.file}:${current.open!.line}`)}`);
  say(`  ${dim(current.open!.whatToWrite)}`);
  for (let i = 0; i < seen; i++) say(`\n${bold(`Hint ${i + 1} of ${total}:`)} ${current.hints.hints[i]}`);
  say('');
  if (more && before >= total) say('That was already the last hint for this blank.');
  if (seen < total) {
    say(`Stuck still? ${cmd(`npm run hint ${step.number} -- --next`)} shows hint ${seen + 1} of ${total}.`);
  } else {
    say(`No more hints for this blank. To compare, the complete file is in solutions/${step.folder}/${current.hints.file}.`);
  }
  say(`Filled it? ${cmd(`npm run step:${step.number}`)}, then ${cmd(`npm run check:step-${step.number}`)} (or ${cmd(`npm run watch ${step.number}`)} to re-run both on every save).`);
}

/** Every hint of every blank of the step, open or filled. */
function showAll(step: Step, blanks: HintedBlank[], progress: HintProgress): void {
  heading(`Step ${step.number}: every hint for its ${blanks.length} blank(s)`);
  for (const [i, blank] of blanks.entries()) {
    const where = blank.open ? `${blank.open.file}:${blank.open.line}` : `steps/${step.folder}/${blank.hints.file} (filled)`;
    say(`\n${bold(`Blank ${i + 1}: ${blank.hints.title}`)} — ${where}`);
    blank.hints.hints.forEach((text, n) => say(`  ${n + 1}. ${text}`));
    progress.set(blank.key, blank.hints.hints.length);
  }
}
