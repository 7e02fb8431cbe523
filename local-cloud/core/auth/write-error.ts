import type { IncomingMessage, ServerResponse } from 'node:http';
import { writeJsonError, type JsonService } from '../../protocol/awsJson.ts';
import { queryErrorXml } from '../../protocol/awsQuery.ts';
import { writeRest } from '../../protocol/restJson.ts';
import { CORAL_NAMESPACE, type SignatureError } from './errors.ts';
import { parseCredentialScope, type CredentialScope } from '../context.ts';

/**
 * Writes a refusal of the signature check the way AWS's front door does: query services as
 * their ErrorResponse XML, JSON services with a Coral __type (SQS adding its query code), Lambda
 * and API Gateway as {"message": ...} with x-amzn-ErrorType.
 */
export function writeSignatureError(
  res: ServerResponse,
  requestId: string,
  error: SignatureError,
  service: { xmlns?: string; json?: Pick<JsonService, 'version' | 'queryCompatible'> },
): void {
  if (error.style === 'query') {
    res.writeHead(error.status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
    res.end(queryErrorXml(error, requestId, service.xmlns));
    return;
  }
  if (error.style === 'rest') {
    writeRest(res, requestId, {
      status: error.status,
      headers: { 'x-amzn-errortype': error.code, 'content-type': 'application/json' },
      body: { message: error.message },
    });
    return;
  }
  const json = service.json ?? { version: '1.0' as const };
  writeJsonError(res, { ...json, errorNamespace: CORAL_NAMESPACE, queryCompatible: error.style === 'sqs-json' }, requestId, error);
}

/** The credential scope from the Authorization header or a presigned URL's X-Amz-Credential. */
export function credentialScopeOf(req: IncomingMessage): CredentialScope | undefined {
  const authorization = req.headers.authorization;
  if (authorization) return parseCredentialScope(authorization);
  const match = /[?&]X-Amz-Credential=([^&]*)/.exec(req.url ?? '');
  if (!match) return undefined;
  try {
    return parseCredentialScope(`Credential=${decodeURIComponent(match[1])}`);
  } catch {
    return undefined;
  }
}
