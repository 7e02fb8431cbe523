import { resolve } from 'node:path';
import pc from 'picocolors';
import { dropForeignVariables } from './process-environment.ts';
import { startLocalCloud } from './server.ts';
import type { CloudEvent } from './cloud.ts';
import { realismFromSettings } from './realism/settings.ts';
import { dashboardUrl } from './dashboard/url.ts';

/**
 * `npm run local`: the embedded cloud in the foreground, with a live log of every call and
 * delivery. Ctrl-C saves state and stops. `--realism aws [--realism-scale N]` (or
 * LOCAL_CLOUD_REALISM=aws, LOCAL_CLOUD_REALISM_SCALE=N) plays AWS's timing (realism/README.md).
 */
// The dashboard draws the pipeline by its resource names: WORKBOOK_PREFIX, read before the environment goes.
const workbookPrefix = process.env.WORKBOOK_PREFIX;
// Started from a learner's shell, the environment holds their real keys and tokens: not ours to keep.
dropForeignVariables();
const port = Number(process.env.LOCAL_CLOUD_PORT ?? 4566);
const dataDir = resolve(process.env.LOCAL_CLOUD_DATA ?? '.workbook/local-cloud');
const quiet = process.argv.includes('--quiet');

try {
  const realism = realismFromSettings(process.argv.slice(2));
  const local = await startLocalCloud({ port, dataDir, region: process.env.AWS_REGION ?? 'us-east-1', realism });
  if (!quiet) local.cloud.events.on('event', (event) => console.log(formatEvent(event)));
  // performance.now() counts from process start, so this includes loading the code.
  const readyMs = Math.round(performance.now());
  console.log(
    `${pc.green('✔')} local cloud ready at ${pc.bold(local.url)} in ${readyMs} ms ` +
      `(account ${local.cloud.accountId}, region ${local.cloud.region}, realism ${realism.describe()}, data ${dataDir})`,
  );
  console.log(`  dashboard: ${pc.bold(dashboardUrl(local.url, local.controlToken, workbookPrefix))}`);
  console.log(pc.dim('  Ctrl-C to stop; state is kept for the next start.'));
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(pc.dim(`\n${signal}: saving state and stopping…`));
    await local.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
} catch (err) {
  console.error(`${pc.red('✘')} ${(err as Error).message}`);
  process.exit(1);
}

function formatEvent(e: CloudEvent): string {
  const time = pc.dim(e.time.toISOString().slice(11, 23));
  const status = e.status === undefined ? '' : e.status < 400 ? pc.green(String(e.status)) : pc.red(String(e.status));
  const ms = e.ms === undefined ? '' : pc.dim(`${e.ms}ms`);
  const who = e.caller ? pc.dim(` as ${e.caller}`) : '';
  const detail = e.detail ? ` ${e.detail}` : '';
  const error = e.error ? ` ${pc.red(e.error)}` : '';
  return `${time} ${pc.cyan(e.service.padEnd(10))} ${e.action.padEnd(28)} ${status} ${ms}${who}${detail}${error}`;
}
