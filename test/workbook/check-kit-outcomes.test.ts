import { describe, expect, it } from 'vitest';
import { EXIT_CODE, blankBefore, defineCheck, problem, runCheck, verdictOf } from '../../checks/kit.ts';
import { captureOutput } from '../../lib/output.ts';

/** Runs a check definition in this process; its outcome and what it printed. */
async function run(definition: Parameters<typeof runCheck>[0], options?: Parameters<typeof runCheck>[1]) {
  const { result, error, lines } = await captureOutput(() => runCheck(definition, options));
  if (error) throw error;
  return { outcome: result!, stdout: lines.join('\n') };
}

describe('the check kit: a skipped verification never reads as passed', () => {
  it('a check with a skip and no failure is incomplete: not passed, exit code 2, the skip with why and what to do', async () => {
    const { outcome, stdout } = await run(
      defineCheck({
        step: 1,
        title: 'a queue',
        async run(t) {
          await t.item('the queue exists', () => undefined);
          t.skip('a message goes through', 'the queue holds 3 messages the check did not send.', 'empty the queue, then check again.');
        },
      }),
    );
    expect(outcome.passed).toBe(false);
    expect(outcome.verdict).toBe('incomplete');
    expect(EXIT_CODE[outcome.verdict]).toBe(2);
    expect(stdout).toContain('– a message goes through (skipped: not verified)');
    expect(stdout).toContain('why: the queue holds 3 messages the check did not send.');
    expect(stdout).toContain('to do: empty the queue, then check again.');
    expect(stdout).toContain('– Step 1 is incomplete: 1 verifications passed, 1 could not run. Not passed yet.');
    expect(stdout).not.toContain('Step 1 passes');
  });

  it('a failure outweighs a skip: failed, exit code 1', async () => {
    const { outcome } = await run(
      defineCheck({
        step: 2,
        title: 'a function',
        async run(t) {
          await t.item('it exists', () => problem('there is none.', 'create it.'));
          t.skip('it answers', 'there is nothing to invoke.');
        },
      }),
    );
    expect(outcome.verdict).toBe('fail');
    expect(EXIT_CODE[outcome.verdict]).toBe(1);
  });

  it('a verification a later check makes is shown as such (↪, naming it), and the step passes on what it verified', async () => {
    const { outcome, stdout } = await run(
      defineCheck({
        step: 1,
        title: 'a queue',
        async run(t) {
          await t.item('the queue exists', () => undefined);
          t.deferred('a message goes through', 'the mapping consumes the queue; `npm run check:step-5` sends an order through it.');
        },
      }),
    );
    expect(outcome.verdict).toBe('pass');
    expect(stdout).toContain('↪ a message goes through (verified by a later check)');
    expect(stdout).toContain('by: the mapping consumes the queue; `npm run check:step-5` sends an order through it.');
    expect(stdout).toContain("✔ Step 1 passes: 1 verifications; 1 verified by a later step's check (↪).");
  });

  it('configuration only: the check stops at behaviourFollows(), and says that behaviour was not tried', async () => {
    let behaviourRan = false;
    const definition = defineCheck({
      step: 3,
      title: 'an API',
      async run(t) {
        await t.item('the API exists', () => undefined);
        t.behaviourFollows();
        behaviourRan = true;
        await t.item('POST /orders answers 202', () => undefined);
      },
    });
    const quick = await run(definition, { behaviour: false });
    expect(behaviourRan).toBe(false);
    expect(quick.outcome).toMatchObject({ verdict: 'pass', behaviourTried: false });
    expect(quick.outcome.results.map((r) => r.label)).toEqual(['the API exists']);
    expect(quick.stdout).toContain('Step 3 passes: 1 verifications (configuration only: behaviour not tried).');

    const deep = await run(definition);
    expect(behaviourRan).toBe(true);
    expect(deep.outcome).toMatchObject({ verdict: 'pass', behaviourTried: true });
    expect(deep.outcome.results).toHaveLength(2);
  });

  it('verdictOf: nothing verified at all is not a pass', () => {
    expect(verdictOf([])).toBe('incomplete');
    expect(verdictOf([{ label: 'x', outcome: 'deferred', wrong: 'check 5' }])).toBe('incomplete');
    expect(verdictOf([{ label: 'x', outcome: 'warn', wrong: 'note' }])).toBe('pass');
  });
});

describe('a fix that says to run a step whose copy still has a blank', () => {
  const blank = { file: 'steps/01-queue/deploy.ts', line: 67, whatToWrite: 'step 1: the redrive policy' };
  const blanksOf = (step: number) => (step === 1 ? [blank] : []);

  it('says to fill that blank first, since the step would stop there', () => {
    expect(blankBefore('create it: `npm run step:1`.', blanksOf)).toBe(
      'fill in the blank at steps/01-queue/deploy.ts:67 (step 1: the redrive policy): `npm run step:1` stops there until it is.',
    );
  });

  it('says nothing when that step has no blank, or the fix runs no step', () => {
    expect(blankBefore('create it: `npm run step:2`.', blanksOf)).toBeUndefined();
    expect(blankBefore('empty the queue, then check again.', blanksOf)).toBeUndefined();
    expect(blankBefore(undefined, blanksOf)).toBeUndefined();
    // Another command that merely starts alike is not the step.
    expect(blankBefore('`npm run step:12`', blanksOf)).toBeUndefined();
  });
});
