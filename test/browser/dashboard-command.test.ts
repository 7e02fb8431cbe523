import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { openerFor } from '../../scripts/dashboard.ts';
import { runScript } from '../workbook/support.ts';

/** `npm run dashboard`: the address with the token after the #; printed when no browser can be opened. */
let cloud: TestCloud;
beforeAll(async () => {
  cloud = await startTestCloud();
});
afterAll(() => cloud.close());

describe('npm run dashboard', () => {
  it('with no opener on PATH, prints the address, whose fragment carries the running cloud\'s token', async () => {
    const result = await runScript('dashboard', { ...cloud.env, PATH: '/nonexistent' });
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain('No browser could be opened from here');
    expect(result.stdout).toContain(`${cloud.url}/_localcloud/dashboard#token=${cloud.controlToken}&prefix=workbook`);
  });

  it('--no-open only prints; an unknown option is refused', async () => {
    const printed = await runScript('dashboard', cloud.env, '--no-open');
    expect(printed.code, printed.output).toBe(0);
    expect(printed.stdout).toContain(`#token=${cloud.controlToken}`);
    const wrong = await runScript('dashboard', cloud.env, '--bogus');
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toContain('npm run dashboard does not know --bogus.');
  });

  it('uses the platform\'s own opener', () => {
    expect(openerFor('linux', 'http://x/#a')).toEqual({ file: 'xdg-open', args: ['http://x/#a'] });
    expect(openerFor('darwin', 'http://x/#a')).toEqual({ file: 'open', args: ['http://x/#a'] });
    expect(openerFor('win32', 'http://x/#a&b').args).toEqual(['/c', 'start', '""', 'http://x/#a^&b']);
  });
});
