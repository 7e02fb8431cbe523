import { describe, expect, it, vi } from 'vitest';
import { withinThrottling } from '../../lib/end-to-end.ts';
import { retry } from '../../lib/wait.ts';

describe("step 8's shop and the stage's token bucket (5 a second, bursts of 10)", () => {
  it.each([
    [20, 5, true], // the lesson's default: the steady rate itself
    [10, 10, true], // one burst: 10 tokens at once
    [14, 10, true], // 10 + 5 × 1.3 s ≥ 14
    [20, 10, false], // 10 + 5 × 1.9 s < 20
    [200, 50, false],
    [1, 1000, true],
  ])('%i orders at %i/s fit: %s', (orders, rate, fits) => {
    expect(withinThrottling(orders, rate, 5, 10)).toBe(fits);
  });

  it('without a burst, only the rate counts', () => {
    expect(withinThrottling(2, 6, 5)).toBe(false);
    expect(withinThrottling(2, 5, 5)).toBe(true);
  });
});

describe('retry', () => {
  it('says what it waits for in words that fit the error it got', async () => {
    const said: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (said.push(String(chunk)), true));
    try {
      let calls = 0;
      const answer = await retry(
        async () => {
          if (++calls < 3) throw Object.assign(new Error('429'), { name: 'Throttled' });
          return 'through';
        },
        {
          retryable: () => true,
          waitingMessage: (err) => `refused: ${(err as Error).name}`,
          deadlineMs: 5_000,
          initialDelayMs: 1,
          maxDelayMs: 2,
        },
      );
      expect(answer).toBe('through');
    } finally {
      write.mockRestore();
    }
    expect(said.filter((line) => line.includes('refused: Throttled'))).toHaveLength(1);
  });
});
