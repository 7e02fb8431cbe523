import { describe, expect, it } from 'vitest';
import { whereToLook500 } from '../../checks/step-3.ts';
import { confirmationAdvice } from '../../checks/step-4.ts';
import { resolveTarget } from '../../lib/config.ts';

const env = (vars: Record<string, string>) => ({ ...vars, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
const local = resolveTarget(env({ WORKBOOK_TARGET: 'local' }));
const localStack = resolveTarget(env({ WORKBOOK_TARGET: 'local', AWS_ENDPOINT_URL: 'http://localhost:4566' }));
const aws = resolveTarget(env({ WORKBOOK_TARGET: 'aws', AWS_REGION: 'eu-west-1' }));

describe("the checks' advice fits the target", () => {
  it("check 3's 500: the local cloud's live log only on the local cloud; on AWS the function's log and the stage's execution log", () => {
    expect(whereToLook500('workbook-intake', local)).toContain("the local cloud's live log (`npm run local`)");
    const onAws = whereToLook500('workbook-intake', aws);
    expect(onAws).not.toContain('npm run local');
    expect(onAws).toContain('`npm run aws -- logs tail /aws/lambda/workbook-intake --since 10m`');
    expect(onAws).toContain("API Gateway's execution log");
    const onLocalStack = whereToLook500('workbook-intake', localStack);
    expect(onLocalStack).toContain('`npm run aws -- logs tail /aws/lambda/workbook-intake --since 10m`');
    expect(onLocalStack).not.toContain('npm run local');
  });

  it('check 4: LocalStack users are not told to expect a confirmation email', () => {
    expect(confirmationAdvice(localStack)).toContain('it sends no email');
    expect(confirmationAdvice(localStack)).not.toContain('open the email');
    expect(confirmationAdvice(aws)).toContain('open the email "Order updates - Subscription Confirmation"');
    expect(confirmationAdvice(local)).toContain("the local cloud's outbox");
  });
});
