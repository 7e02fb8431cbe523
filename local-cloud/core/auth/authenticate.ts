import type { IncomingMessage } from 'node:http';
import type { Cloud } from '../../cloud.ts';
import type { Caller } from '../context.ts';
import { accountKeysFrom, type AccountKeys } from './account-keys.ts';
import { parseRawQuery } from './canonical-request.ts';
import { signatureErrors, type AuthStyle } from './errors.ts';
import { hints } from './hints.ts';
import { isSigned, parseSignature, type SignatureClaim } from './parse-signature.ts';
import { publicActionService } from './public-actions.ts';
import { checkRequestTime, signedAt } from './request-time.ts';
import { SigningKeys } from './signing-keys.ts';
import { sameSecret, verifySignature } from './verify-signature.ts';

export interface Authenticated {
  caller: Caller;
  /** The signing name of the credential scope (sqs, lambda, …); for unsigned public links, their service. */
  service?: string;
}

/** How the request speaks (server.ts decides it from headers before reading the body). */
export type WireProtocol = 'dynamodb' | 'json' | 'query' | 'rest';

/** What one cloud keeps for verifying: its account keys (read once) and derived signing keys. */
interface Verifier {
  accountKeys: AccountKeys;
  signingKeys: SigningKeys;
}

const verifiers = new WeakMap<Cloud, Verifier>();

function verifierOf(cloud: Cloud): Verifier {
  let verifier = verifiers.get(cloud);
  if (!verifier) {
    verifier = { accountKeys: accountKeysFrom(), signingKeys: new SigningKeys() };
    verifiers.set(cloud, verifier);
  }
  return verifier;
}

/**
 * Who signed the request, proven by SigV4 as AWS proves it: the account's own key pair is the
 * admin, a role session the cloud issued (a function's execution role) is that role. Anything
 * else is refused in the service's own words, before any service sees the request.
 */
export function authenticate(cloud: Cloud, req: IncomingMessage, _url: URL, body: Buffer, wire: WireProtocol = 'rest'): Authenticated {
  const style = authStyleOf(wire, req);
  const query = parseRawQuery(req.url ?? '/');
  if (!isSigned(req, query)) {
    const service = publicActionService(req, query, body);
    if (service) return { caller: cloud.identify('anonymous'), service };
    throw signatureErrors.missing(style);
  }

  const claim = parseSignature(req, query, style);
  checkRequestTime(claim, signedAt(claim, style), claim.service, style);
  checkScope(claim, cloud.region, expectedService(wire, req), style);
  if (!claim.signedHeaders.includes('host')) {
    throw signatureErrors.invalid(style, "'Host' must be a 'SignedHeader' in the AWS Authorization.");
  }

  const { accountKeys, signingKeys } = verifierOf(cloud);
  const session = claim.accessKeyId === accountKeys.accessKeyId ? undefined : cloud.sessions.find(claim.accessKeyId);
  if (claim.accessKeyId !== accountKeys.accessKeyId && !session) {
    throw signatureErrors.unknownKey(style, hints.unknownKey(accountKeys, claim.accessKeyId));
  }
  verifySignature({
    req,
    claim,
    query,
    body,
    secret: session ? session.secretAccessKey : accountKeys.secretAccessKey,
    keys: signingKeys,
    style,
    hint: session ? '' : hints.wrongSecret(accountKeys),
  });
  // Temporary credentials are only good with their token; the account's own keys take none.
  if (session && !sameSecret(session.sessionToken, claim.securityToken)) throw signatureErrors.badSessionToken(style);
  if (!session && claim.securityToken) throw signatureErrors.badSessionToken(style, hints.strayToken(accountKeys));

  return { caller: cloud.identify(claim.accessKeyId), service: claim.service };
}

/** The refusal shape follows the protocol; SQS's JSON stays query compatible. */
function authStyleOf(wire: WireProtocol, req: IncomingMessage): AuthStyle {
  if (wire === 'query' || wire === 'rest') return wire;
  if (wire === 'json' && String(req.headers['x-amz-target'] ?? '').startsWith('AmazonSQS.')) return 'sqs-json';
  return 'json';
}

/** JSON requests name their service in X-Amz-Target, so the scope must name the same one. */
function expectedService(wire: WireProtocol, req: IncomingMessage): string | undefined {
  if (wire === 'dynamodb') return 'dynamodb';
  if (wire !== 'json') return undefined; // query and REST requests are routed by their scope
  const target = String(req.headers['x-amz-target'] ?? '');
  if (target.startsWith('AmazonSQS.')) return 'sqs';
  if (target.startsWith('Logs_')) return 'logs';
  return undefined;
}

/** IAM and STS are global: AWS SDKs sign them for us-east-1 whatever the client's region. */
const GLOBAL_SERVICES = new Set(['iam', 'sts']);

function checkScope(claim: SignatureClaim, region: string, service: string | undefined, style: AuthStyle): void {
  let problems = '';
  const regionOk = claim.region === region || (GLOBAL_SERVICES.has(claim.service) && claim.region === 'us-east-1');
  if (!regionOk) problems += `Credential should be scoped to a valid region, not '${clip(claim.region)}'. `;
  if (service && claim.service !== service) problems += `Credential should be scoped to correct service: '${service}'. `;
  if (claim.terminator !== 'aws4_request') {
    problems += `Credential should be scoped with a valid terminator: 'aws4_request', not '${clip(claim.terminator)}'. `;
  }
  if (claim.scopeDay !== claim.amzDate.slice(0, 8)) {
    problems +=
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: ` +
      `'${clip(claim.scopeDay)}' != '${claim.amzDate.slice(0, 8)}', from '${claim.amzDate}'.`;
  }
  if (problems) throw signatureErrors.invalid(style, regionOk ? problems.trimEnd() : `${problems.trimEnd()}${hints.wrongRegion(region)}`);
}

function clip(value: string): string {
  return value.length > 64 ? `${value.slice(0, 64)}…` : value;
}
