import { describe, expect, it } from 'vitest';
import { grantNotInForceYet, retryWhileGrantSettles } from '../../checks/iam-propagation.ts';
import { patience, settle, within } from '../../checks/patience.ts';
import { resolveTarget } from '../../lib/config.ts';

const env = (vars: Record<string, string>) => ({ ...vars, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });

describe('how patient a check is: keyed on the target, not on "is it AWS?"', () => {
  it('the local cloud is instant, LocalStack (an endpoint, not AWS) is an emulator, AWS is AWS', () => {
    expect(patience(resolveTarget(env({ WORKBOOK_TARGET: 'local' })))).toBe('instant');
    expect(patience(resolveTarget(env({ WORKBOOK_TARGET: 'local', AWS_ENDPOINT_URL: 'http://localhost:4566' })))).toBe('emulator');
    expect(patience(resolveTarget(env({ WORKBOOK_TARGET: 'aws', AWS_REGION: 'eu-west-1' })))).toBe('aws');
  });

  it("a target's own timing wins", () => {
    const target = { ...resolveTarget(env({ WORKBOOK_TARGET: 'local' })), timing: 'aws' as const };
    expect(patience(target)).toBe('aws');
  });

  it('LocalStack gets longer windows than the local cloud (Docker cold starts take seconds)', () => {
    const windows = { instant: 10_000, emulator: 30_000, aws: 60_000 };
    const localStack = resolveTarget(env({ WORKBOOK_TARGET: 'local', AWS_ENDPOINT_URL: 'http://localhost:4566' }));
    expect(within(windows, localStack)).toBe(30_000);
    expect(within(windows, resolveTarget(env({ WORKBOOK_TARGET: 'local' })))).toBe(10_000);
  });

  it('settle() reads again until the value is accepted, within the window; a zero window reads once', async () => {
    let reads = 0;
    const settled = await settle(async () => ++reads, (n) => n >= 3, 5_000);
    expect(settled).toMatchObject({ value: 3, settled: true });
    reads = 0;
    const once = await settle(async () => ++reads, () => false, 0);
    expect(once).toMatchObject({ value: 1, settled: false });
  });
});

describe('IAM propagation: a grant that is there but not in force yet is not called missing', () => {
  it('says the grant is there, that IAM takes a few seconds, and to run the check again in a minute', () => {
    const { wrong, fix } = grantNotInForceYet('sns:Publish on workbook-order-updates', 12_400);
    expect(wrong).toContain("the role's policy does allow sns:Publish on workbook-order-updates: the grant is there but not in force yet");
    expect(wrong).toContain('IAM takes a few seconds');
    expect(wrong).toContain('still refused after 12 s');
    expect(fix).toContain('run the check again in a minute');
  });

  it('retries while refused-though-granted, and returns the first good answer', async () => {
    const answers = ['AccessDenied', 'AccessDenied', 'ok'];
    const { result, stillDenied } = await retryWhileGrantSettles(async () => answers.shift()!, (a) => a === 'AccessDenied', 10_000);
    expect(result).toBe('ok');
    expect(stillDenied).toBe(false);
  });

  it('gives up at the end of the window, saying it is still refused', async () => {
    const { result, stillDenied } = await retryWhileGrantSettles(async () => 'AccessDenied', () => true, 300);
    expect(result).toBe('AccessDenied');
    expect(stillDenied).toBe(true);
  });
});
