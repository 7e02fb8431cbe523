import type { RealismProfile } from '../realism/profile.ts';
import type { RoleRecord } from './records.ts';

/** What decides a role's calls: its trust policy, inline documents and attached policy ARNs. */
export interface RoleVersion {
  arn: string;
  trust: string;
  inline: string[];
  attached: string[];
}

/**
 * IAM is eventually consistent: a change is stored (and read back by GetRole, GetRolePolicy…) at
 * once, but reaches the places that enforce it — STS assuming the role for Lambda, the
 * authorization of the role's calls — only after a while. Until then the previous version keeps
 * deciding; a role nobody has seen yet cannot be assumed and allows nothing.
 *
 * With realism off every change is in force at once and nothing is kept here. With realism on,
 * each change of a role queues its new version with the time it takes effect (never before an
 * earlier change of the same role); reads apply what is due. Kept in memory only: after a
 * restart everything stored is in force.
 */
export class RolesInForce {
  /** By lower-case role name: the version in force (undefined: not yet anywhere), then those on their way. */
  private readonly roles = new Map<string, { current: RoleVersion | undefined; coming: Array<{ at: number; version: RoleVersion }> }>();

  constructor(
    private readonly realism: RealismProfile,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * A role's stored state changed (created, policies, trust): the new version takes effect
   * `awsDelayMs` (AWS's duration, scaled by the profile) from now. `before` is the role as it was
   * just before the change (undefined for a role just created).
   */
  changed(role: RoleRecord, before: RoleVersion | undefined, awsDelayMs: number): void {
    const delay = this.realism.ms(awsDelayMs);
    const key = role.name.toLowerCase();
    if (delay <= 0) {
      this.roles.delete(key);
      return;
    }
    let entry = this.roles.get(key);
    if (!entry || before === undefined) {
      // A role created (again, after a delete) starts unknown everywhere.
      entry = { current: before, coming: [] };
      this.roles.set(key, entry);
    }
    const last = entry.coming.at(-1)?.at ?? 0;
    entry.coming.push({ at: Math.max(this.now() + delay, last), version: versionOf(role) });
  }

  /** The role is gone: nothing of it stays in force (its sessions stop working at once here). */
  deleted(name: string): void {
    this.roles.delete(name.toLowerCase());
  }

  /**
   * The version of a stored role that decides its calls now: the role itself when every change
   * has taken effect, an older version while a change propagates, undefined while the role is
   * too new to be known.
   */
  inForce(role: RoleRecord): RoleVersion | undefined {
    const key = role.name.toLowerCase();
    const entry = this.roles.get(key);
    if (!entry) return versionOf(role);
    const now = this.now();
    while (entry.coming.length && entry.coming[0].at <= now) entry.current = entry.coming.shift()!.version;
    if (entry.coming.length === 0) {
      this.roles.delete(key);
      return versionOf(role);
    }
    return entry.current;
  }

  /** Every change of the role in force now, as if its time had passed (tests that need AWS's timing elsewhere). */
  settle(name: string): void {
    this.roles.delete(name.toLowerCase());
  }

  /** Milliseconds until every change of the role is in force (0 when it is). */
  remainingMs(name: string): number {
    const at = this.roles.get(name.toLowerCase())?.coming.at(-1)?.at;
    return at === undefined ? 0 : Math.max(0, at - this.now());
  }
}

/** The role as it is stored now. */
export function versionOf(role: RoleRecord): RoleVersion {
  return {
    arn: role.arn,
    trust: role.assumeRolePolicyDocument,
    inline: role.inlinePolicies.map((p) => p.document),
    attached: [...role.attachedPolicyArns],
  };
}
