import type { PrincipalElement, RequestPrincipal } from './types.ts';

/**
 * How a Principal element matched the caller:
 * - "everyone": "*" (or {"AWS": "*"}), any caller at all;
 * - "exact": the caller's own ARN, its role, or its service name;
 * - "account": only the caller's account (12 digits or arn:aws:iam::ACCOUNT:root). AWS treats
 *   this as delegating to the account, so such an Allow still needs the caller's identity
 *   policies to allow the action too.
 */
export type PrincipalMatch = 'none' | 'account' | 'exact' | 'everyone';

const RANK: Record<PrincipalMatch, number> = { none: 0, account: 1, exact: 2, everyone: 2 };

export function matchPrincipal(element: PrincipalElement, principal: RequestPrincipal | undefined): PrincipalMatch {
  if (element === '*') return 'everyone';
  let best: PrincipalMatch = 'none';
  for (const [type, values] of Object.entries(element)) {
    for (const value of values) {
      const match = matchOne(type, value, principal);
      if (RANK[match] > RANK[best]) best = match;
    }
  }
  return best;
}

function matchOne(type: string, value: string, principal: RequestPrincipal | undefined): PrincipalMatch {
  if (type === 'AWS') {
    if (value === '*') return 'everyone';
    if (principal?.type !== 'AWS') return 'none';
    if (value === principal.arn || value === principal.roleArn) return 'exact';
    const account = /^\d{12}$/.test(value) ? value : /^arn:aws:iam::(\d{12}):root$/.exec(value)?.[1];
    return account !== undefined && account === principal.account ? 'account' : 'none';
  }
  if (type === 'Service') {
    return principal?.type === 'Service' && principal.service.toLowerCase() === value.toLowerCase() ? 'exact' : 'none';
  }
  // Federated and CanonicalUser principals never call the local cloud.
  return 'none';
}
