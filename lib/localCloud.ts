import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cloudEnvironment } from '../local-cloud/process-environment.ts';
import { displayPath, repoRoot, resolveTarget, type Target } from './config.ts';
import { WorkbookError } from './errors.ts';
import { cmd, detail, ok, warn, withSpinner } from './output.ts';
import { realismFromSettings } from '../local-cloud/realism/settings.ts';
import { waitFor } from './wait.ts';
import { callLocalCloudControl } from './localCloudControl.ts';

/** What GET /_localcloud/health answers when the embedded cloud is up. */
export interface LocalCloudHealth {
  status: 'ready';
  pid: number;
  region: string;
  /** AWS's timing (realism/README.md), or off; absent from a cloud older than the setting. */
  realism?: { name: 'off' } | { name: 'aws'; scale: number };
}

type Probe =
  | { state: 'ready'; health: LocalCloudHealth }
  | { state: 'down' }
  | { state: 'other'; status: number }
  /** The local cloud answers, but refuses the token in the target's data folder: another data folder's cloud. */
  | { state: 'foreign'; status: number };

/** Asks the port whether the workbook's local cloud answers there (with the token from the target's data folder). */
export async function probeLocalCloud(url: string, timeoutMs = 1000, target: Target = resolveTarget()): Promise<Probe> {
  try {
    const res = await callLocalCloudControl('health', { signal: AbortSignal.timeout(timeoutMs) }, { ...target, endpoint: url });
    const body = (await res.json().catch(() => undefined)) as (Partial<LocalCloudHealth> & { code?: string }) | undefined;
    if (res.ok && body?.status === 'ready') return { state: 'ready', health: body as LocalCloudHealth };
    if (body?.code?.startsWith('LocalCloudToken')) return { state: 'foreign', status: res.status };
    return { state: 'other', status: res.status };
  } catch {
    return { state: 'down' };
  }
}

/**
 * Makes sure the target answers before a step or check starts. For the local cloud that means
 * starting it in the background when nothing runs on its port; for an explicit endpoint
 * (LocalStack) it means saying so when nothing answers there. Real AWS always answers.
 */
export async function ensureTargetAnswers(target: Target = resolveTarget()): Promise<void> {
  if (target.kind === 'aws') return;
  if (target.kind === 'endpoint') {
    try {
      await fetch(target.endpoint!, { signal: AbortSignal.timeout(3000) });
    } catch {
      throw new WorkbookError(
        `Nothing answers at ${target.endpoint} (AWS_ENDPOINT_URL).`,
        'Start the emulator you pointed it at (e.g. LocalStack), or remove AWS_ENDPOINT_URL from .env to use the embedded local cloud.',
      );
    }
    return;
  }
  const url = target.endpoint!;
  const wanted = realismSetting();
  const probe = await probeLocalCloud(url, 1000, target);
  if (probe.state === 'ready') {
    const running = probe.health.realism ?? { name: 'off' };
    const differs = running.name !== (wanted.enabled ? 'aws' : 'off') || (running.name === 'aws' && running.scale !== wanted.scale);
    if (differs && process.env.LOCAL_CLOUD_REALISM !== undefined) {
      warn(
        `The local cloud at ${url} runs with realism ${describeRealism(running)}, not ${wanted.describe()} (LOCAL_CLOUD_REALISM): ` +
          `the setting takes effect when it starts. Stop it (kill ${probe.health.pid}); the next command starts it again.`,
      );
    }
    return;
  }
  if (probe.state === 'foreign') {
    throw new WorkbookError(
      `A local cloud answers at ${url}, but not the one whose data is in ${displayPath(target.localCloud!.dataDir)}: it refuses that folder's control-token.`,
      `Stop the other one (its pid is in its data folder's local-cloud.pid), or give this one a free port: LOCAL_CLOUD_PORT=4567 in .env.`,
    );
  }
  if (probe.state === 'other') {
    throw new WorkbookError(
      `Port ${target.localCloud!.port} answers, but not as the workbook's local cloud (HTTP ${probe.status}); LocalStack, perhaps.`,
      `To use what runs there, set AWS_ENDPOINT_URL=${url} in .env. To use the embedded local cloud, give it a free port: LOCAL_CLOUD_PORT=4567 in .env.`,
    );
  }
  await startLocalCloudInBackground(target);
}

/** `node --import tsx local-cloud/main.ts --quiet`, detached: it outlives this script. */
async function startLocalCloudInBackground(target: Target): Promise<void> {
  const { port, dataDir } = target.localCloud!;
  const url = target.endpoint!;
  const startedAt = performance.now();
  // Next to its data: .workbook/local-cloud.log for the default .workbook/local-cloud.
  const logFile = `${dataDir}.log`;
  mkdirSync(dirname(logFile), { recursive: true });
  const log = openSync(logFile, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'local-cloud', 'main.ts'), '--quiet'], {
    cwd: repoRoot,
    detached: true,
    stdio: ['ignore', log, log],
    env: localCloudEnvironment(target),
  });
  closeSync(log);
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  child.on('error', () => (exited = -1));
  child.unref();

  const startYourself =
    `Start it yourself in another terminal with ${cmd('npm run local')} and keep it running, then run this command again.` +
    ` (Its log so far: ${displayPath(logFile)})`;
  const health = await withSpinner(`Starting the local cloud at ${url}…`, () =>
    waitFor(
      'the local cloud to answer',
      async () => {
        if (exited !== undefined) {
          throw new WorkbookError(
            `The local cloud did not start (it exited with code ${exited}):\n${tail(logFile, 6)}`,
            startYourself,
          );
        }
        const probe = await probeLocalCloud(url, 500, target);
        return probe.state === 'ready' ? probe.health : undefined;
      },
      { deadlineMs: 20_000, initialDelayMs: 50, maxDelayMs: 250, hint: startYourself },
    ),
  );
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
  const realism = health.realism?.name === 'aws' ? `, realism ${describeRealism(health.realism)}` : '';
  ok(`Started the local cloud in the background at ${url} (pid ${health.pid}${realism}, ready in ${seconds} s).`);
  detail(`It keeps running for the next steps; its data is in ${displayPath(dataDir)}, its log in ${displayPath(logFile)}.`);
  detail(`Stop it: kill ${health.pid} (state is kept). Watch calls live: stop it, then run npm run local in another terminal.`);
}

/**
 * The background cloud's environment: the allow-listed part of this one (never the learner's AWS
 * keys, tokens or other secrets, which its Lambda handlers could otherwise reach) plus its settings.
 */
export function localCloudEnvironment(target: Target, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const { port, dataDir } = target.localCloud!;
  return { ...cloudEnvironment(env), LOCAL_CLOUD_PORT: String(port), LOCAL_CLOUD_DATA: dataDir, AWS_REGION: target.region };
}

/**
 * LOCAL_CLOUD_REALISM / LOCAL_CLOUD_REALISM_SCALE (in the environment or .env), checked here so
 * that a typo is a clear message rather than a cloud that fails to start. The background cloud
 * reads the same variables (LOCAL_CLOUD_* pass its environment's allow-list).
 */
function realismSetting() {
  try {
    return realismFromSettings([], process.env);
  } catch (err) {
    throw new WorkbookError((err as Error).message, 'Fix it in .env or in your shell, or remove it (realism is off by default).');
  }
}

function describeRealism(realism: NonNullable<LocalCloudHealth['realism']>): string {
  return realism.name === 'aws' ? `aws (AWS's timing × ${realism.scale})` : 'off';
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).map((l) => `    ${l}`).join('\n');
  } catch {
    return '    (no log)';
  }
}
