import { EVENT_TYPES, type EventType } from '../../core/events.js';
import type { AddressRecord, GeoPoint, UserRecord } from '../../core/history.js';

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

/** Events of one session of one user since the last commit. */
export class SessionState {
  count = 0;
  readonly ips = new Map<string, { ip: string; first: number; last: number; count: number }>();
  constructor(
    readonly sessionId: string,
    public first: number,
    public last: number,
  ) {}
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

/**
 * A user's history as detection sees it (the state before the event being examined) and as
 * history maintains it. The learnt networks, ASNs and countries are derived from the learnt
 * addresses and kept as counters, so novelty is a map lookup.
 */
export class User {
  /** Events by type (a plain array: a typed array's own buffer costs more per user than it saves). */
  readonly counts: number[] = new Array<number>(EVENT_TYPES.length).fill(0);
  successCount = 0;
  firstSuccess: number | null = null;
  lastSuccess: number | null = null;
  lastGeo: GeoPoint | null = null;
  readonly addresses = new Map<string, AddressState>();
  /** Learnt addresses per network, ASN and country. */
  readonly nets = new Map<string, number>();
  readonly asns = new Map<number, number>();
  readonly countries = new Map<string, number>();
  /** Every country seen, for the history shown to people. */
  readonly seenCountries = new Map<string, CountryState>();
  /** Fast path: users stay on one address for long stretches. */
  lastAddress: AddressState | null = null;
  sessions = new Map<string, SessionState>();
  activity: ActivityState[] = [];
  activityHour = -1;
  activityNow = new Map<string, ActivityState>();
  dirty = false;
  /** In the list of users to write at the next commit. */
  queued = false;
  dirtyAddresses: AddressState[] = [];
  dirtyCountries: CountryState[] = [];
  /** The newest interned id this user was seen under (eviction keeps users still referenced). */
  lastDnId = -1;
  /** Seen in this run (the "users seen" count). */
  seenThisRun = false;

  constructor(
    readonly dn: string,
    readonly dnSha1: string,
    public firstSeen: number,
    public lastSeen: number,
  ) {}

  static from(r: UserRecord, netOf?: NetOf): User {
    const u = new User(r.dn, r.dnSha1, r.firstSeen, r.lastSeen);
    for (const [t, n] of Object.entries(r.counts) as Array<[EventType, number]>) {
      const i = EVENT_TYPES.indexOf(t);
      if (i >= 0) u.counts[i] = n;
    }
    u.successCount = r.successCount;
    u.firstSuccess = r.firstSuccess;
    u.lastSuccess = r.lastSuccess;
    u.lastGeo = r.lastGeo;
    for (const a of r.addresses) {
      const st = AddressState.from(a, netOf);
      u.addresses.set(st.ip, st);
      if (st.learnt) u.index(st, 1);
      if (st.country !== null) {
        let c = u.seenCountries.get(st.country);
        if (c === undefined) {
          c = new CountryState(st.country, st.firstSeen, st.lastSeen);
          u.seenCountries.set(st.country, c);
        }
        c.count += st.count;
        c.successCount += st.successCount;
        if (st.firstSeen < c.firstSeen) c.firstSeen = st.firstSeen;
        if (st.lastSeen > c.lastSeen) c.lastSeen = st.lastSeen;
        c.firstSuccess = minOf(c.firstSuccess, st.firstSuccess);
        c.lastSuccess = maxOf(c.lastSuccess, st.lastSuccess);
      }
    }
    return u;
  }

  /** Makes an address one of the user's own (its network, ASN and country become known). */
  learn(a: AddressState): void {
    if (a.learnt) return;
    a.learnt = true;
    a.quarantinedBy = null;
    this.index(a, 1);
    this.touchAddress(a);
  }

  knowsNet(net: string | null): boolean {
    return net !== null && this.nets.has(net);
  }

  knowsAsn(asn: number | null): boolean {
    return asn !== null && this.asns.has(asn);
  }

  knowsCountry(country: string | null): boolean {
    return country !== null && this.countries.has(country);
  }

  touchAddress(a: AddressState): void {
    if (!a.dirty) {
      a.dirty = true;
      this.dirtyAddresses.push(a);
    }
    this.dirty = true;
  }

  touchCountry(c: CountryState): void {
    if (!c.dirty) {
      c.dirty = true;
      this.dirtyCountries.push(c);
    }
  }

  private index(a: AddressState, d: number): void {
    if (a.net !== null) this.nets.set(a.net, (this.nets.get(a.net) ?? 0) + d);
    if (a.asn !== null) this.asns.set(a.asn, (this.asns.get(a.asn) ?? 0) + d);
    if (a.country !== null) this.countries.set(a.country, (this.countries.get(a.country) ?? 0) + d);
  }
}

function minOf(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
}

function maxOf(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.max(a, b);
}
