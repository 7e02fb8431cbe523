import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TodoError, findBlanks, todo } from '../../lib/todo.ts';
import { STEPS } from '../../lib/steps.ts';
import { lineOf, workRoot } from './support.ts';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [relative(dir, path)];
  });
}

/** Hunks where two line lists differ (longest common subsequence of lines). */
function differingHunks(a: string[], b: string[]): { a: string[]; b: string[] }[] {
  const lcs = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const hunks: { a: string[]; b: string[] }[] = [];
  let current: { a: string[]; b: string[] } | undefined;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      current = undefined;
      i++;
      j++;
      continue;
    }
    current ??= hunks[hunks.push({ a: [], b: [] }) - 1];
    if (j < b.length && (i === a.length || lcs[i][j + 1] >= lcs[i + 1][j])) current.b.push(b[j++]);
    else current.a.push(a[i++]);
  }
  return hunks;
}

const TODO_CALL = /todo\(\s*(['"`])(?:\\.|(?!\1)[^\\])*\1,?\s*\)/g;
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * True when `learner` is `solution` with one or more pieces of code replaced by todo("…")
 * calls, and nothing else changed.
 */
function isOnlyBlanks(learner: string, solution: string): boolean {
  const pieces = learner.split(TODO_CALL).filter((_, index) => index % 2 === 0); // split keeps the quote groups
  if (pieces.length < 2) return false;
  return new RegExp(`^${pieces.map(escape).join('[\\s\\S]+?')}$`).test(solution);
}

describe('steps/ and solutions/', () => {
  it('hold the same files', () => {
    expect(readdirSync(join(workRoot, 'steps')).sort()).toEqual(STEPS.map((s) => s.folder));
    expect(readdirSync(join(workRoot, 'solutions')).sort()).toEqual(STEPS.map((s) => s.folder));
    for (const step of STEPS) {
      expect(filesUnder(join(workRoot, 'steps', step.folder)).sort(), step.folder).toEqual(
        filesUnder(join(workRoot, 'solutions', step.folder)).sort(),
      );
    }
  });

  it('differ only at the blanks: every differing hunk in steps/ is a todo() call', () => {
    let blanks = 0;
    for (const step of STEPS) {
      for (const file of filesUnder(join(workRoot, 'steps', step.folder))) {
        const learner = readFileSync(join(workRoot, 'steps', step.folder, file), 'utf8');
        const solution = readFileSync(join(workRoot, 'solutions', step.folder, file), 'utf8');
        if (!file.endsWith('.ts')) {
          expect(learner, `${step.folder}/${file} (the lesson is the same in both)`).toBe(solution);
          continue;
        }
        for (const hunk of differingHunks(solution.split('\n'), learner.split('\n'))) {
          const where = `steps/${step.folder}/${file}: ${hunk.b.join('\n')}`;
          expect(hunk.b.join('\n'), where).toMatch(TODO_CALL);
          expect(isOnlyBlanks(hunk.b.join('\n'), hunk.a.join('\n')), where).toBe(true);
          expect(hunk.a.join('\n'), 'the solution fills the blank').not.toMatch(TODO_CALL);
          blanks++;
        }
      }
    }
    // Step 1's exercise: the redrive policy.
    expect(blanks).toBeGreaterThanOrEqual(1);
  });

  it('the comparison itself rejects a change that is not a blank', () => {
    const solution = "    RedrivePolicy: JSON.stringify({ a: 1 }),";
    expect(isOnlyBlanks("    RedrivePolicy: todo('step 1: x'),", solution)).toBe(true);
    expect(isOnlyBlanks("    Redrive: todo('step 1: x'),", solution)).toBe(false);
    expect(isOnlyBlanks("    RedrivePolicy: todo('step 1: x'), // changed", solution)).toBe(false);
    expect(isOnlyBlanks('    RedrivePolicy: undefined,', solution)).toBe(false);
  });

  it('findBlanks sees every todo() call in steps/ and none in solutions/', () => {
    const learnerBlanks = STEPS.flatMap((s) => findBlanks(join(workRoot, 'steps', s.folder)));
    expect(learnerBlanks.some((b) => b.file.endsWith('steps/01-queue/deploy.ts'))).toBe(true);
    expect(learnerBlanks.every((b) => b.whatToWrite.startsWith('step '))).toBe(true);
    expect(STEPS.flatMap((s) => findBlanks(join(workRoot, 'solutions', s.folder)))).toEqual([]);
  });
});

describe('todo()', () => {
  it('stops with the file:line of the blank and what to write there', () => {
    let caught: unknown;
    try {
      todo('step 9: write the thing');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(TodoError);
    const error = caught as TodoError;
    expect(error.whatToWrite).toBe('step 9: write the thing');
    const line = lineOf('test/workbook/blanks.test.ts', "todo('step 9: write the thing');");
    expect(error.location).toEqual({ file: 'test/workbook/blanks.test.ts', line });
  });
});
