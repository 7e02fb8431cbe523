import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HINTS, type BlankHints } from '../hints/index.ts';
import { repoRoot } from './config.ts';
import { stepFolder, type Step } from './steps.ts';
import { findBlanks, type Blank } from './todo.ts';

/** One blank of a step with its hints, and where it is while still open. */
export interface HintedBlank {
  /** Stable across edits of the todo message: "1:deploy.ts#RedrivePolicy". */
  key: string;
  hints: BlankHints;
  /** The learner's todo() call, while the blank is still open. */
  open?: Blank;
}

const keyOf = (step: Step, entry: BlankHints) => `${step.number}:${entry.file}${entry.marker ? `#${entry.marker}` : ''}`;

/**
 * The step's blanks with hints, in file order, each with its todo() call in steps/ while still
 * open. A todo() call that no hints describe is listed too (its own message is its only hint).
 */
export function blanksOf(step: Step): HintedBlank[] {
  const entries = HINTS.get(step.number) ?? [];
  const folder = stepFolder('steps', step);
  const result: HintedBlank[] = entries.map((hints) => ({ key: keyOf(step, hints), hints }));
  for (const blank of findBlanks(folder)) {
    const file = blank.file.slice(`steps/${step.folder}/`.length);
    const code = codeBefore(join(folder, file), blank.line);
    const match = result.find((b) => !b.open && b.hints.file === file && (!b.hints.marker || code.includes(b.hints.marker)));
    if (match) match.open = blank;
    else result.push({ key: `${step.number}:${file}:${blank.line}`, hints: { file, title: 'a blank', hints: [blank.whatToWrite] }, open: blank });
  }
  return result;
}

/** The code on a line before its todo( call. */
function codeBefore(file: string, line: number): string {
  const text = readFileSync(file, 'utf8').split('\n')[line - 1] ?? '';
  const at = text.indexOf('todo(');
  return at < 0 ? text : text.slice(0, at);
}

/**
 * How many hints of each blank the learner has seen, kept in .workbook/hints.json. A damaged or
 * foreign file counts as nothing seen; only whole numbers of at least 1 are kept.
 */
export class HintProgress {
  private constructor(
    private readonly file: string,
    private readonly seen: Map<string, number>,
  ) {}

  static load(file = join(repoRoot, '.workbook', 'hints.json')): HintProgress {
    const seen = new Map<string, number>();
    try {
      const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
      const revealed = (parsed as { revealed?: unknown } | null)?.revealed;
      if (revealed && typeof revealed === 'object' && !Array.isArray(revealed)) {
        for (const [key, count] of Object.entries(revealed)) {
          if (Number.isSafeInteger(count) && (count as number) >= 1) seen.set(key, count as number);
        }
      }
    } catch {
      // No file yet, or not JSON: start from nothing.
    }
    return new HintProgress(file, seen);
  }

  /** How many hints of this blank were shown (0: none yet). */
  seenOf(key: string): number {
    return this.seen.get(key) ?? 0;
  }

  set(key: string, count: number): void {
    this.seen.set(key, count);
  }

  save(): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const revealed = Object.fromEntries([...this.seen].sort(([a], [b]) => a.localeCompare(b)));
    // Written aside, then renamed: an interrupted write never leaves half a file.
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify({ revealed }, null, 2)}\n`);
    renameSync(temporary, this.file);
  }
}
