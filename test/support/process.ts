import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { CONTROL_TOKEN_FILE } from '../../local-cloud/control/token.ts';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ANSI = /\x1b\[[0-9;]*m/g;

export interface CloudProcess {
  /** http://127.0.0.1:PORT, as the ready line printed it. */
  url: string;
  child: ChildProcess;
  /** Everything printed so far (stdout and stderr, colours stripped), one entry per line. */
  output: string[];
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<number | string>;
  /** Sends a signal (SIGKILL by default) and waits for the process to end. */
  kill(signal?: NodeJS.Signals): Promise<number | string>;
  /** The token for /_localcloud/health, faults, …: what this run wrote into its data folder. */
  controlToken(): string;
}

export interface CloudProcessFailure {
  code: number | string;
  output: string[];
}

/**
 * Runs the local cloud as its own process (`node --import tsx local-cloud/main.ts`), as a
 * learner's terminal does, on a free port and the given data folder. Resolves once it prints
 * its "ready at URL" line; rejects with its output if it exits first. `root` is the install it runs
 * from (a copy of the repository, say); this one by default.
 */
export function startCloudProcess(dataDir: string, env: NodeJS.ProcessEnv = {}, root = REPO_ROOT): Promise<CloudProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local-cloud/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      LOCAL_CLOUD_PORT: '0',
      LOCAL_CLOUD_DATA: dataDir,
      AWS_REGION: 'us-east-1',
      NO_COLOR: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<number | string>((resolveExit) => {
    // 'close' comes after the output streams end, so `output` is complete by then.
    child.once('close', (code, signal) => resolveExit(code ?? signal ?? -1));
  });
  return new Promise<CloudProcess>((resolveReady, rejectReady) => {
    let ready = false;
    // Both streams are read to the end, so a chatty cloud never blocks on a full pipe.
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (raw) => {
        const line = raw.replace(ANSI, '');
        output.push(line);
        const match = /ready at (http:\/\/\S+)/.exec(line);
        if (match && !ready) {
          ready = true;
          resolveReady({
            url: match[1],
            child,
            output,
            exited,
            kill: (signal = 'SIGKILL') => {
              if (child.exitCode === null && child.signalCode === null) child.kill(signal);
              return exited;
            },
            controlToken: () => readFileSync(join(dataDir, CONTROL_TOKEN_FILE), 'utf8').trim(),
          });
        }
      });
    }
    void exited.then((code) => {
      if (ready) return;
      const error = new Error(`local cloud exited (${code}) before it was ready:\n${output.join('\n')}`);
      rejectReady(Object.assign(error, { code, output } satisfies CloudProcessFailure));
    });
  });
}

/**
 * Runs the local cloud as a process that is expected to refuse to start; resolves with its exit
 * code and output (rejects if it becomes ready instead, after stopping it).
 */
export async function expectCloudProcessToFail(dataDir: string): Promise<CloudProcessFailure> {
  try {
    const started = await startCloudProcess(dataDir);
    await started.kill();
    throw new Error(`the local cloud started at ${started.url} although it should have refused`);
  } catch (err) {
    const failure = err as Partial<CloudProcessFailure>;
    if (failure.output === undefined || failure.code === undefined) throw err;
    return { code: failure.code, output: failure.output };
  }
}
