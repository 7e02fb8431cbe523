/**
 * A delivery that did not happen, with the reason the live log shows. `serverSide` failures (the
 * endpoint's service unavailable or throttling) are retried by the delivery policy; client-side
 * ones (no permission, the endpoint gone) are not, as on AWS.
 */
export class DeliveryError extends Error {
  constructor(
    readonly reason: string,
    readonly serverSide = false,
  ) {
    super(reason);
    this.name = 'DeliveryError';
  }
}

/** Codes AWS services answer when they are busy or down rather than refusing the caller. */
const SERVER_SIDE_CODES = new Set([
  'ServiceException',
  'ServiceUnavailable',
  'InternalError',
  'InternalFailure',
  'TooManyRequestsException',
  'ThrottlingException',
  'Throttling',
  'RequestThrottled',
  'KMSThrottlingException',
]);

export function isServerSide(error: { code: string; status: number }): boolean {
  return error.status >= 500 || SERVER_SIDE_CODES.has(error.code);
}
