/**
 * `npm run dashboard`: opens the local cloud's live dashboard in the browser, starting the cloud
 * first when it is not running. The address carries the cloud's token after the `#`, which the
 * browser keeps to itself; when no browser can be opened, the address is printed to open by hand.
 *
 *   npm run dashboard                 open it
 *   npm run dashboard -- --no-open    only print the address
 */
import { spawn } from 'node:child_process';
import { resolveTarget } from '../lib/config.ts';
import { WorkbookError } from '../lib/errors.ts';
import { ensureTargetAnswers } from '../lib/localCloud.ts';
import { localCloudToken } from '../lib/localCloudControl.ts';
import { isMainModule, runMain } from '../lib/main.ts';
import { names } from '../lib/names.ts';
import { cmd, detail, ok, say } from '../lib/output.ts';
import { dashboardUrl } from '../local-cloud/dashboard/url.ts';

export function parseDashboardArgs(args: string[]): { open: boolean } {
  const unknown = args.filter((arg) => arg !== '--no-open');
  if (unknown.length > 0) throw new WorkbookError(`npm run dashboard does not know ${unknown.join(' ')}.`, `Run ${cmd('npm run dashboard')} or ${cmd('npm run dashboard -- --no-open')}.`);
  return { open: !args.includes('--no-open') };
}

/** The platform's own opener: xdg-open, open, or start. */
export function openerFor(platform: NodeJS.Platform, url: string): { file: string; args: string[] } {
  if (platform === 'darwin') return { file: 'open', args: [url] };
  if (platform === 'win32') return { file: 'cmd', args: ['/c', 'start', '""', url.replace(/&/g, '^&')] };
  return { file: 'xdg-open', args: [url] };
}

/** Resolves true once the opener has exited 0; false when it is missing or fails. */
function tryOpen(url: string): Promise<boolean> {
  const { file, args } = openerFor(process.platform, url);
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(file, args, { stdio: 'ignore', detached: true });
    } catch {
      return resolve(false);
    }
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
    child.unref();
  });
}

export async function dashboard(args: string[]): Promise<number> {
  const { open } = parseDashboardArgs(args);
  const target = resolveTarget();
  if (!target.localCloud) {
    throw new WorkbookError(
      `The dashboard is the local cloud's own page, and the target is ${target.label}.`,
      'On AWS, the CloudWatch console shows the same resources; or run the workbook locally (WORKBOOK_TARGET=local).',
    );
  }
  await ensureTargetAnswers(target);
  const token = localCloudToken(target);
  if (!token) {
    throw new WorkbookError(
      `The local cloud's token is not in ${target.localCloud.dataDir}: it runs with another data folder.`,
      'Stop it and start it again with the workbook\'s settings (npm run local), or set LOCAL_CLOUD_DATA to its folder.',
    );
  }
  const url = dashboardUrl(target.endpoint!, token, names().prefix);
  if (open && (await tryOpen(url))) {
    ok('Opened the dashboard in your browser.');
    detail(`If it did not appear, open this address (it carries the local cloud's token: keep it to yourself): ${url}`);
    return 0;
  }
  say(open ? 'No browser could be opened from here; open this address yourself (it carries the local cloud\'s token: keep it to yourself):' : 'The dashboard (the address carries the local cloud\'s token: keep it to yourself):');
  say(`  ${url}`);
  return 0;
}

if (isMainModule(import.meta.url)) {
  void runMain(() => dashboard(process.argv.slice(2)));
}
