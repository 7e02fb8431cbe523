// Run as a child process by crash-guard.test.ts: what the process guard does must be seen from
// outside, where no test runner catches uncaught errors first.
import { startLocalCloud } from '../../../local-cloud/server.ts';
import { inRequestScope } from '../../../local-cloud/core/http/crash-guard.ts';

const report = (fields: Record<string, unknown>) => console.log(JSON.stringify(fields));

const local = await startLocalCloud({ port: 0, dataDir: null });
const logged: string[] = [];
local.cloud.events.on('event', (e) => {
  if (e.service === 'cloud') logged.push(`${e.action} | ${e.detail} | ${(e.error ?? '').split('\n')[0]}`);
});

// An error thrown later, from a timer one request's handling set.
inRequestScope({ requestId: 'r-1', method: 'POST', target: '/hostile' }, () => {
  setTimeout(() => {
    throw new Error('thrown by a request, asynchronously');
  }, 5);
});
// A promise one request's handling let go of.
inRequestScope({ requestId: 'r-2', method: 'GET', target: '/other' }, () => {
  void Promise.reject(new Error('rejected by a request'));
});
await new Promise((resolve) => setTimeout(resolve, 100));
const answer = await fetch(`${local.url}/anything`).then((r) => r.status);
report({ stillServing: answer, logged });

// A second cloud on the same port fails to start, and says so: the guard does not mask it.
try {
  await startLocalCloud({ port: local.port, dataDir: null });
  report({ startup: 'started' });
} catch (err) {
  report({ startup: (err as Error).message });
}

await local.close();
report({ listenersAfterClose: process.listenerCount('uncaughtException') });

// With no cloud running, an uncaught error ends the process as usual.
setTimeout(() => {
  throw new Error('after close');
}, 5);
