import { randomBytes } from 'node:crypto';

/**
 * A page's EventSource cannot send the control token in a header, and a token in a URL would
 * sit in the browser's history. So the page trades the token (in a header, by POST) for a ticket:
 * random, good for one event stream, once, within TICKET_LIFETIME_MS.
 */
export const TICKET_LIFETIME_MS = 30_000;
/** Outstanding tickets kept at most; the oldest go first (a page that never uses its tickets cannot fill memory). */
const MAX_OUTSTANDING = 64;

export type TicketVerdict = 'ok' | 'missing' | 'unknown' | 'expired';

export class Tickets {
  private readonly outstanding = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  issue(): { ticket: string; expiresInSeconds: number } {
    const ticket = randomBytes(24).toString('base64url');
    this.outstanding.set(ticket, this.now() + TICKET_LIFETIME_MS);
    while (this.outstanding.size > MAX_OUTSTANDING) this.outstanding.delete(this.outstanding.keys().next().value!);
    return { ticket, expiresInSeconds: TICKET_LIFETIME_MS / 1000 };
  }

  /** Spends a ticket: a second use of the same one is 'unknown'. */
  redeem(ticket: string | undefined): TicketVerdict {
    if (!ticket) return 'missing';
    const expires = this.outstanding.get(ticket);
    if (expires === undefined) return 'unknown';
    this.outstanding.delete(ticket);
    return expires > this.now() ? 'ok' : 'expired';
  }
}
