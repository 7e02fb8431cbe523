import { apigatewayErrors as errors } from './errors.ts';

/**
 * Integration URIs. An AWS / AWS_PROXY integration names an AWS service call as an
 * "API Gateway service ARN": arn:aws:apigateway:REGION:SERVICE:path/... or :action/...
 * For Lambda: arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/FUNCTION_ARN/invocations.
 */
const LAMBDA_PATH = /^path\/2015-03-31\/functions\/(.+)\/invocations$/;
const FUNCTION_ARN = /^arn:aws[\w-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9$_-]+)?$/;

export const INTEGRATION_TYPES = ['HTTP', 'MOCK', 'AWS_PROXY', 'HTTP_PROXY', 'AWS'];

/** Throws AWS's error for a URI that does not suit the integration type. */
export function validateIntegrationUri(type: string, uri: string | undefined): void {
  if (type === 'MOCK') return;
  if (type === 'HTTP' || type === 'HTTP_PROXY') {
    if (!uri || !/^https?:\/\/[^/\s]+/i.test(uri)) throw errors.invalidHttpEndpoint();
    return;
  }
  // AWS, AWS_PROXY
  const parts = uri?.split(':') ?? [];
  if (!uri || parts.length < 6 || parts[0] !== 'arn' || !parts[1].startsWith('aws')) throw errors.invalidArn();
  const [, , service, , subService] = parts;
  const rest = parts.slice(5).join(':');
  if (service !== 'apigateway' || !/^(path|action)\//.test(rest)) throw errors.arnNeedsPathOrAction();
  if (type === 'AWS_PROXY') {
    const fn = subService === 'lambda' ? LAMBDA_PATH.exec(rest)?.[1] : undefined;
    if (!fn || !(FUNCTION_ARN.test(fn) || fn.includes('${stageVariables.'))) throw errors.proxyOnlyLambda();
  }
}

/** The Lambda function ARN an integration URI invokes, with stage variables substituted. */
export function lambdaFunctionArn(uri: string, stageVariables: Record<string, string> = {}): string | undefined {
  const rest = uri.split(':').slice(5).join(':');
  const fn = LAMBDA_PATH.exec(rest)?.[1];
  if (!fn) return undefined;
  return fn.replace(/\$\{stageVariables\.([A-Za-z0-9_]+)\}/g, (_, name: string) => stageVariables[name] ?? '');
}
