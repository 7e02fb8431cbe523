/**
 * One error type for every service. Each protocol serialiser turns it into that protocol's
 * wire shape, so a service raises `new AwsError(...)` and never thinks about XML or JSON.
 */
export interface AwsErrorOptions {
  /** HTTP status; AWS uses 400 for most client errors. */
  status?: number;
  /** "Sender" (the caller's fault) or "Receiver" (ours). */
  fault?: 'Sender' | 'Receiver';
  /**
   * The code the query protocol uses when it differs from the JSON shape name
   * (SQS: shape QueueDoesNotExist, query code AWS.SimpleQueueService.NonExistentQueue).
   */
  queryCode?: string;
  /** A message the query protocol uses when it differs (SQS adds "for this wsdl version"). */
  queryMessage?: string;
  /** Extra fields some SDK error shapes carry. */
  extra?: Record<string, unknown>;
  /** Response headers some error shapes carry (API Gateway's Retry-After). */
  headers?: Record<string, string>;
}

export class AwsError extends Error {
  readonly code: string;
  readonly status: number;
  readonly fault: 'Sender' | 'Receiver';
  readonly queryCode: string;
  readonly queryMessage: string;
  readonly extra: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(code: string, message: string, options: AwsErrorOptions = {}) {
    super(message);
    this.name = 'AwsError';
    this.code = code;
    this.status = options.status ?? 400;
    this.fault = options.fault ?? (this.status >= 500 ? 'Receiver' : 'Sender');
    this.queryCode = options.queryCode ?? code;
    this.queryMessage = options.queryMessage ?? message;
    this.extra = options.extra ?? {};
    this.headers = options.headers ?? {};
  }
}

/** Errors every protocol can raise before a service sees the request. */
export const commonErrors = {
  invalidAction: (action: string) =>
    new AwsError('InvalidAction', `The action ${action} is not valid for this web service.`),
  unknownOperation: (operation: string) =>
    new AwsError('UnknownOperationException', `Unknown operation ${operation}`),
  missingParameter: (name: string) =>
    new AwsError('MissingParameter', `The request must contain the parameter ${name}.`),
  serialization: (detail: string) => new AwsError('SerializationException', detail),
  validation: (message: string) => new AwsError('ValidationError', message),
  internal: (detail: string) =>
    new AwsError('InternalFailure', `The request processing has failed because of an unknown error. ${detail}`, {
      status: 500,
    }),
};

/** Wraps anything thrown by a service so an unexpected bug still answers in AWS's shape. */
export function toAwsError(err: unknown): AwsError {
  if (err instanceof AwsError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return commonErrors.internal(detail);
}
