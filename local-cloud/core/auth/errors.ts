import { AwsError } from '../../protocol/errors.ts';

/**
 * Which front door refused the request. AWS's services do not agree on how they refuse a
 * signature: the query services (STS, IAM, SNS, SQS) answer 403 with their old codes
 * (InvalidClientTokenId, SignatureDoesNotMatch); the JSON services (DynamoDB, CloudWatch Logs)
 * answer 400 with Coral shape names (UnrecognizedClientException, InvalidSignatureException);
 * Lambda and API Gateway answer 403 with the Coral names and {"message": ...}. SQS speaks JSON
 * to SDK v3 but stays query compatible, so its JSON answers carry the query code as well.
 */
export type AuthStyle = 'query' | 'json' | 'sqs-json' | 'rest';

/** Error shapes of the signature check are Coral's, not the service's (com.amazon.coral.service#...). */
export const CORAL_NAMESPACE = 'com.amazon.coral.service';

/** A refusal by the signature check, answered before any service sees the request. */
export class SignatureError extends AwsError {
  readonly style: AuthStyle;
  constructor(style: AuthStyle, jsonCode: string, queryCode: string, message: string, status: number) {
    super(jsonCode, message, { status, queryCode, fault: 'Sender' });
    this.style = style;
  }
}

/** HTTP status per front door: the query and REST services refuse with 403, the JSON ones with 400. */
function statusOf(style: AuthStyle, kind: 'auth' | 'incomplete'): number {
  if (style === 'json') return 400;
  if (style === 'query' && kind === 'incomplete') return 400;
  return 403;
}

const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. ' +
  'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

export const signatureErrors = {
  missing: (style: AuthStyle) =>
    new SignatureError(
      style,
      'MissingAuthenticationTokenException',
      'MissingAuthenticationToken',
      style === 'rest' ? 'Missing Authentication Token' : 'Request is missing Authentication Token',
      statusOf(style, 'auth'),
    ),

  incomplete: (style: AuthStyle, detail: string) =>
    new SignatureError(style, 'IncompleteSignatureException', 'IncompleteSignature', detail, statusOf(style, 'incomplete')),

  /** An access key the cloud does not know (the learner's real AWS keys, a made-up key). */
  unknownKey: (style: AuthStyle, hint: string) =>
    new SignatureError(
      style,
      'UnrecognizedClientException',
      'InvalidClientTokenId',
      `The security token included in the request is invalid.${hint}`,
      statusOf(style, 'auth'),
    ),

  /** A session key with a missing or wrong X-Amz-Security-Token (DynamoDB words it without the period). */
  badSessionToken: (style: AuthStyle, hint = '') =>
    new SignatureError(
      style,
      'UnrecognizedClientException',
      'InvalidClientTokenId',
      `The security token included in the request is invalid${style === 'json' ? '' : '.'}${hint}`,
      statusOf(style, 'auth'),
    ),

  /** AWS shows the canonical request and string to sign it computed, so a signer can find its mistake. */
  mismatch: (style: AuthStyle, canonicalRequest: string, stringToSign: string, hint = '') =>
    invalidSignature(
      style,
      `${SIGNATURE_MISMATCH}\n\nThe Canonical String for this request should have been\n'${canonicalRequest}'\n\n` +
        `The String-to-Sign should have been\n'${stringToSign}'\n${hint}`,
    ),

  /** The body does not hash to the x-amz-content-sha256 the request signed. */
  payloadMismatch: (style: AuthStyle) => invalidSignature(style, SIGNATURE_MISMATCH),

  invalid: (style: AuthStyle, message: string) => invalidSignature(style, message),
};

function invalidSignature(style: AuthStyle, message: string): SignatureError {
  return new SignatureError(style, 'InvalidSignatureException', 'SignatureDoesNotMatch', message, statusOf(style, 'auth'));
}
