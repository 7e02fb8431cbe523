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
  /**
   * Messages carrying this message attribute get this visibility timeout (seconds) whenever they
   * are received, whatever the receiver asked: a check can watch a poison message go through
   * every receive to the dead-letter queue in a second instead of maxReceiveCount × the queue's
   * visibility timeout. null turns it off.
   */
  fastRetry?: { messageAttribute: string; visibilityTimeout: number } | null;
}

export class Faults {
  private roleNotAssumable = 0;
  private fast: { messageAttribute: string; visibilityTimeout: number } | undefined;

  set(settings: FaultSettings): FaultSettings {
    if (settings.roleNotAssumableFor !== undefined) {
      const n = Number(settings.roleNotAssumableFor);
      if (!Number.isInteger(n) || n < 0) throw new Error('roleNotAssumableFor must be a whole number ≥ 0');
      this.roleNotAssumable = n;
    }
    if (settings.fastRetry === null) this.fast = undefined;
    else if (settings.fastRetry !== undefined) {
      const { messageAttribute, visibilityTimeout } = settings.fastRetry;
      if (typeof messageAttribute !== 'string' || messageAttribute === '') {
        throw new Error('fastRetry.messageAttribute must name a message attribute');
      }
      if (!Number.isInteger(visibilityTimeout) || visibilityTimeout < 0 || visibilityTimeout > 43200) {
        throw new Error('fastRetry.visibilityTimeout must be a whole number of seconds from 0 to 43200');
      }
      this.fast = { messageAttribute, visibilityTimeout };
    }
    return this.current();
  }

  current(): FaultSettings {
    return { roleNotAssumableFor: this.roleNotAssumable, fastRetry: this.fast ?? null };
  }

  /** The fast-retry switch, when on. */
  fastRetry(): { messageAttribute: string; visibilityTimeout: number } | undefined {
    return this.fast;
  }

  /** True when this CreateFunction call should fail as if its role had not propagated yet. */
  takeRoleNotAssumable(): boolean {
    if (this.roleNotAssumable <= 0) return false;
    this.roleNotAssumable--;
    return true;
  }
}
