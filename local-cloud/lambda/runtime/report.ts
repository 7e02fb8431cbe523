/**
 * The platform's own log lines around each invocation, worded and tab-separated as Lambda writes
 * them to CloudWatch Logs (and to the LogType Tail excerpt).
 */

/** The runtime version names the Node that ran it ("nodejs:24.local-node-v24.21.0"): AWS's names a runtime build. */
export function initStartLine(runtime: string, runtimeVersionArn: string, nodeVersion: string): string {
  const major = runtime.replace(/^nodejs(\d+)\.x$/, '$1');
  return `INIT_START Runtime Version: nodejs:${major}.local-node-v${nodeVersion}\tRuntime Version ARN: ${runtimeVersionArn}`;
}

export function initReportLine(initMs: number, status: string, errorType?: string): string {
  const parts = [`INIT_REPORT Init Duration: ${initMs.toFixed(2)} ms`, 'Phase: init', `Status: ${status}`];
  if (errorType) parts.push(`Error Type: ${errorType}`);
  return parts.join('\t');
}

export function startLine(requestId: string): string {
  return `START RequestId: ${requestId} Version: $LATEST`;
}

export function endLine(requestId: string): string {
  return `END RequestId: ${requestId}`;
}

export interface ReportFigures {
  requestId: string;
  durationMs: number;
  memorySize: number;
  maxMemoryUsedMb: number;
  /** Only on a cold start. */
  initMs?: number;
  /** "timeout" or "error" when the invocation did not complete normally. */
  status?: 'timeout' | 'error';
  errorType?: string;
}

export function reportLine(f: ReportFigures): string {
  const parts = [
    `REPORT RequestId: ${f.requestId}`,
    `Duration: ${f.durationMs.toFixed(2)} ms`,
    `Billed Duration: ${billedMs(f.durationMs, f.initMs)} ms`,
    `Memory Size: ${f.memorySize} MB`,
    `Max Memory Used: ${f.maxMemoryUsedMb} MB`,
  ];
  if (f.initMs !== undefined) parts.push(`Init Duration: ${f.initMs.toFixed(2)} ms`);
  if (f.status) parts.push(`Status: ${f.status}`);
  if (f.errorType) parts.push(`Error Type: ${f.errorType}`);
  return `${parts.join('\t')}\t`;
}

/** Lambda bills by the millisecond, the init phase included. */
export function billedMs(durationMs: number, initMs = 0): number {
  return Math.max(Math.ceil(durationMs + initMs), 1);
}

/** "Task timed out after 3.00 seconds" (the configured timeout, two decimals). */
export function timeoutText(timeoutSeconds: number): string {
  return `Task timed out after ${timeoutSeconds.toFixed(2)} seconds`;
}

/** How Lambda describes a runtime process that ended on its own. */
export function exitText(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal) return `Runtime exited with error: signal: ${signal === 'SIGKILL' ? 'killed' : signal.toLowerCase().replace(/^sig/, '')}`;
  if (code === 0) return 'Runtime exited without providing a reason';
  return `Runtime exited with error: exit status ${code}`;
}

/** The last 4 KB of an invocation's log, base64, for X-Amz-Log-Result. */
export function logTail(lines: readonly string[]): string {
  const text = Buffer.from(lines.map((line) => `${line}\n`).join(''));
  return text.subarray(Math.max(text.length - 4096, 0)).toString('base64');
}
