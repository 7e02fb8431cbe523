import type { ErrorDocument, LogLine, WorkerMessage } from './messages.ts';

/**
 * A worker's message as the cloud may use it. The worker runs the function's code, which can
 * send anything down its channel (`process.send`), and structured clone carries more than JSON
 * does (BigInts, Maps, typed arrays, Dates): each message is checked where it arrives, as bytes
 * off the network are. Undefined: not a message the runtime sends, so it is ignored.
 */
export function readWorkerMessage(raw: unknown): WorkerMessage | undefined {
  if (!isRecord(raw) || typeof raw.type !== 'string') return undefined;
  const lines = logLines(raw.lines);
  switch (raw.type) {
    case 'ready':
    case 'logs':
      return { type: raw.type, lines };
    case 'initError':
      return { type: 'initError', error: errorDocument(raw.error), lines };
    case 'result':
      if (typeof raw.requestId !== 'string') return undefined;
      return {
        type: 'result',
        requestId: raw.requestId,
        payload: typeof raw.payload === 'string' ? raw.payload : undefined,
        error: raw.error === undefined ? undefined : errorDocument(raw.error),
        maxMemoryMb: typeof raw.maxMemoryMb === 'number' && Number.isFinite(raw.maxMemoryMb) && raw.maxMemoryMb >= 0 ? raw.maxMemoryMb : 0,
        lines,
      };
    case 'sdkRequest':
    case 'sdkAbort':
      // The request's own fields are read by core/channel/request.ts, as strictly as an HTTP parser.
      return Number.isSafeInteger(raw.id) ? ({ ...raw, lines } as WorkerMessage) : undefined;
    default:
      return undefined;
  }
}

/** Log lines as [epoch ms, text]; anything else in the list is dropped. */
function logLines(value: unknown): LogLine[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.filter(
    (entry): entry is LogLine =>
      Array.isArray(entry) && entry.length === 2 && typeof entry[0] === 'number' && Number.isFinite(entry[0]) && typeof entry[1] === 'string',
  );
}

/** The runtime's error document; one it cannot read is reported as such rather than passed on. */
function errorDocument(value: unknown): ErrorDocument {
  if (
    isRecord(value) &&
    typeof value.errorType === 'string' &&
    typeof value.errorMessage === 'string' &&
    Array.isArray(value.trace) &&
    value.trace.every((line) => typeof line === 'string')
  ) {
    return { errorType: value.errorType, errorMessage: value.errorMessage, trace: value.trace as string[] };
  }
  return { errorType: 'Runtime.InvalidErrorDocument', errorMessage: 'The runtime reported an error it could not describe.', trace: [] };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}
