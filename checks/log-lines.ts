/**
 * Reading a function's log lines for errors. A CloudWatch Logs filter pattern narrows the lines
 * on AWS, but emulators do not all honour it (LocalStack's community Logs returns every line for
 * `{ $.level = … }` and `?"…"`), so every line a filter returns is classified here again: a START,
 * END or REPORT line, or an ordinary info line, is never taken for an error.
 */

/** Lambda's own lines about an invocation, never the function's. */
const PLATFORM_LINE = /^(START|END|REPORT|INIT_START|INIT_REPORT|INIT_RUNTIME_DONE|EXTENSION|TELEMETRY|RUNTIME_DONE)\b/;

export interface LogError {
  /** The error, for people: Powertools' JSON boiled down to the message and the error. */
  text: string;
}

/**
 * The error a log line reports, or undefined when it reports none. Errors are the handler's
 * Powertools JSON lines at level ERROR (except the names in `ignore`, e.g. a malformed message
 * the handler is meant to refuse), and the runtime's: an uncaught error (`Runtime.…`), a timeout.
 */
export function errorInLogLine(line: string, ignore: string[] = []): LogError | undefined {
  const text = line.trim();
  if (!text || PLATFORM_LINE.test(text)) return undefined;
  const json = jsonPart(text);
  if (json) {
    const level = typeof json.level === 'string' ? json.level.toUpperCase() : undefined;
    const error = json.error && typeof json.error === 'object' ? (json.error as { name?: unknown; message?: unknown }) : undefined;
    if (level === 'ERROR') {
      if (error && typeof error.name === 'string' && ignore.includes(error.name)) return undefined;
      return { text: error ? `"${String(json.message)}": ${String(error.name)}: ${String(error.message)}` : `"${String(json.message)}"` };
    }
    if (typeof json.errorType === 'string' && json.errorType.startsWith('Runtime.')) {
      return { text: `${json.errorType}: ${String(json.errorMessage ?? '')}`.trim() };
    }
    if (level !== undefined) return undefined; // an INFO/WARN/DEBUG line of the handler's
  }
  if (/Task timed out after/.test(text)) return { text: runtimeText(text) };
  if (/\tERROR\t/.test(text) && !/\(node:\d+\) Warning/.test(text)) return { text: runtimeText(text) };
  if (/\bRuntime\.[A-Z]\w+/.test(text)) return { text: runtimeText(text) };
  return undefined;
}

/** The first line of `lines` that reports an error (see errorInLogLine). */
export function firstErrorIn(lines: string[], ignore: string[] = []): LogError | undefined {
  for (const line of lines) {
    const found = errorInLogLine(line, ignore);
    if (found) return found;
  }
  return undefined;
}

function jsonPart(text: string): Record<string, unknown> | undefined {
  const start = text.indexOf('{');
  if (start < 0) return undefined;
  try {
    const value = JSON.parse(text.slice(start)) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A runtime line (time, request id, level, text, tab-separated) without its prefix. */
function runtimeText(text: string): string {
  const parts = text.split('\t');
  return (parts.length > 3 ? parts.slice(3).join(' ') : text).trim();
}
