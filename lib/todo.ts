import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { displayPath } from './config.ts';

/**
 * A blank in a learner's file: `todo("step 1: what to write")`.
 *
 * It type-checks wherever a value is expected (it returns `never`), and when it runs it stops
 * the script, naming the file:line of the blank and what to write there. Write the message as a
 * plain string literal: `findBlanks` reads it from the source too.
 */
export function todo(whatToWrite: string): never {
  throw new TodoError(whatToWrite, callerLocation());
}

export interface SourceLocation {
  file: string;
  line: number;
}

export class TodoError extends Error {
  constructor(
    readonly whatToWrite: string,
    readonly location: SourceLocation | undefined,
  ) {
    super(`${location ? `${location.file}:${location.line}` : 'a blank'} is still to be written: ${whatToWrite}`);
    this.name = 'TodoError';
  }
}

/** The file:line that called todo(), from the stack (tsx maps it back to the .ts source). */
function callerLocation(): SourceLocation | undefined {
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, todo);
  for (const frame of (holder.stack ?? '').split('\n').slice(1)) {
    const match = /\(?((?:file:\/\/)?[^\s()]+?):(\d+):\d+\)?\s*$/.exec(frame.trim());
    if (!match) continue;
    const path = match[1].startsWith('file://') ? fileURLToPath(match[1]) : match[1];
    return { file: displayPath(path), line: Number(match[2]) };
  }
  return undefined;
}

/** A todo() call found in the source, before anything runs. */
export interface Blank extends SourceLocation {
  whatToWrite: string;
}

const TODO_CALL = /(?:^|[^\w.$])todo\(\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/g;

/**
 * Finds the todo() calls left in a step's TypeScript files, in file order. The step runner
 * looks for them before running anything, so a step with blanks left stops before it
 * creates a single resource, even when a blank sits in code that only runs later (a handler).
 */
export function findBlanks(folder: string): Blank[] {
  const blanks: Blank[] = [];
  for (const file of tsFiles(folder)) {
    const source = readFileSync(file, 'utf8');
    const lines = source.split('\n');
    for (const match of source.matchAll(TODO_CALL)) {
      const start = match.index + match[0].indexOf('todo(');
      const line = source.slice(0, start).split('\n').length;
      const text = lines[line - 1].trim();
      // Mentions in comments (and the import) are not blanks.
      if (text.startsWith('//') || text.startsWith('*') || text.startsWith('/*') || text.startsWith('import ')) continue;
      if (lines[line - 1].slice(0, lines[line - 1].indexOf('todo(')).includes('//')) continue;
      blanks.push({ file: displayPath(file), line, whatToWrite: match[2].replace(/\\(.)/g, '$1').replace(/\s+/g, ' ').trim() });
    }
  }
  return blanks;
}

function tsFiles(folder: string): string[] {
  const entries = readdirSync(folder, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  return entries.flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : tsFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}
