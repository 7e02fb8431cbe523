/** Why an invocation record was sent: AWS's "condition". */
export type RecordCondition = 'Success' | 'RetriesExhausted' | 'EventAgeExceeded';

/** The last attempt's outcome, when there was one. */
export interface AttemptOutcome {
  /** The function's response, or its error document (JSON text). */
  payload: string;
  functionError?: 'Unhandled';
}

export interface RecordInput {
  requestId: string;
  /** Qualified: arn:aws:lambda:REGION:ACCOUNT:function:NAME:$LATEST */
  functionArn: string;
  condition: RecordCondition;
  attempts: number;
  /** The event, as JSON text. */
  event: string;
  outcome?: AttemptOutcome;
}

/**
 * The invocation record Lambda sends to an on-success or on-failure destination, in the shape
 * and key order AWS documents: version, timestamp, requestContext, requestPayload,
 * responseContext, responsePayload.
 */
export function invocationRecord(input: RecordInput, now = new Date()): Record<string, unknown> {
  const record: Record<string, unknown> = {
    version: '1.0',
    timestamp: now.toISOString(),
    requestContext: {
      requestId: input.requestId,
      functionArn: input.functionArn,
      condition: input.condition,
      approximateInvokeCount: input.attempts,
    },
    requestPayload: parseJson(input.event),
  };
  if (input.outcome) {
    record.responseContext = {
      statusCode: 200,
      executedVersion: '$LATEST',
      ...(input.outcome.functionError ? { functionError: input.outcome.functionError } : {}),
    };
    record.responsePayload = parseJson(input.outcome.payload);
  }
  return record;
}

/** The error message of an error document, for the dead-letter message's ErrorMessage (first 1 KB). */
export function errorMessageOf(payload: string): string {
  let message = payload;
  try {
    const doc = JSON.parse(payload) as { errorMessage?: unknown };
    if (typeof doc?.errorMessage === 'string') message = doc.errorMessage;
  } catch {
    // not JSON: the payload itself
  }
  const bytes = Buffer.from(message, 'utf8');
  return bytes.length <= 1024 ? message : bytes.subarray(0, 1024).toString('utf8');
}

function parseJson(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
