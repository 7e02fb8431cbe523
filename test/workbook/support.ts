import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { scriptRoot } from '../support/committed-steps.ts';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
/** Where scripts run and steps/ are read: the repository, with steps/ as committed if a learner filled blanks. */
export const workRoot = scriptRoot(repoRoot);

const scripts = (JSON.parse(readFileSync(`${repoRoot}/package.json`, 'utf8')) as { scripts: Record<string, string> })
  .scripts;

export interface ScriptResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout + stderr, for assertions that do not care where a line went. */
  output: string;
  ms: number;
}

/**
 * Runs what `npm run NAME -- ARGS` runs (the command in package.json), without npm's own
 * startup; `node` is this very Node binary.
 */
export function runScript(name: string, env: NodeJS.ProcessEnv, ...args: string[]): Promise<ScriptResult> {
  const command = scripts[name];
  if (!command) throw new Error(`package.json has no script "${name}"`);
  const [program, ...rest] = command.split(' ');
  const file = program === 'node' ? process.execPath : program;
  return run(file, [...rest, ...args], env);
}

/** Runs a command in the repository root; never rejects. */
export function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<ScriptResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = execFile(file, args, { cwd: workRoot, env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr, output: `${stdout}${stderr}`, ms: performance.now() - started });
    });
    child.stdin?.end(); // no terminal, no input: like CI
  });
}

/** The ✘ lines of a check's output, without its summary line. */
export function failures(output: string): string[] {
  return output.split('\n').filter((line) => line.startsWith('✘ ') && !/^✘ Step \d+:/.test(line));
}

/** A ✘ line with the indented lines under it (wrong:, fix:). */
export function failureBlock(output: string, failedLine: string): string {
  const lines = output.split('\n');
  const start = lines.indexOf(failedLine);
  let end = start + 1;
  while (end < lines.length && lines[end].startsWith('    ')) end++;
  return lines.slice(start, end).join('\n');
}

/** The 1-based line of the first todo( call in a file. */
export function lineOf(file: string, needle: string): number {
  return readFileSync(`${workRoot}/${file}`, 'utf8').split('\n').findIndex((l) => l.includes(needle)) + 1;
}
