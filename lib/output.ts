import { AsyncLocalStorage } from 'node:async_hooks';
import pc from 'picocolors';

/**
 * Terminal output for steps, checks and scripts: ✔/✘ lines, hints, commands, a spinner.
 * picocolors drops colours when NO_COLOR is set or the output is not a terminal.
 * Output can be captured (the tour and `npm run status` run steps quietly in one process).
 */

// `npm run status | head` closes the pipe early: stop quietly rather than crash on EPIPE.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

type Sink = (line: string) => void;
const capture = new AsyncLocalStorage<Sink>();

function write(line: string): void {
  const sink = capture.getStore();
  if (sink) sink(line);
  else process.stdout.write(`${line}\n`);
}

/** Runs `fn` with everything it prints collected instead of shown. */
export async function captureOutput<T>(fn: () => Promise<T>): Promise<{ result?: T; error?: unknown; lines: string[] }> {
  const lines: string[] = [];
  try {
    const result = await capture.run((line) => lines.push(line), fn);
    return { result, lines };
  } catch (error) {
    return { error, lines };
  }
}

/** True while output is being captured (a live line drawn on the terminal would bypass the capture). */
export const capturing = (): boolean => capture.getStore() !== undefined;

export const colors = pc;

/** A command or code the learner types, e.g. cmd('npm run check:step-1'). */
export const cmd = (text: string): string => pc.cyan(pc.isColorSupported ? text : `\`${text}\``);
export const bold = (text: string): string => pc.bold(text);
export const dim = (text: string): string => pc.dim(text);

export const say = (text = ''): void => write(text);
export const heading = (text: string): void => write(pc.bold(text));
export const ok = (text: string): void => write(`${pc.green('✔')} ${text}`);
export const fail = (text: string): void => write(`${pc.red('✘')} ${text}`);
export const warn = (text: string): void => write(`${pc.yellow('!')} ${text}`);
export const skipped = (text: string): void => write(`${pc.dim('–')} ${text}`);
/** A verification a later step's check makes. */
export const deferred = (text: string): void => write(`${pc.cyan('↪')} ${text}`);
/** Indented detail under a ✔/✘ line. */
export const detail = (text: string): void => write(`  ${pc.dim(text)}`);
/** What to do about a ✘: indented, labelled. */
export const hint = (text: string, label = 'fix'): void => write(`    ${pc.yellow(`${label}:`)} ${text}`);
/** The last line of a script: what to do now. */
export const next = (text: string): void => write(`\n${pc.bold('Next:')} ${text}`);

/** Milliseconds as people read them: "840 ms", "2.4 s". */
export function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * Shows `label` with a spinner while `work` runs, on a terminal only (and not while captured).
 * The caller prints the outcome line afterwards.
 */
export async function withSpinner<T>(label: string, work: () => Promise<T>): Promise<T> {
  const animate = process.stdout.isTTY && !capture.getStore() && !process.env.NO_COLOR;
  if (!animate) return work();
  let frame = 0;
  const draw = () => process.stdout.write(`\r${pc.cyan(FRAMES[frame++ % FRAMES.length])} ${label}`);
  // Quick work finishes before the first frame, so fast local calls do not flicker.
  const timer = setInterval(draw, 80);
  try {
    return await work();
  } finally {
    clearInterval(timer);
    if (frame > 0) process.stdout.write('\r\x1b[2K');
  }
}
