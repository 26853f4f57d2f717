import { isNonPublic } from '../../core/addresses.js';
import type { Address } from '../../core/log-event.js';
import { int } from './format.js';

/** Rules that judge users by their address: blind when OpenUnison logs the ingress instead. */
export const ADDRESS_RULES = ['refresh-token-replay', 'new-source-ip', 'new-country', 'impossible-travel', 'session-moved', 'auth-failure-burst', 'ip-not-allowed'];

/**
 * Watches where successful events come from. Behind an ingress or load balancer that does
 * not pass the client address on, OpenUnison logs the proxy's private address for everyone;
 * the address rules then see one "user address" and cannot tell anyone apart. This notices
 * that (almost all successes from a handful of private addresses) so the replay summary and
 * the daemon can say so.
 */
export class AddressVisibility {
  private successes = 0;
  /** Successes per address without a location (private or unknown), bounded. */
  private readonly unlocated = new Map<string, { n: number }>();

  constructor(
    private readonly minEvents = 200,
    private readonly handful = 5,
    private readonly share = 0.9,
    private readonly maxTracked = 1024,
  ) {}

  /** Called for every successful event (AuSuccess, AzSuccess). */
  observe(a: Address | null): void {
    this.successes++;
    if (a === null || a.public) return;
    const c = this.unlocated.get(a.ip);
    if (c !== undefined) c.n++;
    else if (this.unlocated.size < this.maxTracked) this.unlocated.set(a.ip, { n: 1 });
  }

  /** The warning to show, or null while client addresses look real (or too few events). */
  warning(): string | null {
    if (this.successes < this.minEvents) return null;
    const top = [...this.unlocated]
      .filter(([ip]) => isNonPublic(ip))
      .sort((a, b) => b[1].n - a[1].n)
      .slice(0, this.handful);
    const n = top.reduce((sum, [, c]) => sum + c.n, 0);
    if (n < this.share * this.successes) return null;
    const pct = Math.floor((100 * n) / this.successes);
    return (
      `${pct}% of ${int(this.successes)} successful events came from ${top.length} private address${top.length === 1 ? '' : 'es'} ` +
      `(${top.map(([ip]) => ip).join(', ')}): OpenUnison is logging its ingress or load balancer, not the clients, so the address rules ` +
      `(${ADDRESS_RULES.join(', ')}) are blind. Fix: make the proxy pass the client address through (for ingress-nginx, ` +
      `externalTrafficPolicy: Local on its Service and the forwarded-for headers) and have OpenUnison log it, then look again.`
    );
  }
}
