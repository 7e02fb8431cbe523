import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/server.ts';
import { CONTROL_TOKEN_HEADER } from '../../local-cloud/control/token.ts';
import type { RealismProfile } from '../../local-cloud/realism/profile.ts';
import type { SandboxSizing } from '../../local-cloud/lambda/runtime/sizing.ts';

const execFileAsync = promisify(execFile);

export const TEST_REGION = 'us-east-1';
export const TEST_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

export interface TestCloud extends LocalCloud {
  dataDir: string;
  /** Config for any SDK v3 client: `new SQSClient(cloud.clientConfig)`. */
  clientConfig: { endpoint: string; region: string; credentials: typeof TEST_CREDENTIALS };
  /** Environment for child processes (step scripts, checks) aimed at this cloud. */
  env: NodeJS.ProcessEnv;
  /** Runs the real aws CLI (/usr/bin/aws) against this cloud; JSON output parsed. */
  aws(...args: string[]): Promise<AwsCliResult>;
  /** fetch() of /_localcloud/PATH (health, faults) with the cloud's control token. */
  control(path: string, init?: RequestInit): Promise<Response>;
}

export interface AwsCliResult {
  code: number;
  stdout: string;
  stderr: string;
  json: any;
}

/**
 * A fresh local cloud on a free port with its own data folder; close() removes the folder.
 * `realism: RealismProfile.aws(scale)` plays AWS's timing (local-cloud/realism/), off by default.
 */
export async function startTestCloud(
  options: { dataDir?: string; realism?: RealismProfile; sandboxes?: SandboxSizing; sdkChannel?: boolean } = {},
): Promise<TestCloud> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'local-cloud-test-'));
  const local = await startLocalCloud({
    port: 0,
    dataDir,
    region: TEST_REGION,
    realism: options.realism,
    sandboxes: options.sandboxes,
    sdkChannel: options.sdkChannel,
  });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    WORKBOOK_TARGET: 'local',
    LOCAL_CLOUD_PORT: String(local.port),
    LOCAL_CLOUD_DATA: dataDir,
    AWS_REGION: TEST_REGION,
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL: undefined,
    AWS_PROFILE: undefined,
    NO_COLOR: '1',
  };
  return {
    ...local,
    dataDir,
    clientConfig: { endpoint: local.url, region: TEST_REGION, credentials: TEST_CREDENTIALS },
    env,
    aws: (...args) => runAwsCli(local.url, args),
    control: (path, init = {}) =>
      fetch(`${local.url}/_localcloud/${path}`, {
        ...init,
        headers: { ...(init.headers as Record<string, string> | undefined), [CONTROL_TOKEN_HEADER]: local.controlToken },
      }),
    close: async () => {
      await local.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The Debian aws CLI by full path: another `aws` may come first on PATH. */
export const AWS_CLI = '/usr/bin/aws';

export async function runAwsCli(endpoint: string, args: string[]): Promise<AwsCliResult> {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_DEFAULT_REGION: TEST_REGION,
    AWS_PAGER: '',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  };
  try {
    const { stdout, stderr } = await execFileAsync(
      AWS_CLI,
      ['--endpoint-url', endpoint, '--output', 'json', ...args],
      { env, timeout: 60_000 },
    );
    return { code: 0, stdout, stderr, json: stdout.trim() ? JSON.parse(stdout) : undefined };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '', json: undefined };
  }
}
