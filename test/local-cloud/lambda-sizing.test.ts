import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SANDBOXES_PER_FUNCTION_VARIABLE, SPARE_IDLE_VARIABLE, sandboxSizing } from '../../local-cloud/lambda/runtime/sizing.ts';

describe('sandbox sizing', () => {
  it('defaults to one sandbox per core, at least two and at most ten, spares idle 30 s', () => {
    expect(sandboxSizing({}, 1)).toEqual({ perFunction: 2, spareIdleMs: 30_000, lastIdleMs: 600_000 });
    expect(sandboxSizing({}, 4).perFunction).toBe(4);
    expect(sandboxSizing({}, 64).perFunction).toBe(10);
  });

  it('takes whole numbers from the environment', () => {
    const sizing = sandboxSizing({ [SANDBOXES_PER_FUNCTION_VARIABLE]: '7', [SPARE_IDLE_VARIABLE]: '0' }, 2);
    expect(sizing).toEqual({ perFunction: 7, spareIdleMs: 0, lastIdleMs: 600_000 });
  });

  it.each(['0', '11', '-1', '2.5', 'four', '1e1', ' ', '__proto__', '9'.repeat(400)])('refuses %j, naming the variable', (value) => {
    expect(() => sandboxSizing({ [SANDBOXES_PER_FUNCTION_VARIABLE]: value }, 2)).toThrow(
      new RegExp(`${SANDBOXES_PER_FUNCTION_VARIABLE} must be a whole number from 1 to 10`),
    );
  });

  it('refuses a spare idle time beyond the last sandbox\'s', () => {
    expect(() => sandboxSizing({ [SPARE_IDLE_VARIABLE]: '601' }, 2)).toThrow(/from 0 to 600/);
  });

  it('the Lambda README and step 8\'s lesson say what the code does', () => {
    const sizing = sandboxSizing({}, 1);
    const readme = readFileSync(new URL('../../local-cloud/lambda/README.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');
    expect(readme).toContain(`Idle spares end after ${sizing.spareIdleMs / 1000} s (\`${SPARE_IDLE_VARIABLE}\`)`);
    expect(readme).toContain(`a function's last idle worker after ${sizing.lastIdleMs / 60_000} minutes`);
    expect(readme).toContain(`\`${SANDBOXES_PER_FUNCTION_VARIABLE}\``);
    for (const folder of ['steps', 'solutions']) {
      const lesson = readFileSync(new URL(`../../${folder}/08-end-to-end/README.md`, import.meta.url), 'utf8').replace(/\s+/g, ' ');
      expect(lesson).toContain(`ends idle extras after ${sizing.spareIdleMs / 1000} s and the last one after ${sizing.lastIdleMs / 60_000} minutes`);
    }
  });
});
