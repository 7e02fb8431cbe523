import { resolveTarget, type Target } from './config.ts';
import { partitionOfArn, partitionOfRegion } from './partition.ts';

/**
 * Where a deployed REST API answers. On AWS, in the region's partition:
 *   https://API_ID.execute-api.REGION.DNS_SUFFIX/STAGE/PATH   (DNS_SUFFIX: amazonaws.com, amazonaws.com.cn, …)
 * On the local cloud (and LocalStack), one endpoint serves every API:
 *   http://127.0.0.1:4566/restapis/API_ID/STAGE/_user_request_/PATH
 */
export function invokeUrl(apiId: string, stage: string, path = '/', target: Target = resolveTarget()): string {
  const tail = path.startsWith('/') ? path : `/${path}`;
  if (target.kind === 'aws') return `https://${executeApiHost(apiId, target.region)}/${stage}${tail}`;
  return `${target.endpoint!.replace(/\/+$/, '')}/restapis/${apiId}/${stage}/_user_request_${tail}`;
}

/** The host of a REST API on AWS: API_ID.execute-api.REGION.DNS_SUFFIX. */
export function executeApiHost(apiId: string, region: string): string {
  return `${apiId}.execute-api.${region}.${partitionOfRegion(region).dnsSuffix}`;
}

/**
 * The ARN API Gateway presents when it invokes a function for a call: what a permission's
 * SourceArn is matched against. `stage` and `method` may be `*`; `partition` comes from the
 * caller's identity (GetCallerIdentity's Arn, see identity.ts).
 */
export function executeApiArn(p: { partition: string; region: string; accountId: string; apiId: string; stage: string; method: string; path: string }): string {
  return `arn:${p.partition}:execute-api:${p.region}:${p.accountId}:${p.apiId}/${p.stage}/${p.method}${p.path}`;
}

/**
 * The Lambda integration URI API Gateway calls for an AWS_PROXY integration, in the function's
 * own partition and region (both read from the ARN Lambda returned).
 */
export function lambdaIntegrationUri(functionArn: string): string {
  const region = functionArn.split(':')[3];
  return `arn:${partitionOfArn(functionArn)}:apigateway:${region}:lambda:path/2015-03-31/functions/${functionArn}/invocations`;
}
