import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { writeRest } from '../protocol/restJson.ts';
import { CONTROL_TOKEN_FILE, CONTROL_TOKEN_HEADER, presentedToken, tokenMatches } from './token.ts';

const WHERE_IT_IS =
  `Send the local cloud's token in the ${CONTROL_TOKEN_HEADER} header (or Authorization: Bearer TOKEN). ` +
  `It is in the file ${CONTROL_TOKEN_FILE} in the local cloud's data folder (LOCAL_CLOUD_DATA, by default .workbook/local-cloud), ` +
  'new at every start.';

export interface TokenRefusal {
  status: 401 | 403;
  code: 'LocalCloudTokenMissing' | 'LocalCloudTokenInvalid';
  message: string;
}

/** Why a request to a token-only endpoint is refused, or undefined when it carries the token. */
export function tokenRefusal(req: IncomingMessage, expected: string): TokenRefusal | undefined {
  const token = presentedToken(req.headersDistinct);
  if (token === undefined) {
    return { status: 401, code: 'LocalCloudTokenMissing', message: `This endpoint of the local cloud needs its token. ${WHERE_IT_IS}` };
  }
  if (!tokenMatches(token, expected)) {
    return {
      status: 403,
      code: 'LocalCloudTokenInvalid',
      message: `The token does not match this local cloud's (an earlier run's, or another data folder's?). ${WHERE_IT_IS}`,
    };
  }
  return undefined;
}

export function writeTokenRefusal(res: ServerResponse, refusal: TokenRefusal): void {
  writeRest(res, randomUUID(), {
    status: refusal.status,
    headers: refusal.status === 401 ? { 'www-authenticate': 'Bearer realm="local-cloud"' } : {},
    body: { code: refusal.code, message: refusal.message },
  });
}
