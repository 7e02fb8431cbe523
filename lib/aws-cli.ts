import { accessSync, constants, statSync } from 'node:fs';
import { devNull } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Target } from './config.ts';

/**
 * `npm run aws -- ARGS`: the aws CLI aimed at whatever the workbook targets. This file decides
 * which CLI runs, with which arguments and environment; scripts/aws.ts runs it.
 */

/**
 * The CLI to run: WORKBOOK_AWS_CLI (a path) when set, else the first `aws` on PATH — the one the
 * learner's own shell runs, so `npm run aws -- …` and `aws …` are the same program. Undefined
 * when there is none.
 */
export function findAwsCli(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string | undefined {
  const chosen = env.WORKBOOK_AWS_CLI?.trim();
  if (chosen) return isExecutableFile(chosen) ? chosen : undefined;
  const names = platform === 'win32' ? ['aws.exe', 'aws.cmd', 'aws.bat'] : ['aws'];
  for (const folder of (env.PATH ?? env.Path ?? '').split(delimiter)) {
    if (!folder) continue;
    for (const name of names) {
      const candidate = join(folder, name);
      if (isExecutableFile(candidate)) return candidate;
    }
  }
  return undefined;
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Variables through which the learner's own AWS identity or settings could reach the CLI. For an
 * emulator they are removed: the CLI's chain would prefer a profile's or a session's keys, which
 * the local cloud refuses (it verifies signatures), over the pair it accepts.
 */
const LEARNER_IDENTITY = [
  'AWS_PROFILE',
  'AWS_DEFAULT_PROFILE',
  'AWS_SESSION_TOKEN',
  'AWS_SECURITY_TOKEN',
  'AWS_CREDENTIAL_EXPIRATION',
  'AWS_ROLE_ARN',
  'AWS_ROLE_SESSION_NAME',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
];

/**
 * The CLI's environment for a target.
 * - local cloud / AWS_ENDPOINT_URL: the target's key pair and region, no profile, no session
 *   token, and the shared config and credentials files replaced by an empty one, so nothing the
 *   learner set up for real AWS can override them.
 * - real AWS: the learner's own environment (profile, SSO, keys) untouched; only the region the
 *   workbook uses is also given as AWS_DEFAULT_REGION, the variable the CLI v1 reads.
 * Always AWS_PAGER="": the CLI v2 would otherwise open `less` and wait for a key.
 */
export function awsCliEnvironment(target: Target, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const child: NodeJS.ProcessEnv = { ...env, AWS_PAGER: '' };
  if (target.kind === 'aws') {
    if (env.AWS_REGION?.trim()) child.AWS_DEFAULT_REGION = target.region;
    return child;
  }
  for (const name of LEARNER_IDENTITY) delete child[name];
  // Per-service endpoints would win over nothing we pass; --endpoint-url is the one that counts.
  for (const name of Object.keys(child)) if (name.startsWith('AWS_ENDPOINT_URL')) delete child[name];
  const { accessKeyId, secretAccessKey } = target.credentials!;
  return {
    ...child,
    AWS_ACCESS_KEY_ID: accessKeyId,
    AWS_SECRET_ACCESS_KEY: secretAccessKey,
    AWS_REGION: target.region,
    AWS_DEFAULT_REGION: target.region,
    AWS_CONFIG_FILE: devNull,
    AWS_SHARED_CREDENTIALS_FILE: devNull,
    // No instance-metadata lookups for credentials or region on a laptop.
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/** The arguments for the CLI: the endpoint first, so an --endpoint-url the learner adds wins. */
export function awsCliArguments(target: Target, args: readonly string[]): string[] {
  return target.kind === 'aws' ? [...args] : ['--endpoint-url', target.endpoint!, ...args];
}

/** "1" for aws-cli/1.x, "2" for aws-cli/2.x, from `aws --version`. */
export function cliMajorVersion(versionLine: string): 1 | 2 | undefined {
  const match = /aws-cli\/(\d+)\./.exec(versionLine);
  if (!match) return undefined;
  return match[1] === '1' ? 1 : match[1] === '2' ? 2 : undefined;
}

/** True when the arguments use something only the CLI v2 has (and adaptForV1 rewrites). */
export function usesV2Only(args: readonly string[]): boolean {
  return args.includes('--cli-binary-format') || isLogsTail(args);
}

const logsTailAt = (args: readonly string[]) => args.findIndex((a, i) => a === 'logs' && args[i + 1] === 'tail');
const isLogsTail = (args: readonly string[]) => logsTailAt(args) >= 0;

/**
 * The same request in the CLI v1's words, with a note for each change:
 * - `--cli-binary-format raw-in-base64-out` is dropped: v1 already takes blobs as raw text.
 * - `logs tail GROUP [--since 10m]` becomes `logs filter-log-events` from that time, printed
 *   as v2 prints it (time, stream, message); v1 cannot `--follow`.
 */
export function adaptForV1(args: readonly string[], now = Date.now()): { args: string[]; notes: string[] } {
  const notes: string[] = [];
  let out = [...args];
  const format = out.indexOf('--cli-binary-format');
  if (format >= 0) {
    out.splice(format, out[format + 1]?.startsWith('-') ? 1 : 2);
    notes.push('the aws CLI v1 takes binary input as raw text already: left out --cli-binary-format.');
  }
  if (isLogsTail(out)) {
    const at = logsTailAt(out);
    const globalOptions = out.slice(0, at);
    const rest = out.slice(at + 2);
    const group = rest.find((a, i) => !a.startsWith('-') && !(i > 0 && TAIL_OPTIONS_WITH_VALUE.has(rest[i - 1])));
    const since = valueOf(rest, '--since') ?? '10m';
    const startTime = startTimeOf(since, now);
    const converted = [...globalOptions, 'logs', 'filter-log-events', '--log-group-name', group ?? '', '--output', 'text', '--query', 'events[].[timestamp,logStreamName,message]'];
    if (startTime !== undefined) converted.push('--start-time', String(startTime));
    const prefix = valueOf(rest, '--log-stream-name-prefix');
    if (prefix) converted.push('--log-stream-name-prefix', prefix);
    const pattern = valueOf(rest, '--filter-pattern');
    if (pattern) converted.push('--filter-pattern', pattern);
    notes.push(`the aws CLI v1 has no \`logs tail\`: ran \`aws ${converted.join(' ')}\` instead (times in epoch milliseconds).`);
    if (rest.includes('--follow')) notes.push('the aws CLI v1 cannot follow a log: run the command again to see newer lines, or install the aws CLI v2.');
    out = converted;
  }
  return { args: out, notes };
}

const TAIL_OPTIONS_WITH_VALUE = new Set(['--since', '--format', '--log-stream-names', '--log-stream-name-prefix', '--filter-pattern', '--region', '--profile', '--endpoint-url', '--output', '--query']);

function valueOf(args: readonly string[], option: string): string | undefined {
  const at = args.indexOf(option);
  if (at >= 0) return args[at + 1];
  const joined = args.find((a) => a.startsWith(`${option}=`));
  return joined?.slice(option.length + 1);
}

/** `--since 10m` (s, m, h, d, w), as `logs tail` reads it; an ISO time too. */
function startTimeOf(since: string, now: number): number | undefined {
  const relative = /^(\d+)([smhdw])$/.exec(since.trim());
  if (relative) {
    const unit = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 604800e3 }[relative[2] as 's' | 'm' | 'h' | 'd' | 'w'];
    return now - Number(relative[1]) * unit;
  }
  const absolute = Date.parse(since);
  return Number.isNaN(absolute) ? undefined : absolute;
}

/** How to install the CLI, for the learner's system. */
export function installAdvice(platform: NodeJS.Platform = process.platform): string[] {
  const guide = 'https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html';
  const lines = [`The aws CLI v2 (recommended), from AWS's installer: ${guide}`];
  if (platform === 'darwin') {
    lines.push('  macOS: https://awscli.amazonaws.com/AWSCLIV2.pkg (or `brew install awscli`)');
  } else if (platform === 'win32') {
    lines.push('  Windows: msiexec.exe /i https://awscli.amazonaws.com/AWSCLIV2.msi');
  } else {
    lines.push(
      '  Linux x86_64: curl -o awscliv2.zip https://awscli.amazonaws.com/awscli-exe-linux-x86_64.zip && unzip awscliv2.zip && sudo ./aws/install',
      '  Linux ARM: the same with https://awscli.amazonaws.com/awscli-exe-linux-aarch64.zip',
      '  Debian or Ubuntu: sudo apt install awscli',
    );
  }
  lines.push('Or the aws CLI v1, with Python: pip install awscli');
  lines.push('Already installed elsewhere? Set WORKBOOK_AWS_CLI=/path/to/aws (in .env or the environment).');
  return lines;
}
