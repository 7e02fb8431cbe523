import { describe, expect, it } from 'vitest';
import { errorInLogLine, firstErrorIn } from '../../checks/log-lines.ts';

/** Lines as a function's log group holds them (Lambda's own, Powertools JSON, the Node.js runtime's). */
const requestId = '8f5e1c1a-0d4b-4a8e-9b7e-2f0c0d1e2a3b';
const START = `START RequestId: ${requestId} Version: $LATEST`;
const END = `END RequestId: ${requestId}`;
const REPORT = `REPORT RequestId: ${requestId}\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 256 MB\tMax Memory Used: 80 MB`;
const INFO = JSON.stringify({ level: 'INFO', message: 'order confirmed', service: 'monitor', orderId: 'o-1' });
const MALFORMED = JSON.stringify({ level: 'ERROR', message: 'order refused', error: { name: 'MalformedOrder', message: 'no orderId' } });
const DENIED = JSON.stringify({
  level: 'ERROR',
  message: 'order failed',
  error: { name: 'AuthorizationErrorException', message: 'User: arn:aws:sts::000000000000:assumed-role/r/f is not authorized to perform: SNS:Publish' },
});
const TIMEOUT = `2025-01-01T00:00:00.000Z ${requestId} Task timed out after 10.01 seconds`;
const UNCAUGHT = `2025-01-01T00:00:00.000Z\t${requestId}\tERROR\tUncaught Exception \t{"errorType":"Runtime.ImportModuleError","errorMessage":"Error: Cannot find module 'x'"}`;
const NODE_WARNING = `2025-01-01T00:00:00.000Z\t${requestId}\tERROR\t(node:8) Warning: something deprecated`;

describe("reading a function's log for errors: every line a filter returns is classified again", () => {
  it("Lambda's START, END and REPORT lines, and the handler's INFO lines, are never errors", () => {
    for (const line of [START, END, REPORT, INFO, '', '   ', 'INIT_START Runtime Version: nodejs:22.v1', NODE_WARNING]) {
      expect(errorInLogLine(line), line).toBeUndefined();
    }
  });

  it("the first error of what an emulator returns for any filter (every line) is the handler's error line, not START", () => {
    const everyLine = [START, INFO, MALFORMED, DENIED, END, REPORT];
    expect(firstErrorIn(everyLine, ['MalformedOrder'])?.text).toBe(
      '"order failed": AuthorizationErrorException: User: arn:aws:sts::000000000000:assumed-role/r/f is not authorized to perform: SNS:Publish',
    );
    expect(firstErrorIn([START, INFO, END, REPORT])).toBeUndefined();
  });

  it('a malformed message the handler refuses on purpose is left out when asked; otherwise it is an error', () => {
    expect(errorInLogLine(MALFORMED, ['MalformedOrder'])).toBeUndefined();
    expect(errorInLogLine(MALFORMED)?.text).toBe('"order refused": MalformedOrder: no orderId');
  });

  it("the runtime's errors: a timeout, an uncaught error (with its tab-separated prefix removed)", () => {
    expect(errorInLogLine(TIMEOUT)?.text).toContain('Task timed out after 10.01 seconds');
    expect(errorInLogLine(UNCAUGHT)?.text).toBe("Runtime.ImportModuleError: Error: Cannot find module 'x'");
  });
});
