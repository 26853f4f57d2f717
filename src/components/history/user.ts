import { EVENT_TYPES, type EventType } from '../../core/events.js';
import type { AddressRecord, GeoPoint, UserRecord } from '../../core/history.js';
import { byText } from '../../core/order.js';
import { SmallSet } from './small-set.js';

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
  /** Spans by address, made at the second address (most sessions keep one): null until then. */
  ips: Map<string, SessionSpan> | null = null;
  /** The span of the last address recorded (fast path; the only one while `ips` is null). */
  lastSpan: SessionSpan | null = null;
  constructor(
    readonly sessionId: string,
    public first: number,
    public last: number,
  ) {}

  /** The span of `ip`, made on first sight. */
  spanOf(ip: string, t: number): SessionSpan {
    const last = this.lastSpan;
    if (last !== null && last.ip === ip) return last;
    let span = this.ips?.get(ip);
    if (span === undefined) {
      span = { ip, first: t, last: t, count: 0 };
      if (last !== null) (this.ips ??= new Map([[last.ip, last]])).set(ip, span);
    }
    this.lastSpan = span;
    return span;
  }

  spans(): SessionSpan[] {
    return this.ips !== null ? [...this.ips.values()] : this.lastSpan === null ? [] : [this.lastSpan];
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

/**
 * A user's history as detection sees it (the state before the event being examined) and as
 * history maintains it. The learnt networks, ASNs and countries are derived from the learnt
 * addresses and kept as sets, so novelty is a lookup.
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
   * Per-user collections are small or empty for most users, and an empty Map or Set still
   * costs about 180 bytes (with tens of thousands of users in memory that was a fifth of the
   * heap): they are made at their first entry (null until then), or hold their first entry
   * in a field (SmallSet, the session and activity fast paths below).
   */
  /** The networks, ASNs and countries of the learnt addresses. */
  private readonly learntNets = new SmallSet<string>();
  private readonly learntAsns = new SmallSet<number>();
  private readonly learntCountries = new SmallSet<string>();
  /** Every country seen, for the history shown to people. */
  seenCountries: Map<string, CountryState> | null = null;
  /** Fast path: users stay on one address for long stretches. */
  lastAddress: AddressState | null = null;
  /*
   * Sessions and the hour's activity since the last commit: the last one recorded (the fast
   * path, and the only one while the map is null), and a map made at the second (most users
   * keep one session and one address between two commits, and a Map costs ~180 bytes).
   */
  private sessionMap: Map<string, SessionState> | null = null;
  lastSession: SessionState | null = null;
  activity: ActivityState[] = [];
  activityHour = -1;
  private activityMap: Map<string, ActivityState> | null = null;
  activityLast: ActivityState | null = null;
  dirty = false;
  /** In the list of users to write at the next commit. */
  queued = false;
  dirtyAddresses: AddressState[] = [];
  dirtyCountries: CountryState[] = [];
  /** The newest interned id this user was seen under (eviction keeps users still referenced). */
  lastDnId = -1;
  /** Seen in this run (the "users seen" count). */
  seenThisRun = false;
  /**
   * Detection's cache: which rules admit this user's DN (a vector shared between users), and
   * the rules it was worked out for (a reload makes it stale).
   */
  verdicts: Int8Array | null = null;
  verdictsFor: object | null = null;

  /** The session `sid` since the last commit, made on first sight. */
  sessionOf(sid: string, t: number): SessionState {
    const last = this.lastSession;
    if (last !== null && last.sessionId === sid) return last;
    let s = this.sessionMap?.get(sid);
    if (s === undefined) {
      s = new SessionState(sid, t, t);
      if (last !== null) (this.sessionMap ??= new Map([[last.sessionId, last]])).set(sid, s);
    }
    this.lastSession = s;
    return s;
  }

  /** The sessions since the last commit, by id. */
  sessions(): SessionState[] {
    if (this.sessionMap !== null) return [...this.sessionMap.values()].sort((a, b) => byText(a.sessionId, b.sessionId));
    return this.lastSession === null ? [] : [this.lastSession];
  }

  /** This hour's activity from `ip` ('' for none), made on first sight; an earlier hour's goes to `activity`. */
  activityOf(hour: number, ip: string, country: string | null): ActivityState {
    if (hour !== this.activityHour) {
      this.activity.push(...this.hourActivity());
      this.activityMap = null;
      this.activityLast = null;
      this.activityHour = hour;
    }
    const last = this.activityLast;
    if (last !== null && last.ip === ip) return last;
    let a = this.activityMap?.get(ip);
    if (a === undefined) {
      a = new ActivityState(hour, ip, country);
      if (last !== null) (this.activityMap ??= new Map([[last.ip, last]])).set(ip, a);
    }
    this.activityLast = a;
    return a;
  }

  /** The activity of the hour in progress since the last commit. */
  hourActivity(): ActivityState[] {
    if (this.activityMap !== null) return [...this.activityMap.values()];
    return this.activityLast === null ? [] : [this.activityLast];
  }

  /** The commit wrote sessions and activity: they count from zero again (stored rows are added to). */
  written(): void {
    this.sessionMap = null;
    this.lastSession = null;
    this.activity = [];
    this.activityMap = null;
    this.activityLast = null;
  }

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
      if (st.learnt) u.index(st);
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
    this.index(a);
    this.touchAddress(a);
  }

  /** The networks of the learnt addresses. */
  nets(): string[] {
    return this.learntNets.keys();
  }

  /** The ASNs of the learnt addresses. */
  asns(): number[] {
    return this.learntAsns.keys();
  }

  /** The countries of the learnt addresses. */
  countries(): string[] {
    return this.learntCountries.keys();
  }

  knowsNet(net: string | null): boolean {
    return net !== null && this.learntNets.has(net);
  }

  knowsAsn(asn: number | null): boolean {
    return asn !== null && this.learntAsns.has(asn);
  }

  knowsCountry(country: string | null): boolean {
    return country !== null && this.learntCountries.has(country);
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

  /** Adds a learnt address's network, ASN and country. */
  private index(a: AddressState): void {
    if (a.net !== null) this.learntNets.add(a.net);
    if (a.asn !== null) this.learntAsns.add(a.asn);
    if (a.country !== null) this.learntCountries.add(a.country);
  }
}

function minOf(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
}

function maxOf(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.max(a, b);
}
