import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, relative, resolve } from 'node:path';
import { WorkbookError } from './errors.ts';

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
  const file = join(repoRoot, '.env');
  if (existsSync(file)) process.loadEnvFile(file);
}

/**
 * Where the workbook's scripts send their calls.
 * - local: the embedded local cloud (the default); started for you when it is not running.
 * - endpoint: an explicit AWS_ENDPOINT_URL, e.g. LocalStack. You run it yourself.
 * - aws: real AWS, with the SDK's default credential chain (AWS_PROFILE, SSO, env variables).
 */
export interface Target {
  kind: 'local' | 'endpoint' | 'aws';
  /** WORKBOOK_TARGET=aws: real AWS, costs and all (possibly through an AWS_ENDPOINT_URL). */
  realAws: boolean;
  region: string;
  /** Undefined for real AWS: the SDK uses the regional endpoint. */
  endpoint?: string;
  /** Undefined: the SDK's default credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** For kind "local": where the embedded cloud listens and keeps its data. */
  localCloud?: { port: number; dataDir: string };
  /** One line for people: "local cloud at http://127.0.0.1:4566". */
  label: string;
}

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

/** Resolves the target from the environment (and `.env`) each time, so a caller may change it. */
export function resolveTarget(env: NodeJS.ProcessEnv = process.env): Target {
  loadDotEnv();
  const kind = (env.WORKBOOK_TARGET || 'local').trim().toLowerCase();
  if (kind !== 'local' && kind !== 'aws') {
    throw new WorkbookError(
      `WORKBOOK_TARGET is "${env.WORKBOOK_TARGET}", which is not a target.`,
      'Set WORKBOOK_TARGET=local (the embedded cloud, the default) or WORKBOOK_TARGET=aws (real AWS), in .env or the environment.',
    );
  }
  const endpoint = env.AWS_ENDPOINT_URL?.trim();

  if (kind === 'aws') {
    const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
    if (!region) {
      throw new WorkbookError(
        'WORKBOOK_TARGET=aws needs a region, and AWS_REGION is not set.',
        'Add a line such as AWS_REGION=eu-west-1 to .env (or export it), then run the command again.',
      );
    }
    const profile = env.AWS_PROFILE ? `profile ${env.AWS_PROFILE}` : 'default credentials';
    if (endpoint) {
      return { kind: 'endpoint', realAws: true, region, endpoint, label: `AWS at ${endpoint} (AWS_ENDPOINT_URL), ${region}, ${profile}` };
    }
    return { kind: 'aws', realAws: true, region, label: `real AWS, ${region}, ${profile}` };
  }

  const region = env.AWS_REGION || DEFAULT_REGION;
  // An explicit endpoint always wins: LocalStack, or a local cloud you run elsewhere.
  if (endpoint) {
    return {
      kind: 'endpoint',
      realAws: false,
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
    region,
    endpoint: url,
    credentials: localCredentials(env),
    localCloud: { port, dataDir },
    label: `local cloud at ${url}, ${region}`,
  };
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
