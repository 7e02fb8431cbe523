/**
 * `npm run watch N`: runs step N, then its check, now and again after every save of a file in
 * steps/NN-*. Saves during a run are gathered into one re-run after it. Ctrl-C stops.
 * Usage: node --import tsx scripts/watch.ts N
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { watch, type FSWatcher } from 'node:fs';
import { basename, join } from 'node:path';
import { repoRoot } from '../lib/config.ts';
import { runMain } from '../lib/main.ts';
import { bold, cmd, dim, fail, hint, say } from '../lib/output.ts';
import { findStep, stepFolder, type Step } from '../lib/steps.ts';

/** Editors write a file in bursts (temporary file, rename, chmod): wait for the burst to end. */
const DEBOUNCE_MS = 150;

const args = process.argv.slice(2);

void runMain(async () => {
  const numbers = args.filter((a) => /^\d+$/.test(a));
  if (numbers.length !== 1 || args.length !== 1) {
    fail(numbers.length === 0 ? 'Which step? Give its number.' : `Not understood: ${args.join(' ')}`);
    hint(cmd('npm run watch 1'), 'usage');
    return 2;
  }
  const step = findStep(Number(numbers[0]));
  return new Watcher(step).start();
});

class Watcher {
  private running: ChildProcess | undefined;
  private rerun = false;
  private timer: NodeJS.Timeout | undefined;
  private watcher: FSWatcher | undefined;
  private stopping = false;
  private finished!: (code: number) => void;

  constructor(private readonly step: Step) {}

  start(): Promise<number> {
    const done = new Promise<number>((resolve) => (this.finished = resolve));
    const folder = stepFolder('steps', this.step);
    this.watcher = watch(folder, { recursive: true }, (_event, name) => {
      if (name && isEditorDebris(String(name))) return;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.trigger(), DEBOUNCE_MS);
    });
    this.watcher.on('error', (err) => {
      fail(`Stopped watching steps/${this.step.folder}: ${err.message}`);
      void this.stop(1);
    });
    process.once('SIGINT', () => void this.stop(0));
    process.once('SIGTERM', () => void this.stop(0));
    void this.cycle();
    return done;
  }

  private trigger(): void {
    if (this.running) this.rerun = true;
    else void this.cycle();
  }

  /** One run: clear the screen, the step, then (when it passed) its check. */
  private async cycle(): Promise<void> {
    if (this.stopping) return;
    if (process.stdout.isTTY) process.stdout.write('\x1b[2J\x1b[3J\x1b[H');
    else say(`\n${'─'.repeat(60)}`);
    say(bold(`npm run step:${this.step.number} (${new Date().toLocaleTimeString()})`));
    const stepCode = await this.run('scripts/step.ts', String(this.step.number));
    if (this.stopping) return;
    if (stepCode === 0) {
      say(bold(`\nnpm run check:step-${this.step.number}`));
      await this.run(`checks/step-${this.step.number}.ts`);
      if (this.stopping) return;
    } else {
      say(dim(`\n(the check runs once the step succeeds)`));
    }
    if (this.rerun) {
      this.rerun = false;
      return this.cycle();
    }
    say(dim(`\nWatching steps/${this.step.folder} for saves. Ctrl-C to stop.`));
  }

  /** `node --import tsx FILE ARGS`, on this terminal; resolves with its exit code. */
  private run(file: string, ...rest: string[]): Promise<number> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, file), ...rest], { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
      this.running = child;
      child.on('error', () => resolve(1));
      child.on('exit', (code) => {
        this.running = undefined;
        resolve(code ?? 1);
      });
    });
  }

  private async stop(code: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearTimeout(this.timer);
    this.watcher?.close();
    const child = this.running;
    if (child && child.exitCode === null) {
      // Ctrl-C reaches the child too; SIGTERM covers a stop that came from elsewhere.
      const ended = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await ended;
    }
    say(`\nStopped watching steps/${this.step.folder}.`);
    this.finished(code);
  }
}

/** Swap, backup and lock files editors write next to the real one. */
function isEditorDebris(name: string): boolean {
  const file = basename(name);
  return file.startsWith('.') || file.endsWith('~') || file.endsWith('.swp') || file.endsWith('.swx') || file.endsWith('.tmp') || /^\d+$/.test(file) || file.startsWith('#');
}
