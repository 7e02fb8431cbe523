import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** The process guard of a running cloud, observed from a child process (see crash-guard-child.ts). */
describe('process guard', () => {
  it('keeps the cloud up on an error thrown asynchronously by a request, logs it, masks no start-up failure, and leaves with close()', async () => {
    const child = fileURLToPath(new URL('./crash-guard-child.ts', import.meta.url));
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', child], { timeout: 60_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
    const lines = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const [serving, startup, after] = lines;
    expect(serving.stillServing, stderr).toBeGreaterThanOrEqual(400); // answered (unsigned, so refused): the process is alive
    expect(serving.logged).toEqual([
      'unhandledRejection | while handling GET /other (request r-2) | Error: rejected by a request',
      'uncaughtException | while handling POST /hostile (request r-1) | Error: thrown by a request, asynchronously',
    ]);
    expect(startup.startup).toMatch(/Port \d+ is in use/);
    expect(after.listenersAfterClose).toBe(0);
    // Once the cloud is closed, an uncaught error ends the process again.
    expect(code).not.toBe(0);
    expect(stderr).toContain('after close');
  });
});
