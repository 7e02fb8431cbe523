import type { IncomingMessage } from 'node:http';
import { signatureErrors, type AuthStyle } from './errors.ts';
import type { QueryPair } from './canonical-request.ts';

/** What a SigV4 request claims, from its Authorization header or its presigned query. */
export interface SignatureClaim {
  form: 'header' | 'presigned';
  accessKeyId: string;
  /** YYYYMMDD, region, service, terminator: the credential scope as the client wrote it. */
  scopeDay: string;
  region: string;
  service: string;
  terminator: string;
  /** keyid/day/region/service/terminator minus the key id: what the string to sign names. */
  scope: string;
  /** Lower-case header names, in the client's order. */
  signedHeaders: string[];
  signature: string;
  /** As sent: X-Amz-Date (header or query), checked for format later. */
  amzDate: string;
  /** Presigned only: X-Amz-Expires, seconds. */
  expires?: string;
  securityToken?: string;
}

export const ALGORITHM = 'AWS4-HMAC-SHA256';
const AUTH_PARAMS = ['Credential', 'SignedHeaders', 'Signature'] as const;
const QUERY_PARAMS = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-SignedHeaders', 'X-Amz-Date'] as const;

/** True when the request carries any signature at all (header or presigned query). */
export function isSigned(req: IncomingMessage, query: QueryPair[]): boolean {
  return req.headers.authorization !== undefined || query.some(([key]) => key === 'X-Amz-Algorithm');
}

/**
 * Reads the claim, refusing in AWS's words what cannot be a SigV4 signature. Anything a client
 * sends ends here as a SignatureError, never as another exception: parts are kept in a Map, so
 * names such as "__proto__" are just names, and repeats are refused.
 */
export function parseSignature(req: IncomingMessage, query: QueryPair[], style: AuthStyle): SignatureClaim {
  const authorization = req.headers.authorization;
  const presigned = query.some(([key]) => key === 'X-Amz-Algorithm');
  if (authorization !== undefined && presigned) {
    throw signatureErrors.invalid(style, "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.");
  }
  return authorization !== undefined ? fromHeader(req, authorization, style) : fromQuery(query, style);
}

function fromHeader(req: IncomingMessage, authorization: string, style: AuthStyle): SignatureClaim {
  const trimmed = authorization.trim();
  if (!trimmed.startsWith('AWS4-')) throw signatureErrors.missing(style);
  const space = trimmed.search(/\s/);
  const algorithm = space < 0 ? trimmed : trimmed.slice(0, space);
  const params = new Map<string, string>();
  for (const piece of (space < 0 ? '' : trimmed.slice(space)).split(/[\s,]+/)) {
    if (!piece) continue;
    const eq = piece.indexOf('=');
    if (eq < 0) {
      throw signatureErrors.incomplete(
        style,
        `'${clip(piece)}' not a valid key=value pair (missing equal-sign) in Authorization header: '${clip(authorization)}'.`,
      );
    }
    const name = piece.slice(0, eq);
    if (params.has(name)) {
      throw signatureErrors.incomplete(style, `Authorization header has '${clip(name)}' more than once. Authorization=${clip(authorization)}`);
    }
    params.set(name, piece.slice(eq + 1));
  }
  let problems = '';
  for (const name of AUTH_PARAMS) if (!params.get(name)) problems += `Authorization header requires '${name}' parameter. `;
  const amzDate = dateHeader(req);
  if (!amzDate) problems += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
  if (problems) throw signatureErrors.incomplete(style, `${problems}Authorization=${clip(authorization)}`);
  checkAlgorithm(algorithm, style);
  const token = req.headers['x-amz-security-token'];
  return {
    form: 'header',
    ...credentialOf(params.get('Credential')!, style),
    signedHeaders: signedHeadersOf(params.get('SignedHeaders')!),
    signature: params.get('Signature')!,
    amzDate: amzDate!,
    securityToken: Array.isArray(token) ? token.join(',') : token,
  };
}

function fromQuery(query: QueryPair[], style: AuthStyle): SignatureClaim {
  const params = new Map<string, string>();
  for (const [key, value] of query) {
    if (!key.startsWith('X-Amz-')) continue;
    if (params.has(key)) {
      throw signatureErrors.incomplete(style, `AWS query-string parameter '${clip(key)}' appears more than once. Re-examine the query-string parameters.`);
    }
    params.set(key, value);
  }
  let problems = '';
  for (const name of QUERY_PARAMS) if (!params.get(name)) problems += `AWS query-string parameters must include '${name}'. `;
  if (problems) throw signatureErrors.incomplete(style, `${problems}Re-examine the query-string parameters.`);
  checkAlgorithm(params.get('X-Amz-Algorithm')!, style);
  return {
    form: 'presigned',
    ...credentialOf(params.get('X-Amz-Credential')!, style),
    signedHeaders: signedHeadersOf(params.get('X-Amz-SignedHeaders')!),
    signature: params.get('X-Amz-Signature')!,
    amzDate: params.get('X-Amz-Date')!,
    expires: params.get('X-Amz-Expires'),
    securityToken: params.get('X-Amz-Security-Token'),
  };
}

function checkAlgorithm(algorithm: string, style: AuthStyle): void {
  if (algorithm !== ALGORITHM) {
    throw signatureErrors.incomplete(style, `Unsupported AWS 'algorithm': '${clip(algorithm)}' (only ${ALGORITHM} for now). `);
  }
}

type CredentialParts = Pick<SignatureClaim, 'accessKeyId' | 'scopeDay' | 'region' | 'service' | 'terminator' | 'scope'>;

function credentialOf(credential: string, style: AuthStyle): CredentialParts {
  const parts = credential.replace(/\/+$/, '').split('/');
  if (parts.length !== 5 || parts.some((part) => part === '')) {
    throw signatureErrors.incomplete(
      style,
      `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${clip(credential)}'`,
    );
  }
  const [accessKeyId, scopeDay, region, service, terminator] = parts;
  return { accessKeyId, scopeDay, region, service, terminator, scope: parts.slice(1).join('/') };
}

function signedHeadersOf(list: string): string[] {
  return list.split(';').map((name) => name.trim().toLowerCase());
}

/** X-Amz-Date, or failing that the Date header in ISO-8601 basic form, as the signer used it. */
function dateHeader(req: IncomingMessage): string | undefined {
  const amzDate = req.headers['x-amz-date'];
  if (amzDate) return Array.isArray(amzDate) ? amzDate.join(',') : amzDate;
  const date = req.headers.date;
  if (!date) return undefined;
  const parsed = Date.parse(date);
  return Number.isNaN(parsed) ? date : basicIso(new Date(parsed));
}

/** 2024-05-01T12:00:00.000Z → 20240501T120000Z */
export function basicIso(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

/** Client-supplied text in messages: bounded, so a huge header does not become a huge answer. */
function clip(value: string): string {
  return value.length > 1024 ? `${value.slice(0, 1024)}…` : value;
}
