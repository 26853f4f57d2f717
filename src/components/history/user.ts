import { EVENT_TYPES, type EventType } from '../../core/events.js';
import type { AddressRecord, GeoPoint, UserRecord } from '../../core/history.js';

/** What a map not made yet reads as (never written: it is typed read-only). */
const NO_ENTRIES: ReadonlyMap<never, never> = new Map<never, never>();

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
  readonly ips = new Map<string, SessionSpan>();
  /** The span of the last address recorded (fast path). */
  lastSpan: SessionSpan | null = null;
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
  /*
   * The maps below are made when their first entry is (null until then): most users have no
   * learnt public address, no country and, between commits, no session, and an empty Map
   * still costs about 180 bytes; with tens of thousands of users in memory that was a fifth
   * of the heap.
   */
  /** Learnt addresses per network, ASN and country. */
  private learntNets: Map<string, number> | null = null;
  private learntAsns: Map<number, number> | null = null;
  private learntCountries: Map<string, number> | null = null;
  /** Every country seen, for the history shown to people. */
  seenCountries: Map<string, CountryState> | null = null;
  /** Fast path: users stay on one address for long stretches. */
  lastAddress: AddressState | null = null;
  /** Sessions since the last commit. */
  sessions: Map<string, SessionState> | null = null;
  /** The session of the last event recorded, until the commit (fast path). */
  lastSession: SessionState | null = null;
  activity: ActivityState[] = [];
  activityHour = -1;
  /** Activity of the hour in progress by address, since the last commit. */
  activityNow: Map<string, ActivityState> | null = null;
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
        u.seenCountries ??= new Map();
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

  /** Learnt addresses per network. */
  get nets(): ReadonlyMap<string, number> {
    return this.learntNets ?? NO_ENTRIES;
  }

  /** Learnt addresses per ASN. */
  get asns(): ReadonlyMap<number, number> {
    return this.learntAsns ?? NO_ENTRIES;
  }

  /** Learnt addresses per country. */
  get countries(): ReadonlyMap<string, number> {
    return this.learntCountries ?? NO_ENTRIES;
  }

  knowsNet(net: string | null): boolean {
    return net !== null && this.learntNets !== null && this.learntNets.has(net);
  }

  knowsAsn(asn: number | null): boolean {
    return asn !== null && this.learntAsns !== null && this.learntAsns.has(asn);
  }

  knowsCountry(country: string | null): boolean {
    return country !== null && this.learntCountries !== null && this.learntCountries.has(country);
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
    if (a.net !== null) bump((this.learntNets ??= new Map()), a.net, d);
    if (a.asn !== null) bump((this.learntAsns ??= new Map()), a.asn, d);
    if (a.country !== null) bump((this.learntCountries ??= new Map()), a.country, d);
  }
}

function bump<K>(m: Map<K, number>, k: K, d: number): void {
  m.set(k, (m.get(k) ?? 0) + d);
}

function minOf(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
}

function maxOf(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.max(a, b);
}
