import { dict } from '../core/dict.ts';
import { lambdaErrors } from './errors.ts';

/**
 * Lambda's input rules with AWS's messages. The constraint texts are the API model's (AWS
 * returns them verbatim in "1 validation error detected: ..." messages).
 */

export const ROLE_PATTERN = 'arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+';
const ROLE_REGEX = new RegExp(`^${ROLE_PATTERN}$`);

export const FUNCTION_NAME_PATTERN =
  '(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?';
const FUNCTION_NAME_REGEX = new RegExp(`^${FUNCTION_NAME_PATTERN}$`);

/** The Node.js runtimes the local cloud runs (on the local Node). */
export const SUPPORTED_RUNTIMES = ['nodejs20.x', 'nodejs22.x', 'nodejs24.x'] as const;
const RECOMMENDED_RUNTIME = 'nodejs22.x';
const RETIRED_NODE_RUNTIMES = new Set([
  'nodejs',
  'nodejs4.3',
  'nodejs4.3-edge',
  'nodejs6.10',
  'nodejs8.10',
  'nodejs10.x',
  'nodejs12.x',
  'nodejs14.x',
  'nodejs16.x',
  'nodejs18.x',
]);
/** Runtimes AWS offers that the local cloud cannot run. */
const OTHER_AWS_RUNTIMES = [
  'java8.al2',
  'java11',
  'java17',
  'java21',
  'python3.9',
  'python3.10',
  'python3.11',
  'python3.12',
  'python3.13',
  'python3.14',
  'dotnet8',
  'ruby3.2',
  'ruby3.3',
  'ruby3.4',
  'provided',
  'provided.al2',
  'provided.al2023',
];
const RUNTIME_ENUM = [...RETIRED_NODE_RUNTIMES, ...SUPPORTED_RUNTIMES, ...OTHER_AWS_RUNTIMES];

/** Environment variables the Lambda service sets itself and refuses to let a function override. */
const RESERVED_ENVIRONMENT_KEYS = new Set([
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
]);
const ENVIRONMENT_KEY = /^[a-zA-Z]([a-zA-Z0-9_])+$/;

export function checkRoleArn(role: unknown): string {
  if (typeof role !== 'string' || role === '') {
    throw lambdaErrors.validation(role, 'role', 'Member must not be null');
  }
  if (!ROLE_REGEX.test(role)) {
    throw lambdaErrors.validation(role, 'role', `Member must satisfy regular expression pattern: ${ROLE_PATTERN}`);
  }
  return role;
}

/** A function name as CreateFunction takes it (a name, a partial ARN or a full ARN). */
export function checkFunctionName(value: unknown, member = 'functionName'): string {
  if (typeof value !== 'string' || value === '') {
    throw lambdaErrors.validation(value, member, 'Member must not be null');
  }
  if (value.length > 140) {
    throw lambdaErrors.validation(value, member, 'Member must have length less than or equal to 140');
  }
  if (!FUNCTION_NAME_REGEX.test(value)) {
    throw lambdaErrors.validation(value, member, `Member must satisfy regular expression pattern: ${FUNCTION_NAME_PATTERN}`);
  }
  return value;
}

/** The API model's pattern for an ARN (AddPermission's SourceArn): a URL or a bare id is refused. */
export const SOURCE_ARN_PATTERN = 'arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:([a-z]{2}(-gov)?-[a-z]+-\\d{1})?:(\\d{12})?:(.*)';
const SOURCE_ARN_REGEX = new RegExp(`^${SOURCE_ARN_PATTERN}$`, 's');

/** AddPermission's SourceArn: absent, or an ARN by the API model's pattern. */
export function checkSourceArn(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || !SOURCE_ARN_REGEX.test(value)) {
    throw lambdaErrors.validation(value, 'sourceArn', `Member must satisfy regular expression pattern: ${SOURCE_ARN_PATTERN}`);
  }
  return value;
}

export function checkRuntime(runtime: unknown): string {
  if (typeof runtime !== 'string' || !RUNTIME_ENUM.includes(runtime)) {
    throw lambdaErrors.validation(runtime, 'runtime', `Member must satisfy enum value set: [${RUNTIME_ENUM.join(', ')}]`);
  }
  if (RETIRED_NODE_RUNTIMES.has(runtime)) throw lambdaErrors.runtimeNoLongerSupported(runtime, RECOMMENDED_RUNTIME);
  if (!(SUPPORTED_RUNTIMES as readonly string[]).includes(runtime)) {
    throw lambdaErrors.runtimeNotEmulated(runtime, SUPPORTED_RUNTIMES);
  }
  return runtime;
}

export function checkHandler(handler: unknown): string {
  if (handler === undefined || handler === null || handler === '') throw lambdaErrors.handlerRequired();
  if (typeof handler !== 'string' || !/^[^\s]+$/.test(handler)) {
    throw lambdaErrors.validation(handler, 'handler', 'Member must satisfy regular expression pattern: [^\\s]+');
  }
  if (handler.length > 128) {
    throw lambdaErrors.validation(handler, 'handler', 'Member must have length less than or equal to 128');
  }
  return handler;
}

export function checkRange(value: unknown, member: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw lambdaErrors.validation(value, member, 'Member must be an integer');
  }
  if (value < min) throw lambdaErrors.validation(value, member, `Member must have value greater than or equal to ${min}`);
  if (value > max) throw lambdaErrors.validation(value, member, `Member must have value less than or equal to ${max}`);
  return value;
}

export function checkDescription(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw lambdaErrors.validation(value, 'description', 'Member must be a string');
  if (value.length > 256) {
    throw lambdaErrors.validation(value, 'description', 'Member must have length less than or equal to 256');
  }
  return value;
}

export function checkEnvironment(environment: unknown): Record<string, string> | undefined {
  if (environment === undefined || environment === null) return undefined;
  const variables = (environment as { Variables?: unknown }).Variables ?? {};
  if (typeof variables !== 'object' || variables === null || Array.isArray(variables)) {
    throw lambdaErrors.invalidParameter('Environment.Variables must be a map of strings.');
  }
  const out = dict<string>();
  for (const [key, value] of Object.entries(variables)) {
    if (!ENVIRONMENT_KEY.test(key)) {
      throw lambdaErrors.validation(
        `[${key}]`,
        'environment.variables',
        'Member must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]',
      );
    }
    out[key] = String(value);
  }
  const reserved = Object.keys(out).filter((key) => RESERVED_ENVIRONMENT_KEYS.has(key));
  if (reserved.length) throw lambdaErrors.reservedEnvironmentKeys(reserved);
  // AWS measures the variables as a JSON-ish "{KEY=value, ...}" string against 4 KB.
  const measured = `{${Object.entries(out).map(([k, v]) => `${k}=${v}`).join(', ')}}`;
  if (Buffer.byteLength(measured) > 4096) throw lambdaErrors.environmentTooLarge(measured.slice(0, 100));
  return out;
}

export function checkArchitectures(value: unknown): string[] {
  if (value === undefined || value === null) return ['x86_64'];
  if (!Array.isArray(value) || value.length !== 1) {
    throw lambdaErrors.validation(value, 'architectures', 'Member must have length less than or equal to 1');
  }
  if (value[0] !== 'x86_64' && value[0] !== 'arm64') {
    throw lambdaErrors.validation(
      `[${value[0]}]`,
      'architectures',
      'Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64]]',
    );
  }
  return [value[0]];
}

export function checkTracingMode(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const mode = (value as { Mode?: unknown }).Mode;
  if (mode !== 'Active' && mode !== 'PassThrough') {
    throw lambdaErrors.validation(mode, 'tracingConfig.mode', 'Member must satisfy enum value set: [Active, PassThrough]');
  }
  return mode;
}

/** Statement ids and the Action of AddPermission. */
export function checkStatementId(value: unknown): string {
  if (typeof value !== 'string' || value === '') throw lambdaErrors.validation(value, 'statementId', 'Member must not be null');
  if (!/^([a-zA-Z0-9-_.]+)$/.test(value)) {
    throw lambdaErrors.validation(value, 'statementId', 'Member must satisfy regular expression pattern: ([a-zA-Z0-9-_.]+)');
  }
  if (value.length > 100) {
    throw lambdaErrors.validation(value, 'statementId', 'Member must have length less than or equal to 100');
  }
  return value;
}

export function checkPermissionAction(value: unknown): string {
  if (typeof value !== 'string' || value === '') throw lambdaErrors.validation(value, 'action', 'Member must not be null');
  if (!/^(lambda:[*]|lambda:[a-zA-Z]+|[*])$/.test(value)) {
    throw lambdaErrors.validation(
      value,
      'action',
      'Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])',
    );
  }
  return value;
}
