import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, relative, resolve } from 'node:path';
import { NODE_REGION_CONFIG_FILE_OPTIONS, NODE_REGION_CONFIG_OPTIONS, getHomeDir, loadConfig } from '@smithy/core/config';
import { WorkbookError } from './errors.ts';
import { isKnownRegion, unknownRegionAdvice } from './partition.ts';

/** The repository's root folder (this file lives in lib/). */
export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** A path as the learner should read it: relative to the repository when inside it. */
export function displayPath(path: string): string {
  const rel = relative(repoRoot, path);
  return rel && !rel.startsWith('..') ? rel.split('\\').join('/') : path;
}

let dotEnvLoaded = false;

/**
 * Reads `.env` at the repository root into process.env, once. Variables already set in the
 * environment win over the file, so `WORKBOOK_TARGET=aws npm run step:1` overrides it.
 */
export function loadDotEnv(): void {
  if (dotEnvLoaded) return;
  dotEnvLoaded = true;
  // The project's own tests set this: a learner's settings must not steer them.
  if (process.env.WORKBOOK_DOTENV === 'off') return;
  const file = join(repoRoot, '.env');
  if (existsSync(file)) process.loadEnvFile(file);
}

/**
 * Where the workbook's scripts send their calls.
 * - local: the embedded local cloud (the default); started for you when it is not running.
 * - endpoint: an explicit AWS_ENDPOINT_URL with WORKBOOK_TARGET=local, e.g. LocalStack. You run it yourself.
 * - aws: real AWS, with the SDK's default credential chain (AWS_PROFILE, SSO, env variables) and
 *   the SDK's own endpoint resolution (which honours AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>
 *   and a profile's endpoint_url / services settings).
 */
export interface Target {
  kind: 'local' | 'endpoint' | 'aws';
  /** WORKBOOK_TARGET=aws: real AWS, costs and all. */
  realAws: boolean;
  /** How patient to be for changes to show; see Timing. */
  timing: Timing;
  region: string;
  /** The one URL every client uses; undefined for real AWS, where the SDK resolves each service's endpoint. */
  endpoint?: string;
  /** Undefined: the SDK's default credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** For kind "local": where the embedded cloud listens and keeps its data. */
  localCloud?: { port: number; dataDir: string };
  /** One line for people: "local cloud at http://127.0.0.1:4566". */
  label: string;
}

/**
 * How patient a caller must be before a change shows (a function Active, a grant in force, a
 * message delivered, a count settled) — the windows of waits and checks follow it:
 * - 'instant': the embedded local cloud applies every change at once; long waits mean a defect.
 * - 'emulator': LocalStack or another emulator: prompt APIs, but functions run in Docker, so a
 *   cold start takes seconds.
 * - 'aws': real AWS: eventual consistency (IAM, queue attributes, subscriptions), cold starts
 *   and lagging metrics; allow a minute or more.
 */
export type Timing = 'instant' | 'emulator' | 'aws';

export const DEFAULT_LOCAL_CLOUD_PORT = 4566;
const DEFAULT_REGION = 'us-east-1';
/**
 * The key pair the local cloud accepts (it verifies signatures): `test`/`test` unless
 * LOCAL_CLOUD_ACCESS_KEY_ID / LOCAL_CLOUD_SECRET_ACCESS_KEY change it for both. Other emulators
 * accept any credentials; these make it obvious that nothing real is used.
 */
function localCredentials(env: NodeJS.ProcessEnv): { accessKeyId: string; secretAccessKey: string } {
  return {
    accessKeyId: env.LOCAL_CLOUD_ACCESS_KEY_ID?.trim() || 'test',
    secretAccessKey: env.LOCAL_CLOUD_SECRET_ACCESS_KEY?.trim() || 'test',
  };
}

/**
 * Resolves the target from the environment (and `.env`) each time, so a caller may change it.
 * For WORKBOOK_TARGET=aws without AWS_REGION it uses the region discoverAwsRegion() read from the
 * AWS profile (runMain reads it before a command's body runs).
 */
export function resolveTarget(env: NodeJS.ProcessEnv = process.env): Target {
  loadDotEnv();
  const kind = targetKind(env);
  const endpoint = env.AWS_ENDPOINT_URL?.trim();

  if (kind === 'aws') {
    const found = regionFromEnvironment(env) ?? discoveredRegions.get(regionLookupKey(env));
    if (!found) {
      const { profile } = sharedConfigFiles(env);
      const profileRead = discoveredRegions.has(regionLookupKey(env));
      throw new WorkbookError(
        `WORKBOOK_TARGET=aws needs a region, and AWS_REGION is not set${profileRead ? ` (nor a region in the AWS profile "${profile}")` : ''}.`,
        'Add a line such as AWS_REGION=eu-west-1 to .env (or export it), or give your profile one (`aws configure set region eu-west-1`), then run the command again.',
      );
    }
    const { region, source } = found;
    if (!isKnownRegion(region)) {
      const subject = source.startsWith('AWS_') ? source : `The region in ${source}`;
      const shown = region.length > 40 ? `${region.slice(0, 40)}…` : region;
      throw new WorkbookError(`${subject} is "${shown}", which is not an AWS region.`, `Set a region code from AWS's list: ${unknownRegionAdvice(region)}`);
    }
    const credentials = env.AWS_PROFILE ? `profile ${env.AWS_PROFILE}` : 'default credentials';
    const regionFrom = source === 'AWS_REGION' ? '' : ` (from ${source})`;
    const overrides = Object.keys(env).filter((key) => key.startsWith('AWS_ENDPOINT_URL') && env[key]?.trim()).sort();
    const via = overrides.length ? `; endpoints from ${overrides.join(', ')}` : '';
    return { kind: 'aws', realAws: true, timing: 'aws', region, label: `real AWS, ${region}${regionFrom}, ${credentials}${via}` };
  }

  const region = env.AWS_REGION || DEFAULT_REGION;
  // An explicit endpoint always wins: LocalStack, or a local cloud you run elsewhere.
  if (endpoint) {
    return {
      kind: 'endpoint',
      realAws: false,
      timing: 'emulator',
      region,
      endpoint,
      credentials: localCredentials(env),
      label: `${endpoint} (AWS_ENDPOINT_URL), ${region}`,
    };
  }
  const port = localCloudPort(env);
  const dataDir = resolve(repoRoot, env.LOCAL_CLOUD_DATA || join('.workbook', 'local-cloud'));
  const url = `http://127.0.0.1:${port}`;
  return {
    kind: 'local',
    realAws: false,
    // A local cloud that plays AWS's timing (LOCAL_CLOUD_REALISM=aws) needs AWS's patience.
    timing: env.LOCAL_CLOUD_REALISM?.trim().toLowerCase() === 'aws' ? 'aws' : 'instant',
    region,
    endpoint: url,
    credentials: localCredentials(env),
    localCloud: { port, dataDir },
    label: `local cloud at ${url}, ${region}`,
  };
}

function targetKind(env: NodeJS.ProcessEnv): 'local' | 'aws' {
  const kind = (env.WORKBOOK_TARGET || 'local').trim().toLowerCase();
  if (kind !== 'local' && kind !== 'aws') {
    throw new WorkbookError(
      `WORKBOOK_TARGET is "${env.WORKBOOK_TARGET}", which is not a target.`,
      'Set WORKBOOK_TARGET=local (the embedded cloud, the default) or WORKBOOK_TARGET=aws (real AWS), in .env or the environment.',
    );
  }
  return kind;
}

/** A region and where it was set, for messages: "AWS_REGION", 'the AWS profile "dev"'. */
interface FoundRegion {
  region: string;
  source: string;
}

/** AWS_REGION (the SDK's variable) or AWS_DEFAULT_REGION (the aws CLI's). */
function regionFromEnvironment(env: NodeJS.ProcessEnv): FoundRegion | undefined {
  for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION']) {
    const region = env[name]?.trim();
    if (region) return { region, source: name };
  }
  return undefined;
}

/** Regions read from the AWS profile, by regionLookupKey; null when the profile has none. */
const discoveredRegions = new Map<string, FoundRegion | null>();

/** The profile and the two shared files the SDK reads it from (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE). */
function sharedConfigFiles(env: NodeJS.ProcessEnv) {
  return {
    profile: env.AWS_PROFILE?.trim() || 'default',
    configFilepath: env.AWS_CONFIG_FILE?.trim() || join(getHomeDir(), '.aws', 'config'),
    filepath: env.AWS_SHARED_CREDENTIALS_FILE?.trim() || join(getHomeDir(), '.aws', 'credentials'),
  };
}

const regionLookupKey = (env: NodeJS.ProcessEnv) => JSON.stringify(sharedConfigFiles(env));

/**
 * For WORKBOOK_TARGET=aws without AWS_REGION: reads the region the AWS SDK itself would use —
 * the profile's `region` (AWS_PROFILE, else "default"; SSO profiles included) from the shared
 * config and credentials files, else the EC2 instance's region (CloudShell, EC2) — and keeps it
 * for resolveTarget(), which is synchronous and called everywhere.
 *
 * Why not read the files in resolveTarget: the SDK's loader (loadConfig and the shared INI file
 * loader) is asynchronous only, and a second, synchronous INI parser here could disagree with the
 * SDK about which region the clients use. So the SDK's loader runs once, where every command
 * starts (runMain), before anything asks for the target.
 */
export async function discoverAwsRegion(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  loadDotEnv();
  if (targetKindOrLocal(env) !== 'aws' || regionFromEnvironment(env)) return;
  const key = regionLookupKey(env);
  if (discoveredRegions.has(key)) return;
  const { profile, configFilepath, filepath } = sharedConfigFiles(env);
  const fromProfile = await loadConfig(
    // AWS_REGION was looked at above; the instance metadata comes last, below.
    { environmentVariableSelector: () => undefined, configFileSelector: NODE_REGION_CONFIG_OPTIONS.configFileSelector, default: () => undefined },
    { ...NODE_REGION_CONFIG_FILE_OPTIONS, profile, configFilepath, filepath, ignoreCache: true },
  )().catch(() => undefined);
  if (typeof fromProfile === 'string' && fromProfile.trim()) {
    discoveredRegions.set(key, { region: fromProfile.trim(), source: `the AWS profile "${profile}"` });
    return;
  }
  const fromInstance = await Promise.resolve()
    .then(() => (NODE_REGION_CONFIG_OPTIONS.default as () => Promise<string>)())
    .catch(() => undefined);
  discoveredRegions.set(key, fromInstance?.trim() ? { region: fromInstance.trim(), source: "the EC2 instance's metadata" } : null);
}

/** The kind, or "local" when WORKBOOK_TARGET is not a target (resolveTarget then says so). */
function targetKindOrLocal(env: NodeJS.ProcessEnv): 'local' | 'aws' {
  try {
    return targetKind(env);
  } catch {
    return 'local';
  }
}

function localCloudPort(env: NodeJS.ProcessEnv): number {
  const raw = env.LOCAL_CLOUD_PORT;
  if (!raw) return DEFAULT_LOCAL_CLOUD_PORT;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new WorkbookError(
      `LOCAL_CLOUD_PORT is "${raw}", which is not a port the workbook can reach.`,
      'Set LOCAL_CLOUD_PORT to a number from 1 to 65535 (4566 by default), or remove it.',
    );
  }
  return port;
}
