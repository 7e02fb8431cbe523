import type { RealismProfile } from '../realism/profile.ts';
import { Propagation } from '../realism/propagation.ts';
import { SERVICE_TIMING } from '../realism/service-timing.ts';
import { arrived, stage, type StagedChange } from '../realism/staged.ts';
import type { SubscriptionRecord } from './model.ts';

/** The subscription attributes a filter is made of. */
export interface FilterAttributes {
  FilterPolicy?: string;
  FilterPolicyScope?: string;
}

interface FilterInForce {
  inForce: FilterAttributes;
  staged: StagedChange<FilterAttributes>[];
}

/**
 * SNS in time, as AWS behaves under the realism profile (realism/profile.ts): a new (or newly
 * confirmed) subscription receives nothing for a moment, and a changed filter policy decides
 * deliveries only once it has propagated; the previous one decides meanwhile. Kept in memory: after
 * a restart every change is in force. With realism off both are in force at once.
 */
export class SnsRealism {
  private readonly starting: Propagation<string>;
  private readonly filters = new Map<string, FilterInForce>();

  constructor(
    private readonly realism: RealismProfile,
    private readonly now: () => number = Date.now,
  ) {
    this.starting = new Propagation<string>(now);
  }

  /** A subscription began (created already confirmed, or confirmed now). */
  started(subscriptionArn: string): void {
    this.starting.changed(subscriptionArn, this.realism.ms(SERVICE_TIMING.subscriptionActive));
  }

  /** False while a new subscription has not reached SNS's delivery fleet yet. */
  receiving(subscriptionArn: string): boolean {
    return !this.starting.pending(subscriptionArn);
  }

  /** Called before a subscription's attributes change, with the filter in force until then. */
  filterChanging(sub: SubscriptionRecord, next: Record<string, string>): void {
    const delay = this.realism.ms(SERVICE_TIMING.filterPolicy);
    const after = filterAttributesOf(next);
    if (delay <= 0) return;
    const entry = this.entry(sub);
    const latest = entry.staged.at(-1)?.value ?? entry.inForce;
    if (sameFilter(latest, after)) return; // another attribute changed: nothing to propagate
    stage(entry.staged, after, delay, this.now());
  }

  /** The filter attributes deliveries follow now. */
  filterInForce(sub: SubscriptionRecord): FilterAttributes {
    const entry = this.filters.get(sub.arn);
    if (!entry) return filterAttributesOf(sub.attributes);
    const change = arrived(entry.staged, this.now());
    if (change) entry.inForce = change;
    if (entry.staged.length === 0) this.filters.delete(sub.arn);
    return entry.inForce;
  }

  forget(subscriptionArn: string): void {
    this.starting.forget(subscriptionArn);
    this.filters.delete(subscriptionArn);
  }

  private entry(sub: SubscriptionRecord): FilterInForce {
    let entry = this.filters.get(sub.arn);
    if (!entry) {
      entry = { inForce: filterAttributesOf(sub.attributes), staged: [] };
      this.filters.set(sub.arn, entry);
    }
    return entry;
  }
}

function filterAttributesOf(attributes: Record<string, string>): FilterAttributes {
  const out: FilterAttributes = {};
  if (attributes.FilterPolicy !== undefined) out.FilterPolicy = attributes.FilterPolicy;
  if (attributes.FilterPolicyScope !== undefined) out.FilterPolicyScope = attributes.FilterPolicyScope;
  return out;
}

function sameFilter(a: FilterAttributes, b: FilterAttributes): boolean {
  return a.FilterPolicy === b.FilterPolicy && a.FilterPolicyScope === b.FilterPolicyScope;
}
