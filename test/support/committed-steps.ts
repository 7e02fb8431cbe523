import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const TODO_CALL = /\btodo\(/g;

/**
 * The folder the workbook's scripts run in during tests. Normally the repository itself. When
 * a learner has filled blanks in steps/ (a file there holds fewer todo() calls than its committed
 * version), it is a copy of the repository whose steps/ are the committed ones, so the tests of
 * "an untouched step stops at its blank" and "steps/ mirror solutions/" hold whatever progress
 * the learner made. A maintainer's edits to steps/ that keep their blanks are tested as they are.
 */
export function scriptRoot(repoRoot: string): string {
  if (process.env.WORKBOOK_TEST_STEPS === 'worktree') return repoRoot;
  if (filledFiles(repoRoot).length === 0) return repoRoot;
  const copy = copyOfRepository(repoRoot, 'workbook-committed-steps-');
  process.once('exit', () => rmSync(copy, { recursive: true, force: true }));
  return copy;
}

/**
 * A copy of the repository as a learner gets it: every file git tracks (or would track) as it
 * is now, node_modules linked — but steps/ with its blanks, as committed, when a learner has
 * filled some in the repository itself.
 */
export function copyOfRepository(repoRoot: string, prefix = 'workbook-copy-'): string {
  const copy = mkdtempSync(join(tmpdir(), prefix));
  const committedSteps = process.env.WORKBOOK_TEST_STEPS !== 'worktree' && filledFiles(repoRoot).length > 0;
  for (const file of git(repoRoot, ['ls-files', '-z', '--cached', '--others', '--exclude-standard']).split('\0')) {
    if (!file || file === 'node_modules' || !existsSync(join(repoRoot, file))) continue;
    if (committedSteps && file.startsWith('steps/')) continue;
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    copyFileSync(join(repoRoot, file), join(copy, file));
  }
  if (committedSteps) {
    execFileSync('tar', ['-x', '-C', copy], { input: execFileSync('git', ['archive', 'HEAD', 'steps'], { cwd: repoRoot }) });
  }
  symlinkSync(join(repoRoot, 'node_modules'), join(copy, 'node_modules'), 'dir');
  return copy;
}

/** steps/ files with fewer blanks than committed: a learner's answers. */
export function filledFiles(repoRoot: string): string[] {
  let changed: string;
  try {
    changed = git(repoRoot, ['diff', '--name-only', 'HEAD', '--', 'steps']);
  } catch {
    return []; // not a git checkout: test what is there
  }
  return changed
    .split('\n')
    .filter(Boolean)
    .filter((file) => {
      const committed = blanksIn(gitShow(repoRoot, file));
      const now = existsSync(join(repoRoot, file)) ? blanksIn(readFileSync(join(repoRoot, file), 'utf8')) : 0;
      return now < committed;
    });
}

function blanksIn(text: string): number {
  return text.match(TODO_CALL)?.length ?? 0;
}

function gitShow(repoRoot: string, file: string): string {
  try {
    return git(repoRoot, ['show', `HEAD:${file}`]);
  } catch {
    return '';
  }
}

function git(cwd: string, args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * 1024 * 1024 });
}
