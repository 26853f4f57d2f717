import { appended } from '../../core/arrays.js';
import { EVENT_TYPES, type EventType } from '../../core/events.js';
import type { GeoPoint, UserRecord } from '../../core/history.js';
import { byText } from '../../core/order.js';
import { MAX_LOOKBACK_MS } from './address-trim.js';
import { AddressBook } from './address-book.js';
import { LearntPlaces } from './learnt-places.js';
import { SmallMap } from './small-map.js';
import { ActivityState, AddressState, CountryState, SessionState, TAUGHT, taughtPlaces, type NetOf } from './user-state.js';

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
  /*
   * Per-user collections are small or empty for most users, and an empty Map or Set still
   * costs about 180 bytes (with tens of thousands of users in memory that was a fifth of the
   * heap): they are made at their first entry (null until then), or hold their first entry
   * in a field (SmallMap, LearntPlaces).
   */
  /** Every address seen, by text. */
  readonly addresses = new AddressBook();
  /** The networks, ASNs and countries of the learnt addresses. */
  private readonly learnt = new LearntPlaces();
  /** Every country seen, for the history shown to people. */
  readonly seenCountries = new SmallMap<CountryState>();
  /** Fast path: users stay on one address for long stretches. */
  lastAddress: AddressState | null = null;
  /** Sessions since the last commit, by id. */
  private readonly sessionsNow = new SmallMap<SessionState>();
  activity: ActivityState[] = [];
  activityHour = -1;
  /** Activity of the hour in progress since the last commit, by address. */
  private readonly activityNow = new SmallMap<ActivityState>();
  dirty = false;
  /** In the list of users to write at the next commit. */
  queued = false;
  /** Changed since the last commit: most users change one address and one country between commits (appended). */
  dirtyAddresses: AddressState[] = [];
  dirtyCountries: CountryState[] = [];
  /** The newest interned id this user was seen under (eviction keeps users still referenced). */
  lastDnId = -1;
  /** Seen in this run (the "users seen" count). */
  seenThisRun = false;
  /**
   * False from the moment a user is met whom the store was found not to hold (HeldUsers.userOf)
   * until a commit writes them: their row is then inserted without being looked up.
   */
  stored = true;
  /**
   * The earliest last-seen time of the addresses let go from memory (Infinity: every stored
   * address is held). Such a user's addresses that a batch names are read back before it.
   */
  oldestLetGo = Infinity;
  /** Learnt addresses let go and not read back (they count among the user's own). */
  learntLetGo = 0;
  /** The networks of learnt addresses let go (null: none). */
  private learntNetsLetGo: Set<string> | null = null;
  /**
   * Detection's cache: which rules admit this user's DN (a vector shared between users), and
   * the rules it was worked out for (a reload makes it stale).
   */
  verdicts: Int8Array | null = null;
  verdictsFor: object | null = null;

  /** The session `sid` since the last commit, made on first sight. */
  sessionOf(sid: string, t: number): SessionState {
    let s = this.sessionsNow.get(sid);
    if (s === undefined) this.sessionsNow.set(sid, (s = new SessionState(sid, t, t)));
    return s;
  }

  /** The sessions since the last commit, by id. */
  sessions(): SessionState[] {
    const all = this.sessionsNow.values();
    return all.length < 2 ? all : all.sort((a, b) => byText(a.sessionId, b.sessionId));
  }

  /** This hour's activity from `ip` ('' for none), made on first sight; an earlier hour's goes to `activity`. */
  activityOf(hour: number, ip: string, country: string | null): ActivityState {
    if (hour !== this.activityHour) {
      this.activity.push(...this.activityNow.values());
      this.activityNow.clear();
      this.activityHour = hour;
    }
    let a = this.activityNow.get(ip);
    if (a === undefined) this.activityNow.set(ip, (a = new ActivityState(hour, ip, country)));
    return a;
  }

  /** The activity of the hour in progress since the last commit. */
  hourActivity(): ActivityState[] {
    return this.activityNow.values();
  }

  /** The commit wrote sessions and activity: they count from zero again (stored rows are added to). */
  written(): void {
    this.sessionsNow.clear();
    this.activity = [];
    this.activityNow.clear();
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
    if (r.oldestLeftOut !== undefined) u.oldestLetGo = r.oldestLeftOut;
    for (const a of r.addresses) {
      const st = AddressState.from(a, netOf);
      u.addresses.set(st.ip, st);
      if (st.learnt) u.index(st);
      // Loaded without some addresses, the user's countries come whole from the store.
      if (st.country !== null && r.countries === undefined) u.addToCountry(st);
    }
    for (const c of r.countries ?? []) {
      const st = new CountryState(c.country, c.firstSeen, c.lastSeen);
      st.count = c.count;
      st.successCount = c.successCount;
      st.firstSuccess = c.firstSuccess;
      st.lastSuccess = c.lastSuccess;
      u.seenCountries.set(c.country, st);
    }
    return u;
  }

  /** Counts a stored address towards its country (users loaded with every address). */
  private addToCountry(st: AddressState): void {
    const country = st.country!;
    let c = this.seenCountries.get(country);
    if (c === undefined) {
      c = new CountryState(country, st.firstSeen, st.lastSeen);
      this.seenCountries.set(country, c);
    }
    c.count += st.count;
    c.successCount += st.successCount;
    if (st.firstSeen < c.firstSeen) c.firstSeen = st.firstSeen;
    if (st.lastSeen > c.lastSeen) c.lastSeen = st.lastSeen;
    c.firstSuccess = minOf(c.firstSuccess, st.firstSuccess);
    c.lastSuccess = maxOf(c.lastSuccess, st.lastSuccess);
  }

  /** Whether an address of this user, held or let go, was last seen before `t` (retention deletes it then). */
  hasAddressSeenBefore(t: number): boolean {
    if (this.oldestLetGo < t) return true;
    for (const a of this.addresses.values()) if (a.lastSeen < t) return true;
    return false;
  }

  /** Whether every stored address of this user is in memory. */
  get holdsAllAddresses(): boolean {
    return this.oldestLetGo === Infinity;
  }

  /** Drops a stored, unchanged address from memory (AddressTrim decides which). */
  letGo(a: AddressState): void {
    this.addresses.delete(a.ip);
    if (this.lastAddress === a) this.lastAddress = null;
    if (a.lastSeen < this.oldestLetGo) this.oldestLetGo = a.lastSeen;
    if (a.learnt) {
      this.learntLetGo++;
      if (a.net !== null) (this.learntNetsLetGo ??= new Set()).add(a.net);
    }
  }

  /** An address let go is back from the store, as it was stored. */
  readBack(a: AddressState): void {
    this.addresses.set(a.ip, a);
    if (a.learnt && this.learntLetGo > 0) this.learntLetGo--;
  }

  /**
   * The learnt addresses last seen within `within` before `t`, the latest first, at most
   * `max` of them (what a reason lists: older ones may be out of memory, AddressTrim), and
   * how many learnt addresses the user has in all, held or let go. One pass, no sort of the
   * whole: a reason is written for every new alert, and a user under attack has thousands.
   */
  learntLately(t: number, within = MAX_LOOKBACK_MS, max = Number.POSITIVE_INFINITY): { ips: string[]; total: number } {
    const lately: AddressState[] = [];
    let total = this.learntLetGo;
    const since = t - within;
    for (const a of this.addresses.iterate()) {
      if (!a.learnt) continue;
      total++;
      if (a.lastSeen < since) continue;
      // Kept sorted, latest first, and cut at max: an insertion into a short list.
      let k = lately.length;
      while (k > 0 && latestFirst(a, lately[k - 1]) < 0) k--;
      if (k < max) {
        lately.splice(k, 0, a);
        if (lately.length > max) lately.pop();
      }
    }
    return { ips: lately.map((a) => a.ip), total };
  }

  /**
   * Whether a learnt address let go from memory was in `net`. Such an address was last seen
   * longer ago than any detector looks back for an unlearnt one (AddressTrim's keptFor).
   */
  learntLetGoIn(net: string | null): boolean {
    return net !== null && this.learntNetsLetGo !== null && this.learntNetsLetGo.has(net);
  }

  /** Makes an address one of the user's own (its network, ASN and country become known; `a.taught` says which were new). */
  learn(a: AddressState): void {
    if (a.learnt) return;
    a.learnt = true;
    a.quarantinedBy = null;
    a.taught =
      (a.net !== null && !this.knowsNet(a.net) ? TAUGHT.net : 0) |
      (a.asn !== null && !this.knowsAsn(a.asn) ? TAUGHT.asn : 0) |
      (a.country !== null && !this.knowsCountry(a.country) ? TAUGHT.country : 0);
    this.index(a);
    this.touchAddress(a);
  }

  /**
   * Takes back the learning of an address learnt moments before, now that an alert was raised
   * on it (History's unlearn): it is kept from being learnt by `alertId`, and the places it
   * taught the user are theirs no more.
   */
  unlearn(a: AddressState, alertId: string): void {
    if (!a.learnt) return;
    this.learnt.remove(...taughtPlaces(a));
    a.learnt = false;
    a.taught = 0;
    a.quarantinedBy = alertId;
    this.touchAddress(a);
  }

  /** The networks of the learnt addresses. */
  nets(): string[] {
    return this.learnt.nets();
  }

  /** The ASNs of the learnt addresses. */
  asns(): number[] {
    return this.learnt.asns();
  }

  /** The countries of the learnt addresses. */
  countries(): string[] {
    return this.learnt.countries();
  }

  /** How many networks, ASNs and countries the learnt addresses have (a count, no list built). */
  learntCount(kind: 'net' | 'asn' | 'country'): number {
    return kind === 'net' ? this.learnt.netCount() : kind === 'asn' ? this.learnt.asnCount() : this.learnt.countryCount();
  }

  knowsNet(net: string | null): boolean {
    return net !== null && this.learnt.hasNet(net);
  }

  knowsAsn(asn: number | null): boolean {
    return asn !== null && this.learnt.hasAsn(asn);
  }

  knowsCountry(country: string | null): boolean {
    return country !== null && this.learnt.hasCountry(country);
  }

  touchAddress(a: AddressState): void {
    if (!a.dirty) {
      a.dirty = true;
      this.dirtyAddresses = appended(this.dirtyAddresses, a);
    }
    this.dirty = true;
  }

  touchCountry(c: CountryState): void {
    if (!c.dirty) {
      c.dirty = true;
      this.dirtyCountries = appended(this.dirtyCountries, c);
    }
  }

  /** Adds a learnt address's network, ASN and country. */
  private index(a: AddressState): void {
    this.learnt.add(a.net, a.asn, a.country);
  }
}

/** Latest last-seen first, then by address text. */
function latestFirst(a: AddressState, b: AddressState): number {
  return b.lastSeen - a.lastSeen || byText(a.ip, b.ip);
}

function minOf(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
}

function maxOf(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.max(a, b);
}
