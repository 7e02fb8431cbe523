/**
 * `npm run reset N`: step N's files back to their blanks, as committed in git, after a copy of
 * your version is saved under .workbook/backups/. `-- --dry-run` only says what it would do;
 * `-- --from REV` takes the blanks from another commit (when your answers were committed).
 * Usage: node --import tsx scripts/reset.ts N [--dry-run] [--from REV]
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { displayPath, repoRoot } from '../lib/config.ts';
import { WorkbookError } from '../lib/errors.ts';
import { HINTS } from '../hints/index.ts';
import { runMain } from '../lib/main.ts';
import { cmd, detail, fail, hint, ok, say, skipped } from '../lib/output.ts';
import { findStep, stepFolder, type Step } from '../lib/steps.ts';

interface Options {
  number: number;
  dryRun: boolean;
  from: string;
}

function parseArguments(args: string[]): Options | string {
  let number: number | undefined;
  let dryRun = false;
  let from = 'HEAD';
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (/^\d+$/.test(arg) && number === undefined) number = Number(arg);
    else if (arg === '--dry-run') dryRun = true;
    else if (arg === '--from' && args[i + 1] && !args[i + 1].startsWith('-')) from = args[++i];
    else return arg === '--from' ? '--from needs a commit (a hash, a tag or a branch).' : `Not understood: ${arg}`;
  }
  if (number === undefined) return 'Which step? Give its number.';
  return { number, dryRun, from };
}

type FileState = { path: string; committed: Buffer; state: 'same' | 'changed' | 'missing' };

void runMain(async () => {
  const options = parseArguments(process.argv.slice(2));
  if (typeof options === 'string') {
    fail(options);
    hint(`${cmd('npm run reset 1')} (or ${cmd('npm run reset 1 -- --dry-run')} to see what it would do)`, 'usage');
    return 2;
  }
  const step = findStep(options.number);
  const commit = committedRevision(options.from);
  const files = committedFiles(step, commit).map((path): FileState => {
    const committed = git(['show', `${commit}:${path}`]);
    const local = join(repoRoot, path);
    if (!existsSync(local)) return { path, committed, state: 'missing' };
    return { path, committed, state: sameText(readFileSync(local), committed) ? 'same' : 'changed' };
  });
  refuseWithoutBlanks(step, files, options.from);

  const folder = `steps/${step.folder}`;
  const extra = filesUnder(stepFolder('steps', step)).filter((path) => !files.some((f) => f.path === path));
  const toRestore = files.filter((f) => f.state !== 'same');
  for (const path of extra) skipped(`${path}: yours, not part of the step; left as it is`);
  if (toRestore.length === 0) {
    ok(`${folder} is already as committed (${files.length} file(s), blanks and all): nothing to reset.`);
    return 0;
  }

  const changed = toRestore.filter((f) => f.state === 'changed');
  const backup = backupFolder(step);
  if (options.dryRun) {
    say(`Dry run: nothing is changed. ${cmd(`npm run reset ${step.number}`)} would:`);
    if (changed.length) say(`  save your version of ${changed.length} file(s) in ${displayPath(backup)}/`);
    for (const f of toRestore) say(`  restore ${f.path} (${f.state === 'missing' ? 'deleted here' : 'changed here'})`);
    return 0;
  }

  if (changed.length) {
    for (const f of changed) {
      const copy = join(backup, relative(folder, f.path));
      mkdirSync(dirname(copy), { recursive: true });
      cpSync(join(repoRoot, f.path), copy, { preserveTimestamps: true });
    }
    ok(`Saved your version of ${changed.length} file(s) in ${displayPath(backup)}/`);
  }
  for (const f of toRestore) {
    writeFileSync(join(repoRoot, f.path), f.committed);
    ok(`${f.path}: back to its blanks${f.state === 'missing' ? ' (it was deleted)' : ''}`);
  }
  if (changed.length) detail(`To take your version back: cp -r ${displayPath(backup)}/. ${folder}/`);
  say(`\nNext: ${cmd(`npm run hint ${step.number}`)} for a first hint, or ${cmd(`npm run watch ${step.number}`)} while you fill the blanks.`);
  return 0;
});

/** Runs git in the repository; its output as bytes. */
function git(args: string[]): Buffer {
  return execFileSync('git', args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}

/** The commit to take the blanks from; says so when this is no git checkout, or REV is no commit. */
function committedRevision(from: string): string {
  let top: string;
  try {
    top = git(['rev-parse', '--show-toplevel']).toString().trim();
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new WorkbookError(
      missing ? 'reset needs git, which is not installed.' : `reset takes the blanks from git, and ${repoRoot} is not a git checkout.`,
      missing
        ? 'Install git (https://git-scm.com/downloads), or copy the step\'s folder from a fresh download of the workbook.'
        : 'Get the workbook with `git clone`, or copy the step\'s folder from a fresh download of the workbook.',
    );
  }
  if (realpathSync(top) !== realpathSync(repoRoot)) {
    throw new WorkbookError(`reset takes the blanks from git, and ${repoRoot} is not the top of a git checkout (that is ${top}).`, 'Get the workbook with `git clone`.');
  }
  try {
    return git(['rev-parse', '--verify', '--quiet', `${from}^{commit}`]).toString().trim();
  } catch {
    throw new WorkbookError(`"${from}" is not a commit in this repository.`, 'Give a commit hash, a tag or a branch: `git log --oneline -- steps/` lists the commits that changed the steps.');
  }
}

function committedFiles(step: Step, commit: string): string[] {
  const listing = git(['ls-tree', '-r', '-z', '--name-only', commit, '--', `steps/${step.folder}/`]).toString();
  const files = listing.split('\0').filter(Boolean);
  if (files.length === 0) {
    throw new WorkbookError(`steps/${step.folder} is not in git's commit ${commit.slice(0, 12)}.`, 'Give a commit that holds it: `npm run reset N -- --from REV`.');
  }
  return files;
}

/** A committed copy without a single blank, for a step that has blanks, means the answers were committed. */
function refuseWithoutBlanks(step: Step, files: FileState[], from: string): void {
  const expected = HINTS.get(step.number)?.length ?? 0;
  const blanks = files.filter((f) => f.path.endsWith('.ts') && f.committed.toString('utf8').includes('todo(')).length;
  if (expected > 0 && blanks === 0) {
    throw new WorkbookError(
      `The copy of steps/${step.folder} in ${from} has no blanks (were your answers committed?): reset would not bring them back.`,
      `Give the commit that has them: ${cmd(`npm run reset ${step.number} -- --from REV`)} (\`git log --oneline -- steps/${step.folder}\` lists the candidates). Nothing was changed.`,
    );
  }
}

/** The same text, whatever the line endings (git may check files out with CRLF). */
function sameText(a: Buffer, b: Buffer): boolean {
  return a.equals(b) || a.toString('utf8').replace(/\r\n/g, '\n') === b.toString('utf8').replace(/\r\n/g, '\n');
}

/** .workbook/backups/01-queue-2025-06-01T14-03-22-123Z, never an existing folder. */
function backupFolder(step: Step): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const base = join(repoRoot, '.workbook', 'backups', `${step.folder}-${stamp}`);
  let folder = base;
  for (let n = 2; existsSync(folder); n++) folder = `${base}-${n}`;
  return folder;
}

/** Files in a folder, as repository paths ("steps/01-queue/deploy.ts"). */
function filesUnder(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(repoRoot, join(entry.parentPath, entry.name)).split('\\').join('/'))
    .sort();
}
