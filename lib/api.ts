import { resolveTarget, type Target } from './config.ts';

/**
 * Where a deployed REST API answers. On AWS:
 *   https://API_ID.execute-api.REGION.amazonaws.com/STAGE/PATH
 * On the local cloud (and LocalStack), one endpoint serves every API:
 *   http://127.0.0.1:4566/restapis/API_ID/STAGE/_user_request_/PATH
 */
export function invokeUrl(apiId: string, stage: string, path = '/', target: Target = resolveTarget()): string {
  const tail = path.startsWith('/') ? path : `/${path}`;
  if (target.endpoint) return `${target.endpoint.replace(/\/+$/, '')}/restapis/${apiId}/${stage}/_user_request_${tail}`;
  return `https://${apiId}.execute-api.${target.region}.amazonaws.com/${stage}${tail}`;
}

/**
 * The ARN API Gateway presents when it invokes a function for a call: what a permission's
 * SourceArn is matched against. `stage` and `method` may be `*`.
 */
export function executeApiArn(p: { region: string; accountId: string; apiId: string; stage: string; method: string; path: string }): string {
  return `arn:aws:execute-api:${p.region}:${p.accountId}:${p.apiId}/${p.stage}/${p.method}${p.path}`;
}

/** The Lambda integration URI API Gateway calls for an AWS_PROXY integration. */
export function lambdaIntegrationUri(region: string, functionArn: string): string {
  return `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${functionArn}/invocations`;
}
