import { AsyncLocalStorage } from 'node:async_hooks';

/** What the process guard knows about the request whose handling is running. */
export interface RequestScope {
  requestId: string;
  method: string;
  target: string;
}

const scope = new AsyncLocalStorage<RequestScope>();

/** Runs one request's handling so that an error it throws later, asynchronously, can be traced to it. */
export function inRequestScope<T>(request: RequestScope, handle: () => T): T {
  return scope.run(request, handle);
}

/**
 * Keeps a running cloud up when something throws outside any awaited code (a timer or stream
 * callback of one request's handling): the error is reported, and the other requests and the
 * state go on. Installed only once the server listens, so a start-up failure still ends the
 * process; removed on close. Other listeners (a test runner's) still see every error, so tests
 * keep failing on it. Returns the function that removes the guard.
 */
export function guardProcess(report: (err: unknown, request: RequestScope | undefined, kind: string) => void): () => void {
  const onException = (err: unknown, origin: string) => report(err, scope.getStore(), origin);
  process.on('uncaughtException', onException);
  return () => process.off('uncaughtException', onException);
}
