import { dict } from '../core/dict.ts';
import { apigatewayErrors as errors } from './errors.ts';
import { defaultMethodSetting, type MethodSettingRecord, type StageRecord } from './model.ts';

export interface PatchOperation {
  op?: string;
  path?: string;
  value?: string;
  from?: string;
}

const OPS = ['add', 'remove', 'move', 'test', 'replace', 'copy'];

/** Method-setting leaves, as UpdateStage names them after /{resourcePath}/{httpMethod}/. */
const SETTINGS: Record<string, { field: keyof MethodSettingRecord; kind: 'boolean' | 'integer' | 'number' | 'string' }> = {
  'metrics/enabled': { field: 'metricsEnabled', kind: 'boolean' },
  'logging/dataTrace': { field: 'dataTraceEnabled', kind: 'boolean' },
  'logging/loglevel': { field: 'loggingLevel', kind: 'string' },
  'throttling/burstLimit': { field: 'throttlingBurstLimit', kind: 'integer' },
  'throttling/rateLimit': { field: 'throttlingRateLimit', kind: 'number' },
  'caching/enabled': { field: 'cachingEnabled', kind: 'boolean' },
  'caching/ttlInSeconds': { field: 'cacheTtlInSeconds', kind: 'integer' },
  'caching/dataEncrypted': { field: 'cacheDataEncrypted', kind: 'boolean' },
  'caching/requireAuthorizationForCacheControl': { field: 'requireAuthorizationForCacheControl', kind: 'boolean' },
  'caching/unauthorizedCacheControlHeaderStrategy': { field: 'unauthorizedCacheControlHeaderStrategy', kind: 'string' },
};

/**
 * Applies UpdateStage's JSON-patch-like operations to a stage, in order. Paths are AWS's:
 * /description, /deploymentId, /variables/NAME, /tracingEnabled, /cacheClusterEnabled,
 * /cacheClusterSize, and method settings /{resourcePath}/{httpMethod}/{group}/{setting}
 * (e.g. /*\/*\/throttling/rateLimit, or /~1orders/POST/throttling/burstLimit).
 */
export function applyStagePatch(
  stage: StageRecord,
  operations: PatchOperation[],
  deploymentExists: (id: string) => boolean,
): void {
  operations.forEach((operation, i) => {
    if (!operation.op || !OPS.includes(operation.op)) throw errors.invalidPatchOp(i + 1, String(operation.op), 'updateStageInput');
  });
  for (const operation of operations) applyOne(stage, operation, deploymentExists);
}

function applyOne(stage: StageRecord, operation: PatchOperation, deploymentExists: (id: string) => boolean): void {
  const { op, value } = operation;
  const path = operation.path ?? '';
  const removing = op === 'remove';

  switch (path) {
    case '/description':
      stage.description = removing || !value ? undefined : value;
      return;
    case '/deploymentId':
      if (!value || !deploymentExists(value)) throw errors.deploymentIdUnknown();
      stage.deploymentId = value;
      return;
    case '/tracingEnabled':
      stage.tracingEnabled = !removing && value?.toLowerCase() === 'true';
      return;
    case '/cacheClusterEnabled':
      stage.cacheClusterEnabled = !removing && value?.toLowerCase() === 'true';
      stage.cacheClusterStatus = stage.cacheClusterEnabled ? 'AVAILABLE' : 'NOT_AVAILABLE';
      stage.cacheClusterSize = stage.cacheClusterEnabled ? (stage.cacheClusterSize ?? '0.5') : undefined;
      return;
    case '/cacheClusterSize':
      stage.cacheClusterSize = removing ? undefined : value;
      return;
  }

  if (path.startsWith('/variables/') && path.length > '/variables/'.length) {
    const name = path.slice('/variables/'.length);
    checkStageVariableNames([name]);
    const variables = dict(stage.variables);
    if (removing) delete variables[name];
    else variables[name] = value ?? '';
    stage.variables = Object.keys(variables).length ? variables : undefined;
    return;
  }

  const segments = path.split('/').slice(1);
  // "remove /{resourcePath}/{httpMethod}" drops that method's settings altogether.
  if (removing && segments.length >= 2 && !SETTINGS[segments.slice(-2).join('/')]) {
    const key = methodSettingKey(segments);
    if (!stage.methodSettings[key]) throw errors.cannotRemoveSetting(key);
    delete stage.methodSettings[key];
    return;
  }
  const setting = segments.length >= 4 ? SETTINGS[segments.slice(-2).join('/')] : undefined;
  if (!setting) throw errors.invalidStagePatchPath(path);

  const key = methodSettingKey(segments.slice(0, -2));
  // A new method's settings start from the stage-wide ones (or AWS's defaults).
  const entry = (stage.methodSettings[key] ??= structuredClone(stage.methodSettings['*/*'] ?? defaultMethodSetting()));
  (entry as unknown as Record<string, unknown>)[setting.field] = removing
    ? defaultMethodSetting()[setting.field]
    : parseValue(path, value, setting.kind);
}

/**
 * The methodSettings key for /{resourcePath}/{httpMethod}: "*\/*", or the resource path
 * without its leading slash and the method, e.g. "orders/POST". A resource path may come
 * JSON-pointer escaped (~1 for "/") or spelled with plain slashes.
 */
function methodSettingKey(segments: string[]): string {
  const method = segments[segments.length - 1];
  const resource = segments
    .slice(0, -1)
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    .join('/')
    .replace(/^\/+/, '');
  return `${resource}/${method}`;
}

function parseValue(path: string, value: string | undefined, kind: 'boolean' | 'integer' | 'number' | 'string'): unknown {
  if (kind === 'string') return value;
  if (kind === 'boolean') return value?.toLowerCase() === 'true';
  const n = Number(value);
  if (value === undefined || value.trim() === '' || !Number.isFinite(n) || (kind === 'integer' && !Number.isInteger(n))) {
    throw errors.invalidPatchValue(path, value);
  }
  return n;
}

/** Stage variable names are word characters ("__proto__" is one, and an ordinary name here). */
export function checkStageVariableNames(names: Iterable<string>): void {
  for (const name of names) if (!/^\w+$/.test(name)) throw errors.invalidStageVariableName(name);
}
