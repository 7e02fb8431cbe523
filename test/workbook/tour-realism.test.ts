import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './support.ts';

/**
 * `npm run tour -- --realism aws`: the whole workbook on a fresh cloud that plays AWS's timing
 * (local-cloud/realism/): new roles and policies propagating, functions Pending, updates
 * InProgress, mappings Creating, and the other services' delays and quotas. Every solution, check,
 * the report and teardown must pass in at most 120 s, the design's target.
 */
describe('npm run tour -- --realism aws', () => {
  it(
    'passes end to end with AWS timing, within two minutes',
    async () => {
      // As tour.test.ts: through npm, no LOCAL_CLOUD_PORT or endpoint of the learner's own.
      const env = {
        ...process.env,
        NO_COLOR: '1',
        LOCAL_CLOUD_PORT: '1',
        AWS_ENDPOINT_URL: 'http://127.0.0.1:1',
        LOCAL_CLOUD_REALISM: undefined,
        LOCAL_CLOUD_REALISM_SCALE: undefined,
      };
      const started = performance.now();
      const result = await new Promise<{ code: number; stdout: string; output: string }>((resolve) => {
        const child = execFile('npm', ['run', 'tour', '--', '--realism', 'aws'], { cwd: repoRoot, env, timeout: 170_000 }, (err, stdout, stderr) => {
          const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
          resolve({ code, stdout, output: `${stdout}${stderr}` });
        });
        child.stdin?.end();
      });
      const seconds = (performance.now() - started) / 1000;
      expect(result.code, result.output).toBe(0);
      expect(result.stdout).toContain("Tour: the whole workbook on a fresh local cloud with AWS's timing (× 0.1)");
      expect(result.stdout).toContain("realism aws (AWS's timing × 0.1)");
      for (let step = 0; step <= 8; step++) {
        expect(result.stdout).toMatch(new RegExp(`✔ solution ${step}: .*\\n✔ check step ${step} \\(\\d+ verifications\\)`));
      }
      expect(result.stdout).toMatch(/✔ latency report from the table \(npm run report\) \(5 orders\)/);
      expect(result.stdout).toMatch(/✔ teardown \(\d+ resources\)/);
      expect(result.stdout).toContain('✔ nothing left behind');
      expect(result.stdout).toMatch(/Tour passed: \d+ phases, \d+ steps, in [\d.]+ (ms|s) \(wall time\)/);
      expect(seconds).toBeLessThanOrEqual(120);
    },
    180_000,
  );
});
