/**
 * Fault switches: make the local cloud misbehave the way real AWS sometimes does, so the
 * workbook's retry paths are exercised in tests. Set through POST /_localcloud/faults.
 */
export interface FaultSettings {
  /**
   * The next N CreateFunction calls fail with "The role defined for the function cannot be
   * assumed by Lambda." — what AWS answers for a few seconds after CreateRole, while the new
   * role propagates.
   */
  roleNotAssumableFor?: number;
}

export class Faults {
  private roleNotAssumable = 0;

  set(settings: FaultSettings): FaultSettings {
    if (settings.roleNotAssumableFor !== undefined) {
      const n = Number(settings.roleNotAssumableFor);
      if (!Number.isInteger(n) || n < 0) throw new Error('roleNotAssumableFor must be a whole number ≥ 0');
      this.roleNotAssumable = n;
    }
    return this.current();
  }

  current(): FaultSettings {
    return { roleNotAssumableFor: this.roleNotAssumable };
  }

  /** True when this CreateFunction call should fail as if its role had not propagated yet. */
  takeRoleNotAssumable(): boolean {
    if (this.roleNotAssumable <= 0) return false;
    this.roleNotAssumable--;
    return true;
  }
}
