import type { RoleSession } from '../../sts/sessions.ts';

/**
 * The environment a worker starts with: what Lambda sets for every function, then the function's
 * own variables. It is built from scratch: nothing of the local cloud's own environment leaks in
 * (least of all the learner's real AWS credentials), except PATH. TMPDIR, which Lambda does not set,
 * points os.tmpdir() at the sandbox's own /tmp.
 */
export interface EnvironmentInput {
  functionName: string;
  runtime: string;
  /** The major of the Node that runs the worker. */
  nodeMajor: number;
  handler: string;
  memorySize: number;
  region: string;
  logGroupName: string;
  logStreamName: string;
  taskRoot: string;
  runtimeDir: string;
  /** Where the function's SDK calls go: the local cloud itself. */
  endpointUrl: string;
  session: RoleSession;
  /** The sandbox's /tmp: os.tmpdir() there. */
  tmpDir: string;
  variables?: Record<string, string>;
}

export function workerEnvironment(input: EnvironmentInput): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    TMPDIR: input.tmpDir,
    _HANDLER: input.handler,
    AWS_EXECUTION_ENV: `AWS_Lambda_${input.runtime}`,
    AWS_REGION: input.region,
    AWS_DEFAULT_REGION: input.region,
    AWS_LAMBDA_FUNCTION_NAME: input.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(input.memorySize),
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: input.logGroupName,
    AWS_LAMBDA_LOG_STREAM_NAME: input.logStreamName,
    AWS_ACCESS_KEY_ID: input.session.accessKeyId,
    AWS_SECRET_ACCESS_KEY: input.session.secretAccessKey,
    AWS_SESSION_TOKEN: input.session.sessionToken,
    LAMBDA_TASK_ROOT: input.taskRoot,
    LAMBDA_RUNTIME_DIR: input.runtimeDir,
    AWS_ENDPOINT_URL: input.endpointUrl,
    ...olderNodeQuirks(input.nodeMajor),
    ...input.variables,
  };
}

/**
 * On a worker Node older than 22 (standing in for nodejs22.x), the AWS SDK inside a function
 * would log a Node-version warning as an ERROR line on every cold start — a line the function's
 * author never caused and would not see on AWS.
 */
function olderNodeQuirks(major: number): NodeJS.ProcessEnv {
  return major < 22 ? { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } : {};
}
