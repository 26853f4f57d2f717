import type { Event, EventType } from '../../core/events.js';
import type { GeoPoint, HistoryView, UserState } from '../../core/history.js';
import { detach } from '../../core/strings.js';
import type { Db } from './database.js';
import { SessionDelta } from './sessions.js';
import { TrackedStats, TrackedUser, countsJson, type StatsRow } from './user-state.js';

/** A user in memory, with what changed since the last flush. */
class Entry {
  dirty = false;
  /** Recorded by this process (for the "users seen" count). */
  seen = false;
  dirtyIps: Array<[string, TrackedStats]> = [];
  dirtyCountries: Array<[string, TrackedStats]> = [];
  sessions = new Map<string, SessionDelta>();
  /** Users stay on one address and one session for long stretches: check these before the maps. */
  lastIp: string | null = null;
  lastIpStats: TrackedStats | null = null;
  lastSession: SessionDelta | null = null;
  /** Events per (log-time hour, address) since the last flush, added to user_activity. */
  activity = new Map<string, ActivityDelta>();
  lastActivity: ActivityDelta | null = null;
  constructor(readonly state: TrackedUser) {}
}

const HOUR_MS = 3_600_000;

/** A user's events in one log-time hour from one address ('' = none), not yet written. */
interface ActivityDelta {
  hour: number;
  ip: string;
  country: string | null;
  events: number;
  failures: number;
}

interface UserRow {
  dn: string;
  dn_sha1: string;
  first_seen: number;
  last_seen: number;
  counts: string;
  success_count: number;
  first_success: number | null;
  last_success: number | null;
  last_geo: string | null;
}

/**
 * Per-user history: first/last seen, counts by event type, addresses, countries, the last
 * geolocated success, and sessions. Active users live in memory; a user missing from memory
 * is read from SQLite once; `flush` writes the changes inside the caller's transaction (the
 * one that also stores the checkpoint). Memory is bounded: after a flush, clean users beyond
 * `maxUsers` are dropped and read again if they come back.
 */
export class HistoryStore implements HistoryView {
  private readonly entries = new Map<string, Entry | null>();
  private readonly dirtyEntries: Entry[] = [];
  /** While the users table was empty at start and nothing was evicted, a miss needs no query. */
  private dbMayHoldUnloaded: boolean;
  private readonly seenThisRun = new Set<string>();
  private readonly stmt;

  constructor(
    db: Db,
    private readonly maxUsers = 50_000,
  ) {
    this.dbMayHoldUnloaded = (db.prepare('SELECT EXISTS (SELECT 1 FROM users) AS x').get() as { x: number }).x === 1;
    this.stmt = {
      user: db.prepare('SELECT * FROM users WHERE dn = ?'),
      ips: db.prepare('SELECT ip AS key, country, first_seen, last_seen, count, first_success, last_success, success_count FROM user_ips WHERE dn = ?'),
      countries: db.prepare('SELECT country AS key, first_seen, last_seen, count, first_success, last_success, success_count FROM user_countries WHERE dn = ?'),
      upsertUser: db.prepare(`
        INSERT INTO users (dn, dn_sha1, first_seen, last_seen, counts, success_count, first_success, last_success, last_geo)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (dn) DO UPDATE SET first_seen = excluded.first_seen, last_seen = excluded.last_seen,
          counts = excluded.counts, success_count = excluded.success_count, first_success = excluded.first_success,
          last_success = excluded.last_success, last_geo = excluded.last_geo`),
      upsertIp: db.prepare(`
        INSERT INTO user_ips (dn, ip, country, first_seen, last_seen, count, first_success, last_success, success_count)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (dn, ip) DO UPDATE SET country = excluded.country, first_seen = excluded.first_seen,
          last_seen = excluded.last_seen, count = excluded.count, first_success = excluded.first_success,
          last_success = excluded.last_success, success_count = excluded.success_count`),
      upsertCountry: db.prepare(`
        INSERT INTO user_countries (dn, country, first_seen, last_seen, count, first_success, last_success, success_count)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (dn, country) DO UPDATE SET first_seen = excluded.first_seen, last_seen = excluded.last_seen,
          count = excluded.count, first_success = excluded.first_success, last_success = excluded.last_success,
          success_count = excluded.success_count`),
      // Sessions are many and short-lived: deltas are added, never read back.
      upsertSession: db.prepare(`
        INSERT INTO sessions (session_id, dn, first_seen, last_seen, count) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (session_id, dn) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen),
          last_seen = max(last_seen, excluded.last_seen), count = count + excluded.count`),
      upsertActivity: db.prepare(`
        INSERT INTO user_activity (dn, hour, ip, country, events, failures) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (dn, hour, ip) DO UPDATE SET country = coalesce(excluded.country, country),
          events = events + excluded.events, failures = failures + excluded.failures`),
      upsertSessionIp: db.prepare(`
        INSERT INTO session_ips (session_id, dn, ip, first_seen, last_seen, count) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (session_id, dn, ip) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen),
          last_seen = max(last_seen, excluded.last_seen), count = count + excluded.count`),
    };
  }

  /** Distinct users recorded by this process. */
  get usersSeen(): number {
    return this.seenThisRun.size;
  }

  /** `dn` should be the canonical string from enrich (it may become a map key). */
  user(dn: string): UserState | null {
    return this.entry(dn)?.state ?? null;
  }

  /**
   * Adds one event of a real user (the caller filters out `cn=none` and anonymous). `e.dn` and
   * `e.ip` must be the canonical strings enrich hands out: they are kept as they are.
   */
  record(e: Event, dn: string, dnSha1: string): void {
    const t = e.ts;
    let entry = this.entry(dn);
    if (entry === null) {
      entry = new Entry(new TrackedUser(dn, dnSha1, t));
      this.entries.set(entry.state.dn, entry);
    }
    if (!entry.seen) {
      entry.seen = true;
      this.seenThisRun.add(entry.state.dn);
    }
    const s = entry.state;
    if (t < s.firstSeen) s.firstSeen = t;
    if (t > s.lastSeen) s.lastSeen = t;
    const type: EventType = e.type;
    s.counts[type]++;
    const success = type === 'AzSuccess' || type === 'AuSuccess';
    if (success) {
      s.successCount++;
      if (s.firstSuccess === null || t < s.firstSuccess) s.firstSuccess = t;
      if (s.lastSuccess === null || t > s.lastSuccess) s.lastSuccess = t;
    }
    const ip = e.ip;
    const geo = e.geo;
    if (ip !== null) {
      let st = ip === entry.lastIp ? entry.lastIpStats : s.ips.get(ip);
      if (st === undefined || st === null) {
        st = new TrackedStats(geo ? geo.country : null, t, t);
        s.ips.set(ip, st);
      }
      if (ip !== entry.lastIp) {
        entry.lastIp = ip;
        entry.lastIpStats = st;
      }
      st.bump(t, success);
      if (!st.dirty) {
        st.dirty = true;
        entry.dirtyIps.push([entry.lastIp!, st]);
      }
    }
    if (geo !== null) {
      let c = s.countries.get(geo.country);
      if (c === undefined) {
        c = new TrackedStats(null, t, t);
        s.countries.set(geo.country, c);
      }
      c.bump(t, success);
      if (!c.dirty) {
        c.dirty = true;
        entry.dirtyCountries.push([geo.country, c]);
      }
      if (success && ip !== null && (s.lastGeo === null || t >= s.lastGeo.ts)) {
        s.lastGeo = { ts: t, ip: entry.lastIp!, country: geo.country, lat: geo.lat, lon: geo.lon };
      }
    }
    const sid = e.sessionId;
    if (sid !== null) {
      let session = entry.lastSession !== null && entry.lastSession.sessionId === sid ? entry.lastSession : entry.sessions.get(sid);
      if (session === undefined) {
        session = new SessionDelta(detach(sid), t);
        entry.sessions.set(session.sessionId, session);
      }
      entry.lastSession = session;
      session.add(t, ip);
    }
    this.countActivity(entry, t, ip ?? '', geo === null ? null : geo.country, type === 'AuFail' || type === 'AzFail');
    if (!entry.dirty) {
      entry.dirty = true;
      this.dirtyEntries.push(entry);
    }
  }

  /** One event in the user's per-hour, per-address counts (users stay on one address for hours). */
  private countActivity(entry: Entry, t: number, ip: string, country: string | null, failure: boolean): void {
    const hour = t - (t % HOUR_MS);
    let a = entry.lastActivity;
    if (a === null || a.hour !== hour || a.ip !== ip) {
      const key = `${hour}|${ip}`;
      a = entry.activity.get(key) ?? null;
      if (a === null) {
        a = { hour, ip, country, events: 0, failures: 0 };
        entry.activity.set(key, a);
      }
      entry.lastActivity = a;
    }
    a.events++;
    if (failure) a.failures++;
    if (a.country === null) a.country = country;
  }

  /** Writes every change since the last flush. Run inside the caller's transaction. */
  flush(): void {
    const q = this.stmt;
    for (const entry of this.dirtyEntries) {
      const s = entry.state;
      q.upsertUser.run(s.dn, s.dnSha1, s.firstSeen, s.lastSeen, countsJson(s.counts), s.successCount, s.firstSuccess, s.lastSuccess,
        s.lastGeo === null ? null : JSON.stringify(s.lastGeo));
      for (const [ip, st] of entry.dirtyIps) {
        q.upsertIp.run(s.dn, ip, st.country, st.firstSeen, st.lastSeen, st.count, st.firstSuccess, st.lastSuccess, st.successCount);
        st.dirty = false;
      }
      for (const [country, st] of entry.dirtyCountries) {
        q.upsertCountry.run(s.dn, country, st.firstSeen, st.lastSeen, st.count, st.firstSuccess, st.lastSuccess, st.successCount);
        st.dirty = false;
      }
      for (const d of entry.sessions.values()) {
        q.upsertSession.run(d.sessionId, s.dn, d.first, d.last, d.count);
        for (const span of d.ips.values()) q.upsertSessionIp.run(d.sessionId, s.dn, span.ip, span.first, span.last, span.count);
      }
      for (const a of entry.activity.values()) q.upsertActivity.run(s.dn, a.hour, a.ip, a.country, a.events, a.failures);
      entry.dirty = false;
      entry.activity = new Map();
      entry.lastActivity = null;
      entry.dirtyIps = [];
      entry.dirtyCountries = [];
      entry.sessions = new Map();
      entry.lastSession = null;
    }
    this.dirtyEntries.length = 0;
  }

  /** Drops clean users (oldest first) past the memory bound. Call after a committed flush. */
  trim(): void {
    if (this.entries.size <= this.maxUsers) return;
    let excess = this.entries.size - Math.floor(this.maxUsers * 0.8);
    for (const [dn, entry] of this.entries) {
      if (excess <= 0) break;
      if (entry !== null && entry.dirty) continue;
      this.entries.delete(dn);
      if (entry !== null) this.dbMayHoldUnloaded = true;
      excess--;
    }
  }

  /** Forgets everything in memory (after a rolled-back transaction, memory is ahead of the db). */
  reset(): void {
    this.entries.clear();
    this.dirtyEntries.length = 0;
    this.dbMayHoldUnloaded = true;
  }

  private entry(dn: string): Entry | null {
    const cached = this.entries.get(dn);
    if (cached !== undefined) return cached;
    const loaded = this.load(dn);
    // Remember misses too: a DN not in the db costs one query, not one per event. The key is
    // the caller's canonical string, so later lookups compare pointers.
    this.entries.set(dn, loaded);
    return loaded;
  }

  private load(dn: string): Entry | null {
    if (!this.dbMayHoldUnloaded) return null;
    const row = this.stmt.user.get(dn) as UserRow | undefined;
    if (row === undefined) return null;
    const state = new TrackedUser(row.dn, row.dn_sha1, row.first_seen, row.last_seen);
    Object.assign(state.counts, JSON.parse(row.counts) as Partial<Record<EventType, number>>);
    state.successCount = row.success_count;
    state.firstSuccess = row.first_success;
    state.lastSuccess = row.last_success;
    state.lastGeo = row.last_geo === null ? null : (JSON.parse(row.last_geo) as GeoPoint);
    for (const r of this.stmt.ips.all(dn) as StatsRow[]) state.ips.set(r.key, TrackedStats.fromRow(r));
    for (const r of this.stmt.countries.all(dn) as StatsRow[]) state.countries.set(r.key, TrackedStats.fromRow(r));
    return new Entry(state);
  }
}
