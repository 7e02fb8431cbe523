/**
 * IAM is eventually consistent: a policy just attached or changed takes a few seconds (on AWS,
 * now and then longer) to be in force for calls made with the role. A function whose call is
 * refused although the role's policy, read back from IAM, grants it is not missing a grant: the
 * check tries again for a while, and if it is still refused says exactly that.
 */
import { settle, within } from './patience.ts';

/** How long a check keeps trying while a grant that is there is not in force yet. */
export const grantSettleMs = (): number => within({ instant: 0, emulator: 10_000, aws: 60_000 });

/** What to say when the call is refused although the policy grants it. */
export function grantNotInForceYet(grant: string, waitedMs: number): { wrong: string; fix: string } {
  const waited = waitedMs >= 1000 ? ` (still refused after ${Math.round(waitedMs / 1000)} s)` : '';
  return {
    wrong:
      `the call was refused (AccessDenied), yet the role's policy does allow ${grant}: the grant is there but not in force yet ` +
      `— IAM takes a few seconds to apply a new or changed policy${waited}.`,
    fix: 'nothing to change: run the check again in a minute. If it is still refused then, look for a Deny or a permissions boundary on the role.',
  };
}

/**
 * Makes `attempt` until its result is not refused-though-granted, or the window ends. `deniedButGranted`
 * says whether a result is such a refusal; the last result is returned with how long it took.
 */
export async function retryWhileGrantSettles<T>(
  attempt: () => Promise<T>,
  deniedButGranted: (result: T) => boolean,
  windowMs = grantSettleMs(),
): Promise<{ result: T; stillDenied: boolean; waitedMs: number }> {
  const { value, settled, waitedMs } = await settle(attempt, (result) => !deniedButGranted(result), windowMs);
  return { result: value, stillDenied: !settled, waitedMs };
}
