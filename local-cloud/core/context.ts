import type { Cloud } from '../cloud.ts';

/** Who is calling. The learner's own credentials are an admin; function code runs as its role. */
export interface Caller {
  kind: 'admin' | 'role';
  /** arn:aws:iam::ACCOUNT:root, or arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION */
  arn: string;
  userId: string;
  accessKeyId: string;
  /** For kind "role": arn:aws:iam::ACCOUNT:role/PATH/NAME */
  roleArn?: string;
}

/** Everything an operation needs to know about the call besides its input. */
export interface CallContext {
  requestId: string;
  region: string;
  accountId: string;
  /** Signing name: sqs, sns, iam, sts, lambda, apigateway, logs, dynamodb. */
  service: string;
  action: string;
  caller: Caller;
  cloud: Cloud;
  /** Aborted when the client hangs up before the answer (ends long polls without taking messages). */
  signal?: AbortSignal;
}

/** Credential scope of a SigV4 Authorization header: access key, region, service. */
export interface CredentialScope {
  accessKeyId: string;
  region: string;
  service: string;
}

export function parseCredentialScope(authorization: string | undefined): CredentialScope | undefined {
  if (!authorization) return undefined;
  const match = /Credential=([^/,\s]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(authorization);
  if (!match) return undefined;
  return { accessKeyId: match[1], region: match[2], service: match[3] };
}
