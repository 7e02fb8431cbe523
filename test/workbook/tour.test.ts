import { describe, expect, it } from 'vitest';
import { run } from './support.ts';

describe('npm run tour', () => {
  it('runs every solution and check on its own fresh cloud, tears down, and passes', async () => {
    // Through npm itself, once, exactly as the README says. NO_COLOR for plain output; no
    // LOCAL_CLOUD_PORT: the tour must not need (or touch) the learner's own local cloud.
    const env = { ...process.env, NO_COLOR: '1', LOCAL_CLOUD_PORT: '1', AWS_ENDPOINT_URL: 'http://127.0.0.1:1' };
    const result = await run('npm', ['run', 'tour'], env);
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toMatch(/✔ solution 1: .*\n✔ check step 1 \(10 verifications\)/);
    expect(result.stdout).toMatch(/✔ solution 2: .*\n✔ check step 2 \(13 verifications\)/);
    expect(result.stdout).toMatch(/✔ solution 3: .*\n✔ check step 3 \(9 verifications\)/);
    expect(result.stdout).toMatch(/✔ solution 4: .*\n✔ check step 4 \(3 verifications\)/);
    expect(result.stdout).toMatch(/✔ solution 5: .*\n✔ check step 5 \(21 verifications\)/);
    expect(result.stdout).toMatch(/✔ solution 6: .*\n✔ check step 6 \(8 verifications\)/);
    expect(result.stdout).toMatch(/✔ solution 7: .*\n✔ check step 7 \(18 verifications\)/);
    expect(result.stdout).toMatch(/✔ solution 8: .*\n✔ check step 8 \(9 verifications\)/);
    expect(result.stdout).toMatch(/✔ solution 9: .*\n✔ check step 9 \(15 verifications\)/);
    // Step 8's 5 orders (check 8 removes its probes; check 5's order came before the recorder).
    expect(result.stdout).toMatch(/✔ latency report from the table \(npm run report\) \(5 orders\)/);
    // The recorder's subscription, the monitor's mapping, the API, three permissions, four functions
    // with their log groups, nine role policies, four roles, the topic, the table, three queues.
    expect(result.stdout).toMatch(/✔ teardown \(32 resources\)/);
    expect(result.stdout).toContain('✔ nothing left behind');
    expect(result.stdout).toMatch(/Latency, API to table: order → record p50 [\d.]+ m?s, p95 [\d.]+ m?s, p99 [\d.]+ m?s, max [\d.]+ m?s \(5 orders/);
    expect(result.stdout).toMatch(/Tour passed: \d+ phases, \d+ steps, in [\d.]+ (ms|s) \(wall time\)/);
  });
});
