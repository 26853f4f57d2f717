/** The parts of a user's history (addresses, countries, sessions, activity) as history keeps them in memory. */
import type { AddressRecord } from '../../core/history.js';
import { SmallMap } from './small-map.js';

/** The bits of AddressState.taught. */
export const TAUGHT = { net: 1, asn: 2, country: 4 } as const;

/** The network, ASN and country an address taught its user (null where it taught nothing of that kind). */
export function taughtPlaces(a: AddressState): [net: string | null, asn: number | null, country: string | null] {
  const t = a.taught;
  return [t & TAUGHT.net ? a.net : null, t & TAUGHT.asn ? a.asn : null, t & TAUGHT.country ? a.country : null];
}

/** The network (`a.b.c.0/24`, `x:x:x:x::/64`) of an address as detection compares them; null for none. */
export type NetOf = (ip: string) => string | null;

/**
 * One address of one user. A class, not object literals: the hot path updates millions of
 * them and one hidden class keeps that cheap.
 */
export class AddressState implements AddressRecord {
  count = 0;
  successCount = 0;
  firstSuccess: number | null = null;
  lastSuccess: number | null = null;
  /** The success before the last one (memory only): a busy client's replay still shows it there. */
  prevSuccess: number | null = null;
  learnt = false;
  /**
   * What learning it taught its user in this run (memory only): TAUGHT bits for the network,
   * ASN and country it was the first learnt address of. Un-learning it takes them back.
   */
  taught = 0;
  quarantinedBy: string | null = null;
  /** Changed since the last commit. */
  dirty = false;

  constructor(
    readonly ip: string,
    readonly net: string | null,
    readonly country: string | null,
    readonly asn: number | null,
    readonly asOrg: string | null,
    public firstSeen: number,
    public lastSeen: number,
  ) {}

  /** `netOf` recomputes the network (rows stored before networks were, or under other prefix lengths). */
  static from(r: AddressRecord, netOf?: NetOf): AddressState {
    const a = new AddressState(r.ip, netOf ? netOf(r.ip) : r.net, r.country, r.asn, r.asOrg, r.firstSeen, r.lastSeen);
    a.count = r.count;
    a.successCount = r.successCount;
    a.firstSuccess = r.firstSuccess;
    a.lastSuccess = r.lastSuccess;
    a.learnt = r.learnt;
    a.quarantinedBy = r.quarantinedBy;
    return a;
  }
}

/** Counters of one country of one user (seen, learnt or not), for the history shown to people. */
export class CountryState {
  count = 0;
  successCount = 0;
  firstSuccess: number | null = null;
  lastSuccess: number | null = null;
  dirty = false;
  constructor(
    readonly country: string,
    public firstSeen: number,
    public lastSeen: number,
  ) {}
}

/** Events of one session of one user from one address, since the last commit. */
export interface SessionSpan {
  ip: string;
  first: number;
  last: number;
  count: number;
}

/** Events of one session of one user since the last commit. */
export class SessionState {
  count = 0;
  /** Spans by address. */
  private readonly byIp = new SmallMap<SessionSpan>();
  constructor(
    readonly sessionId: string,
    public first: number,
    public last: number,
  ) {}

  /** The span of `ip`, made on first sight. */
  spanOf(ip: string, t: number): SessionSpan {
    let span = this.byIp.get(ip);
    if (span === undefined) this.byIp.set(ip, (span = { ip, first: t, last: t, count: 0 }));
    return span;
  }

  spans(): SessionSpan[] {
    return this.byIp.values();
  }
}

/** Events of one user from one address in the current hour, since the last commit. */
export class ActivityState {
  events = 0;
  failures = 0;
  constructor(
    readonly hour: number,
    readonly ip: string,
    readonly country: string | null,
  ) {}
}
