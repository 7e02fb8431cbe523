import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { repoRoot } from './config.ts';
import { WorkbookError } from './errors.ts';
import { ensureTargetAnswers } from './localCloud.ts';
import { isMainModule, printBlank, printError, runMain } from './main.ts';
import { say } from './output.ts';
import { findBlanks, type Blank } from './todo.ts';

/**
 * The workbook's steps. A new step is a folder in steps/ and solutions/, a line here, a
 * check in checks/step-N.ts and its resources in scripts/teardown.ts.
 */
export interface Step {
  number: number;
  /** Folder under steps/ and solutions/. */
  folder: string;
  title: string;
  /** The script `npm run step:N` runs, and the function it exports. */
  script: string;
  entry: string;
}

export const STEPS: readonly Step[] = [
  { number: 0, folder: '00-setup', title: 'Set up: target, identity, region', script: 'setup.ts', entry: 'setup' },
  {
    number: 1,
    folder: '01-queue',
    title: 'The orders queue and its dead-letter queue',
    script: 'deploy.ts',
    entry: 'deploy',
  },
  {
    number: 2,
    folder: '02-intake-lambda',
    title: 'The intake function, its role and its log group',
    script: 'deploy.ts',
    entry: 'deploy',
  },
  { number: 3, folder: '03-api', title: 'The REST API: POST /orders', script: 'deploy.ts', entry: 'deploy' },
  { number: 4, folder: '04-topic', title: 'The order-updates topic', script: 'deploy.ts', entry: 'deploy' },
  {
    number: 5,
    folder: '05-monitor-lambda',
    title: 'The monitor function and its event source mapping',
    script: 'deploy.ts',
    entry: 'deploy',
  },
  { number: 6, folder: '06-table', title: 'The order-events table', script: 'deploy.ts', entry: 'deploy' },
  {
    number: 7,
    folder: '07-recorder-lambda',
    title: 'The recorder function, its subscription and its permission',
    script: 'deploy.ts',
    entry: 'deploy',
  },
  { number: 8, folder: '08-end-to-end', title: 'Orders end to end, traced to the table', script: 'run.ts', entry: 'run' },
  {
    number: 9,
    folder: '09-order-status',
    title: 'Order status for customers: GET /orders/{orderId}',
    script: 'deploy.ts',
    entry: 'deploy',
  },
];

export type Edition = 'steps' | 'solutions';

export function findStep(number: number): Step {
  const step = STEPS.find((s) => s.number === number);
  if (!step) {
    throw new WorkbookError(
      `There is no step ${number}.`,
      `The steps are ${STEPS.map((s) => s.number).join(', ')}: run e.g. npm run step:${STEPS.at(-1)!.number}.`,
    );
  }
  return step;
}

export const stepFolder = (edition: Edition, step: Step) => join(repoRoot, edition, step.folder);

/** The blanks left in the learner's copy of a step (undefined when its folder is gone). */
export function learnersBlanks(step: Step): Blank[] | undefined {
  try {
    return findBlanks(stepFolder('steps', step));
  } catch {
    return undefined;
  }
}
export const rerunCommand = (edition: Edition, step: Step) =>
  `npm run ${edition === 'steps' ? 'step' : 'solution'}:${step.number}`;

/**
 * What `npm run step:N` / `solution:N` does: refuse while blanks are left (before anything is
 * created), make sure the target answers, then import the step's script and call its entry.
 * Returns the exit code.
 */
export async function runStep(edition: Edition, number: number): Promise<number> {
  const step = findStep(number);
  const folder = stepFolder(edition, step);
  return prepareAndRun(folder, rerunCommand(edition, step), async () => {
    const module = (await import(pathToFileURL(join(folder, step.script)).href)) as Record<string, unknown>;
    const entry = module[step.entry];
    if (typeof entry !== 'function') {
      throw new WorkbookError(
        `${edition}/${step.folder}/${step.script} does not export a function named ${step.entry}.`,
        `Keep the line "export async function ${step.entry}()" in that file.`,
      );
    }
    await (entry as () => Promise<unknown>)();
  });
}

/**
 * For the last line of a step script: run `entry` when the file itself is executed
 * (`node --import tsx steps/01-queue/deploy.ts`), with the same preparation as `npm run step:N`.
 */
export function runWhenExecuted(moduleUrl: string, entry: () => Promise<unknown>): void {
  if (!isMainModule(moduleUrl)) return;
  const folder = dirname(fileURLToPath(moduleUrl));
  const edition: Edition = basename(dirname(folder)) === 'solutions' ? 'solutions' : 'steps';
  const step = STEPS.find((s) => s.folder === basename(folder));
  const rerun = step ? rerunCommand(edition, step) : undefined;
  void runMain(() => prepareAndRun(folder, rerun, entry));
}

async function prepareAndRun(folder: string, rerun: string | undefined, run: () => Promise<unknown>): Promise<number> {
  const blanks = findBlanks(folder);
  if (blanks.length > 0) {
    const [first] = blanks;
    printBlank(`${first.file}:${first.line}`, first.whatToWrite, rerun, true);
    if (blanks.length > 1) say(`  This step has ${blanks.length - 1} more blank(s) after this one.`);
    return 1;
  }
  await ensureTargetAnswers();
  try {
    await run();
    return 0;
  } catch (err) {
    printError(err, rerun);
    return 1;
  }
}
