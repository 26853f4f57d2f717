import type { ActivityWrite, AddressRecord, CountryTotals, HistoryRowSink, HistoryWrites, SessionCounts, SessionSpanCounts, UserRowFields } from '../../core/history.js';
import { DROP_EMPTY_ORGANISATION_COUNTS } from '../organisation-sql.js';
import { BatchedUpsert } from './batched-upsert.js';
import type { Db } from './database.js';
import { dnKeyOf, dnKeyOfUser } from './user-key.js';

/**
 * A commit's history rows on SQLite: each changed user first, found by key and DN and updated
 * or inserted (which gives back their number; a user history marks as new is inserted without
 * being looked up), then their addresses, countries, sessions and hourly activity keyed by it
 * (schema version 13), many rows to a statement (batched-upsert.ts). The same rules as
 * PostgreSQL's commit-writes.ts: users, addresses and countries replace what is stored;
 * sessions, hourly activity and the organisation's counts of users per place add to it.
 */
export class SqliteHistoryWriter {
  private readonly stmt;
  private readonly rows;

  constructor(db: Db) {
    this.stmt = {
      // A user is found by their key and DN (user-key.ts: the key is not unique), then
      // updated by number, or inserted: their new number (the rowid) keys their other rows.
      userId: db.prepare('SELECT id FROM users WHERE dn_key = ? AND dn = ?').pluck(),
      insertUser: db.prepare(
        `INSERT INTO users (dn, dn_key, dn_sha1, first_seen, last_seen, counts, success_count, first_success, last_success, last_geo)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      updateUser: db.prepare(`UPDATE users SET first_seen = ?, last_seen = ?, counts = ?, success_count = ?, first_success = ?, last_success = ?, last_geo = ?
        WHERE id = ?`),
      dropEmptyOrganisationCounts: db.prepare(DROP_EMPTY_ORGANISATION_COUNTS),
    };
    // The rows keyed by a user's number: several per user, written many to a statement.
    this.rows = {
      address: new BatchedUpsert(
        db,
        'INSERT INTO user_ips (user_id, ip, country, first_seen, last_seen, count, first_success, last_success, success_count, net, asn, as_org, learnt, quarantined_by) VALUES',
        14,
        `ON CONFLICT (user_id, ip) DO UPDATE SET country = excluded.country, first_seen = excluded.first_seen,
          last_seen = excluded.last_seen, count = excluded.count, first_success = excluded.first_success,
          last_success = excluded.last_success, success_count = excluded.success_count, net = excluded.net,
          asn = excluded.asn, as_org = excluded.as_org, learnt = excluded.learnt, quarantined_by = excluded.quarantined_by`,
      ),
      country: new BatchedUpsert(
        db,
        'INSERT INTO user_countries (user_id, country, first_seen, last_seen, count, first_success, last_success, success_count) VALUES',
        8,
        `ON CONFLICT (user_id, country) DO UPDATE SET first_seen = excluded.first_seen, last_seen = excluded.last_seen,
          count = excluded.count, first_success = excluded.first_success, last_success = excluded.last_success,
          success_count = excluded.success_count`,
      ),
      session: new BatchedUpsert(
        db,
        'INSERT INTO sessions (user_id, session_id, first_seen, last_seen, count) VALUES',
        5,
        `ON CONFLICT (user_id, session_id) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen),
          last_seen = max(last_seen, excluded.last_seen), count = count + excluded.count`,
      ),
      sessionIp: new BatchedUpsert(
        db,
        'INSERT INTO session_ips (user_id, session_id, ip, first_seen, last_seen, count) VALUES',
        6,
        `ON CONFLICT (user_id, session_id, ip) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen),
          last_seen = max(last_seen, excluded.last_seen), count = count + excluded.count`,
      ),
      activity: new BatchedUpsert(
        db,
        'INSERT INTO user_activity (user_id, hour, ip, country, events, failures) VALUES',
        6,
        'ON CONFLICT (user_id, hour, ip) DO UPDATE SET events = events + excluded.events, failures = failures + excluded.failures',
      ),
      // Users newly counted per place (a network, an ASN, a country): added to the stored counts.
      organisation: new BatchedUpsert(db, 'INSERT INTO organisation_counts (kind, value, users) VALUES', 3, 'ON CONFLICT (kind, value) DO UPDATE SET users = users + excluded.users'),
    };
  }

  /** Writes `h` inside the caller's transaction. */
  write(h: HistoryWrites): void {
    const r = this.rows;
    const all = [r.address, r.country, r.session, r.sessionIp, r.activity, r.organisation];
    const sink = new RowSink(this.stmt, r);
    try {
      if (h.writeTo !== undefined) h.writeTo(sink);
      else writeRows(h, sink);
      let takenBack = false;
      for (const c of h.organisation ?? []) {
        r.organisation.add(c.kind, c.value, c.users);
        if (c.users < 0) takenBack = true;
      }
      for (const b of all) b.flush();
      // A place whose last user was taken back (an address no longer learnt) leaves the counts.
      if (takenBack) this.stmt.dropEmptyOrganisationCounts.run();
    } catch (err) {
      // The transaction is rolled back: so are the rows held for it.
      for (const b of all) b.discard();
      throw err;
    }
  }
}

type WriterStatements = SqliteHistoryWriter['stmt'];
type WriterRows = SqliteHistoryWriter['rows'];

/**
 * One commit's rows into the statements: each user found by key and DN and updated, or
 * inserted (their number keys the rows that follow), and the rows of users already given,
 * many to a statement.
 */
class RowSink implements HistoryRowSink {
  /** Each user's number, for the rows of theirs this commit writes (their user row is in it too). */
  private readonly ids = new Map<string, number>();

  constructor(
    private readonly q: WriterStatements,
    private readonly r: WriterRows,
  ) {}

  user(u: UserRowFields, countsJson: string, isNew: boolean): void {
    const q = this.q;
    const lastGeo = u.lastGeo === null ? null : JSON.stringify(u.lastGeo);
    const key = dnKeyOfUser(u.dn, u.dnSha1);
    // A user history met for the first time, after the store gave nothing back for their DN,
    // is not looked up again: 1,000,000 new users spent 2 s of 70 finding nobody here.
    let id = isNew ? undefined : (q.userId.get(key, u.dn) as number | undefined);
    if (id === undefined) id = Number(q.insertUser.run(u.dn, key, u.dnSha1, u.firstSeen, u.lastSeen, countsJson, u.successCount, u.firstSuccess, u.lastSuccess, lastGeo).lastInsertRowid);
    else q.updateUser.run(u.firstSeen, u.lastSeen, countsJson, u.successCount, u.firstSuccess, u.lastSuccess, lastGeo, id);
    this.ids.set(u.dn, id);
  }

  address(dn: string, a: AddressRecord): void {
    this.r.address.add(this.idOf(dn), a.ip, a.country, a.firstSeen, a.lastSeen, a.count, a.firstSuccess, a.lastSuccess, a.successCount, a.net, a.asn, a.asOrg, a.learnt ? 1 : 0, a.quarantinedBy);
  }

  country(dn: string, c: CountryTotals): void {
    this.r.country.add(this.idOf(dn), c.country, c.firstSeen, c.lastSeen, c.count, c.firstSuccess, c.lastSuccess, c.successCount);
  }

  session(dn: string, s: SessionCounts): void {
    this.r.session.add(this.idOf(dn), s.sessionId, s.first, s.last, s.count);
  }

  sessionIp(dn: string, sessionId: string, span: SessionSpanCounts): void {
    this.r.sessionIp.add(this.idOf(dn), sessionId, span.ip, span.first, span.last, span.count);
  }

  activity(dn: string, a: Omit<ActivityWrite, 'dn'>): void {
    this.r.activity.add(this.idOf(dn), a.hour, a.ip, a.country, a.events, a.failures);
  }

  private idOf(dn: string): number {
    return this.ids.get(dn) ?? this.storedUserId(dn);
  }

  /**
   * The number of a user whose rows a commit writes without their user row (history always
   * writes both; a caller that does not is refused rather than given rows of nobody's).
   */
  private storedUserId(dn: string): number {
    const id = this.q.userId.get(dnKeyOf(dn), dn) as number | undefined;
    if (id === undefined) throw new Error(`history rows for ${JSON.stringify(dn)}, who has no user row`);
    this.ids.set(dn, id);
    return id;
  }
}

/** Rows handed over as copies (a store's tests, or a batch built by hand): users first, then each kind of row. */
function writeRows(h: HistoryWrites, sink: HistoryRowSink): void {
  for (const u of h.users) sink.user(u, JSON.stringify(u.counts), u.isNew === true);
  for (const a of h.addresses) sink.address(a.dn, a);
  for (const c of h.countries) sink.country(c.dn, c);
  for (const s of h.sessions) {
    sink.session(s.dn, s);
    for (const ip of s.ips) sink.sessionIp(s.dn, s.sessionId, ip);
  }
  for (const a of h.activity) sink.activity(a.dn, a);
}
