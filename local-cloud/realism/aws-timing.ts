/**
 * AWS's own durations (milliseconds, at scale 1) for what the realism profile reproduces in IAM
 * and Lambda. AWS documents these as "eventually consistent" or "a few seconds" without a
 * figure; the numbers are what a change typically takes in a commercial region, on the slow side
 * of typical, so that a script that survives them here survives AWS. `RealismProfile.ms()` scales
 * them (0.1 by default) and answers 0 with realism off. README.md says where each comes from.
 */
export const AWS_TIMING = {
  /**
   * CreateRole → Lambda can assume the role (CreateFunction / UpdateFunctionConfiguration answer
   * "The role defined for the function cannot be assumed by Lambda." until then). Typically
   * 5–10 s after CreateRole; so is a changed trust policy (UpdateAssumeRolePolicy).
   */
  roleAssumable: 10_000,
  /**
   * PutRolePolicy / DeleteRolePolicy / Attach- / DetachRolePolicy → the change decides the role's
   * calls (function code, Lambda's pollers and destinations, CreateEventSourceMapping's check).
   * Until then the previous version of the role's policies decides. Typically a few seconds.
   */
  policyPropagation: 8_000,
  /** CreateFunction: State Pending ("Creating") → Active, for a .zip function outside a VPC. */
  functionPending: 5_000,
  /** UpdateFunctionCode / UpdateFunctionConfiguration: LastUpdateStatus InProgress → Successful. */
  functionUpdate: 3_000,
  /**
   * Added to a new execution environment's init phase (a cold start): what Lambda spends placing
   * the sandbox and fetching the code before the runtime starts, on top of the local runtime's
   * own start. A Node.js .zip function's cold start is a few hundred ms on AWS.
   */
  coldStart: 300,
  /** CreateEventSourceMapping: Creating → Enabled (the pollers start only then). */
  mappingCreate: 30_000,
  /** UpdateEventSourceMapping: Updating / Enabling / Disabling → Enabled or Disabled. */
  mappingUpdate: 15_000,
  /** DeleteEventSourceMapping: Deleting → gone (the pollers keep going until then). */
  mappingDelete: 15_000,
} as const;

export type AwsDuration = keyof typeof AWS_TIMING;
