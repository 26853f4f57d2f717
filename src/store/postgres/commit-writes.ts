import type pg from 'pg';
import type { AlertUpdate, StoredAlert } from '../../core/alerts.js';
import type { ActivityWrite, LogoutWrite, SessionWrite } from '../../core/history.js';
import type { CommitBatch } from '../../core/ports.js';
import { columnsOf, keyOf, lastByKey, mergeByKey, unnestOf } from './bulk.js';
import { addedEvidenceJson, appendedEvidenceSql } from '../rows.js';
import { confirmable, confirmationOf } from '../confirmation-sql.js';
import { DROP_EMPTY_ORGANISATION_COUNTS, RECOUNT_ORGANISATION } from '../organisation-sql.js';

/**
 * The statements of one commit on PostgreSQL, each table written by one multi-row statement
 * (see bulk.ts), with the same upsert rules as the SQLite store (pipeline-store.ts there):
 * users, addresses and countries replace what is stored; sessions and hourly activity add to
 * it; alerts are inserted once (a second insert of the same id is no new alert).
 */

const n = (v: number | null | undefined) => (v === undefined ? null : v);

/** History, quarantine releases and detector state. */
export async function writeHistoryAndState(c: pg.ClientBase, b: CommitBatch): Promise<void> {
  const h = b.history;
  // Each user's number, from the upsert: it keys their other rows (schema version 13). One
  // statement for every user, new (UserWrite.isNew) or not: its unique DN index finds them.
  const ids = new Map<string, number>();
  if (h.users.length > 0) {
    const rows = lastByKey(h.users, (u) => u.dn);
    const written = await c.query<{ id: number; dn: string }>(
      `INSERT INTO users (dn, dn_sha1, first_seen, last_seen, counts, success_count, first_success, last_success, last_geo)
       SELECT * FROM ${unnestOf(['text', 'text', 'bigint', 'bigint', 'text', 'bigint', 'bigint', 'bigint', 'text'])}
       ON CONFLICT (dn) DO UPDATE SET first_seen = excluded.first_seen, last_seen = excluded.last_seen, counts = excluded.counts,
         success_count = excluded.success_count, first_success = excluded.first_success, last_success = excluded.last_success, last_geo = excluded.last_geo
       RETURNING id, dn`,
      columnsOf(rows, [(u) => u.dn, (u) => u.dnSha1, (u) => u.firstSeen, (u) => u.lastSeen, (u) => JSON.stringify(u.counts), (u) => u.successCount, (u) => u.firstSuccess, (u) => u.lastSuccess, (u) => (u.lastGeo === null ? null : JSON.stringify(u.lastGeo))]),
    );
    for (const r of written.rows) ids.set(r.dn, Number(r.id));
  }
  const idOf = await storedUserIds(c, ids, [h.addresses, h.countries, h.sessions, h.activity]);
  if (h.addresses.length > 0) {
    const rows = lastByKey(h.addresses, (a) => keyOf(a.dn, a.ip));
    await c.query(
      `INSERT INTO user_ips (user_id, ip, country, first_seen, last_seen, count, first_success, last_success, success_count, net, asn, as_org, learnt, quarantined_by)
       SELECT * FROM ${unnestOf(['bigint', 'text', 'text', 'bigint', 'bigint', 'bigint', 'bigint', 'bigint', 'bigint', 'text', 'bigint', 'text', 'int', 'text'])}
       ON CONFLICT (user_id, ip) DO UPDATE SET country = excluded.country, first_seen = excluded.first_seen, last_seen = excluded.last_seen,
         count = excluded.count, first_success = excluded.first_success, last_success = excluded.last_success, success_count = excluded.success_count,
         net = excluded.net, asn = excluded.asn, as_org = excluded.as_org, learnt = excluded.learnt, quarantined_by = excluded.quarantined_by`,
      columnsOf(rows, [(a) => idOf(a.dn), (a) => a.ip, (a) => a.country, (a) => a.firstSeen, (a) => a.lastSeen, (a) => a.count, (a) => a.firstSuccess, (a) => a.lastSuccess, (a) => a.successCount, (a) => a.net, (a) => n(a.asn), (a) => a.asOrg, (a) => (a.learnt ? 1 : 0), (a) => a.quarantinedBy]),
    );
  }
  if (h.countries.length > 0) {
    const rows = lastByKey(h.countries, (x) => keyOf(x.dn, x.country));
    await c.query(
      `INSERT INTO user_countries (user_id, country, first_seen, last_seen, count, first_success, last_success, success_count)
       SELECT * FROM ${unnestOf(['bigint', 'text', 'bigint', 'bigint', 'bigint', 'bigint', 'bigint', 'bigint'])}
       ON CONFLICT (user_id, country) DO UPDATE SET first_seen = excluded.first_seen, last_seen = excluded.last_seen, count = excluded.count,
         first_success = excluded.first_success, last_success = excluded.last_success, success_count = excluded.success_count`,
      columnsOf(rows, [(x) => idOf(x.dn), (x) => x.country, (x) => x.firstSeen, (x) => x.lastSeen, (x) => x.count, (x) => x.firstSuccess, (x) => x.lastSuccess, (x) => x.successCount]),
    );
  }
  await writeSessions(c, h.sessions, idOf);
  await writeActivity(c, h.activity, idOf);
  await confirmEndSessions(c, h.logouts ?? []);
  const counted = h.organisation ?? [];
  if (counted.length > 0) {
    // One row per place (the counts are summed in memory), so one statement adds them all.
    await c.query(
      `INSERT INTO organisation_counts (kind, value, users) SELECT * FROM ${unnestOf(['text', 'text', 'bigint'])}
       ON CONFLICT (kind, value) DO UPDATE SET users = organisation_counts.users + excluded.users`,
      columnsOf(counted, [(o) => o.kind, (o) => o.value, (o) => o.users]),
    );
    if (counted.some((o) => o.users < 0)) await c.query(DROP_EMPTY_ORGANISATION_COUNTS);
  }
  if (b.releases.length > 0) {
    await c.query(`UPDATE user_ips SET learnt = (success_count > 0)::int, quarantined_by = NULL WHERE quarantined_by = ANY($1::text[])`, [b.releases]);
    // Addresses learnt in the store by a benign close (their user may not be in memory): counted again. Rare.
    for (const sql of RECOUNT_ORGANISATION) await c.query(sql);
  }
  const puts = lastByKey(b.state.puts, (s) => keyOf(s.scope, s.key));
  if (puts.length > 0) {
    await c.query(
      `INSERT INTO detector_state (scope, key, state, expires) SELECT * FROM ${unnestOf(['text', 'text', 'text', 'bigint'])}
       ON CONFLICT (scope, key) DO UPDATE SET state = excluded.state, expires = excluded.expires`,
      columnsOf(puts, [(s) => s.scope, (s) => s.key, (s) => s.state, (s) => s.expires]),
    );
  }
  if (b.state.deletes.length > 0) {
    await c.query(
      `DELETE FROM detector_state d USING ${unnestOf(['text', 'text'])} AS x(scope, key) WHERE d.scope = x.scope AND d.key = x.key`,
      columnsOf(b.state.deletes, [(s) => s.scope, (s) => s.key]),
    );
  }
  if (b.state.expiredBefore !== null) await c.query('DELETE FROM detector_state WHERE expires IS NOT NULL AND expires < $1', [b.state.expiredBefore]);
}

/**
 * The numbers of the users whose rows a commit writes, `ids` (from the users' upsert) and, for
 * a row whose user row is not in the commit (history always writes both), the stored number;
 * a row of nobody stored is refused rather than written as nobody's.
 */
async function storedUserIds(c: pg.ClientBase, ids: Map<string, number>, tables: ReadonlyArray<ReadonlyArray<{ dn: string }>>): Promise<(dn: string) => number> {
  const missing = new Set<string>();
  for (const rows of tables) for (const r of rows) if (!ids.has(r.dn)) missing.add(r.dn);
  if (missing.size > 0) {
    for (const r of (await c.query<{ id: number; dn: string }>('SELECT id, dn FROM users WHERE dn = ANY($1::text[])', [[...missing]])).rows) ids.set(r.dn, Number(r.id));
  }
  return (dn) => {
    const id = ids.get(dn);
    if (id === undefined) throw new Error(`history rows for ${JSON.stringify(dn)}, who has no user row`);
    return id;
  };
}

async function writeSessions(c: pg.ClientBase, sessions: readonly SessionWrite[], idOf: (dn: string) => number): Promise<void> {
  if (sessions.length === 0) return;
  const merged = mergeByKey(sessions, (s) => keyOf(s.sessionId, s.dn), (a, b) => ({ ...a, first: Math.min(a.first, b.first), last: Math.max(a.last, b.last), count: a.count + b.count, ips: [...a.ips, ...b.ips] }));
  await c.query(
    `INSERT INTO sessions (user_id, session_id, first_seen, last_seen, count) SELECT * FROM ${unnestOf(['bigint', 'text', 'bigint', 'bigint', 'bigint'])}
     ON CONFLICT (user_id, session_id) DO UPDATE SET first_seen = LEAST(sessions.first_seen, excluded.first_seen),
       last_seen = GREATEST(sessions.last_seen, excluded.last_seen), count = sessions.count + excluded.count`,
    columnsOf(merged, [(s) => idOf(s.dn), (s) => s.sessionId, (s) => s.first, (s) => s.last, (s) => s.count]),
  );
  const ips = mergeByKey(
    merged.flatMap((s) => s.ips.map((ip) => ({ sessionId: s.sessionId, dn: s.dn, ...ip }))),
    (x) => keyOf(x.sessionId, x.dn, x.ip),
    (a, b) => ({ ...a, first: Math.min(a.first, b.first), last: Math.max(a.last, b.last), count: a.count + b.count }),
  );
  if (ips.length === 0) return;
  await c.query(
    `INSERT INTO session_ips (user_id, session_id, ip, first_seen, last_seen, count) SELECT * FROM ${unnestOf(['bigint', 'text', 'text', 'bigint', 'bigint', 'bigint'])}
     ON CONFLICT (user_id, session_id, ip) DO UPDATE SET first_seen = LEAST(session_ips.first_seen, excluded.first_seen),
       last_seen = GREATEST(session_ips.last_seen, excluded.last_seen), count = session_ips.count + excluded.count`,
    columnsOf(ips, [(x) => idOf(x.dn), (x) => x.sessionId, (x) => x.ip, (x) => x.first, (x) => x.last, (x) => x.count]),
  );
}

/** The end-session actions the commit's logout lines confirm, in one statement: each by the first line (in the order read) whose window holds it, as SQLite's statement per line does. */
async function confirmEndSessions(c: pg.ClientBase, logouts: readonly LogoutWrite[]): Promise<void> {
  if (logouts.length === 0) return;
  const rows = logouts.map(confirmationOf);
  await c.query(
    `UPDATE actions SET confirmed = m.confirmed FROM (
       SELECT DISTINCT ON (a.id) a.id, l.confirmed FROM actions a
       JOIN ${unnestOf(['text', 'text', 'bigint', 'bigint'])} WITH ORDINALITY AS l(confirmed, dn, "from", "to", n) ON a.dn = l.dn AND a.created_at BETWEEN l."from" AND l."to"
       WHERE ${confirmable('a')}
       ORDER BY a.id, l.n) m
     WHERE actions.id = m.id`,
    columnsOf(rows, [(r) => r.confirmed, (r) => r.dn, (r) => r.from, (r) => r.to]),
  );
}

async function writeActivity(c: pg.ClientBase, activity: readonly ActivityWrite[], idOf: (dn: string) => number): Promise<void> {
  if (activity.length === 0) return;
  // The same hour can come twice when the log goes back in time: deltas add up (the first country stays, as on SQLite).
  const rows = mergeByKey(activity, (a) => keyOf(a.dn, a.hour, a.ip), (a, b) => ({ ...a, events: a.events + b.events, failures: a.failures + b.failures }));
  await c.query(
    `INSERT INTO user_activity (user_id, hour, ip, country, events, failures) SELECT * FROM ${unnestOf(['bigint', 'bigint', 'text', 'text', 'bigint', 'bigint'])}
     ON CONFLICT (user_id, hour, ip) DO UPDATE SET events = user_activity.events + excluded.events, failures = user_activity.failures + excluded.failures`,
    columnsOf(rows, [(a) => idOf(a.dn), (a) => a.hour, (a) => a.ip, (a) => a.country, (a) => a.events, (a) => a.failures]),
  );
}

/**
 * Inserts alerts not stored yet (in order: their `seq` is the order they were raised in);
 * returns the ids inserted. `ownAlerts`: alerts ouwatch raises itself (the breaker's), stored
 * as SQLite's AlertStore stores them (no evidence total when the evidence holds every line).
 */
export async function insertAlerts(c: pg.ClientBase, alerts: readonly StoredAlert[], now: number, ownAlerts = false): Promise<Set<string>> {
  if (alerts.length === 0) return new Set();
  const r = await c.query<{ id: string }>(
    `INSERT INTO alerts (id, rule, severity, time, last_time, count, dn, dn_sha1, ip, country, reason, evidence, status, respond, response, risk, evidence_total, suppress_key, created_at)
     SELECT id, rule, severity, time, last_time, count, dn, dn_sha1, ip, country, reason, evidence, status, respond, response, risk, evidence_total, suppress_key, $19
     FROM ${unnestOf(['text', 'text', 'text', 'bigint', 'bigint', 'bigint', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'int', 'text', 'bigint', 'bigint', 'text'])}
       WITH ORDINALITY AS a(id, rule, severity, time, last_time, count, dn, dn_sha1, ip, country, reason, evidence, status, respond, response, risk, evidence_total, suppress_key, ord)
     ORDER BY ord
     ON CONFLICT (id) DO NOTHING RETURNING id`,
    [
      ...columnsOf(alerts, [
        (a) => a.id, (a) => a.rule, (a) => a.severity, (a) => Date.parse(a.time), (a) => Date.parse(a.lastTime), (a) => a.count, (a) => a.dn, (a) => a.dnSha1, (a) => a.ip,
        (a) => a.country, (a) => a.reason, (a) => JSON.stringify(a.evidence), (a) => a.status, (a) => (a.respond ? 1 : 0), (a) => (a.response === null ? null : JSON.stringify(a.response)),
        (a) => a.risk, (a) => (ownAlerts && a.evidenceTotal <= a.evidence.length ? null : a.evidenceTotal), (a) => a.suppressKey ?? null,
      ]),
      now,
    ],
  );
  return new Set(r.rows.map((x) => x.id));
}

/** Repeats counted on open alerts (count, latest time, evidence). */
export async function updateAlerts(c: pg.ClientBase, alerts: readonly AlertUpdate[]): Promise<void> {
  if (alerts.length === 0) return;
  // One row per alert: the lines of several updates of one alert are appended in order.
  const rows = mergeByKey(alerts, (a) => a.id, (a, b) => ({ ...b, evidenceAdded: [...a.evidenceAdded, ...b.evidenceAdded] }));
  await c.query(
    `UPDATE alerts SET count = u.count, last_time = u.last_time, evidence = ${appendedEvidenceSql('alerts.evidence', 'u.added')}, evidence_total = u.evidence_total
     FROM ${unnestOf(['text', 'bigint', 'bigint', 'text', 'bigint'])} AS u(id, count, last_time, added, evidence_total) WHERE alerts.id = u.id`,
    columnsOf(rows, [(a) => a.id, (a) => a.count, (a) => Date.parse(a.lastTime), addedEvidenceJson, (a) => a.evidenceTotal]),
  );
}

/** Incidents (new ones open; known ones get severity, risk, latest time and rules, never their status) and the alerts that joined them. */
export async function writeIncidents(c: pg.ClientBase, b: CommitBatch, now: number): Promise<void> {
  if (b.incidents.length === 0 && b.incidentLinks.length === 0) return;
  const rows = lastByKey(b.incidents, (i) => i.id);
  await c.query(
    `INSERT INTO incidents (id, key, dn, ip, status, severity, risk, first_time, last_time, rules, created_at, updated_at, closed_benign)
     SELECT id, key, dn, ip, 'open', severity, risk, first_time, last_time, rules, $10, $10, 0
     FROM ${unnestOf(['text', 'text', 'text', 'text', 'text', 'float8', 'bigint', 'bigint', 'text'])} AS x(id, key, dn, ip, severity, risk, first_time, last_time, rules)
     ON CONFLICT (id) DO UPDATE SET severity = excluded.severity, risk = excluded.risk, last_time = excluded.last_time, rules = excluded.rules, updated_at = excluded.updated_at`,
    [
      ...columnsOf(rows, [(i) => i.id, (i) => i.key, (i) => i.dn, (i) => i.ip, (i) => i.severity, (i) => i.risk, (i) => Date.parse(i.firstTime), (i) => Date.parse(i.lastTime), (i) => JSON.stringify(i.rules)]),
      now,
    ],
  );
  if (b.incidentLinks.length === 0) return;
  await c.query(
    `INSERT INTO incident_alerts (incident_id, alert_id) SELECT * FROM ${unnestOf(['text', 'text'])} ON CONFLICT DO NOTHING`,
    columnsOf(b.incidentLinks, [(l) => l.incident, (l) => l.alert]),
  );
}

/** Every input's position, with the state it produced. */
export async function writePositions(c: pg.ClientBase, b: Pick<CommitBatch, 'positions'>, now: number): Promise<void> {
  const files = b.positions.flatMap((p) => (p.identity.kind === 'file' ? [{ id: p.identity, pos: p.position }] : []));
  if (files.length > 0) {
    const rows = lastByKey(files, (f) => f.id.fingerprint);
    await c.query(
      `INSERT INTO checkpoints (fingerprint, path, "offset", line_no, dev, ino, updated_at, tail_hash, hash_offset)
       SELECT fingerprint, path, off, line_no, dev, ino, $9, tail_hash, hash_offset
       FROM ${unnestOf(['text', 'text', 'bigint', 'bigint', 'bigint', 'bigint', 'text', 'bigint'])} AS x(fingerprint, path, off, line_no, dev, ino, tail_hash, hash_offset)
       ON CONFLICT (fingerprint) DO UPDATE SET path = excluded.path, "offset" = excluded."offset", line_no = excluded.line_no, dev = excluded.dev,
         ino = excluded.ino, updated_at = excluded.updated_at, tail_hash = coalesce(excluded.tail_hash, checkpoints.tail_hash),
         hash_offset = CASE WHEN excluded.tail_hash IS NULL THEN checkpoints.hash_offset ELSE excluded.hash_offset END`,
      [
        ...columnsOf(rows, [(f) => f.id.fingerprint, (f) => f.id.path, (f) => f.pos.offset, (f) => f.pos.lineNo, (f) => f.id.dev, (f) => f.id.ino, (f) => f.pos.tailHash, (f) => (f.pos.tailHash === null ? null : f.pos.hashOffset)]),
        now,
      ],
    );
  }
  const streams = b.positions.flatMap((p) => (p.identity.kind === 'stream' && p.position.stamp !== null ? [{ key: p.identity.key, origin: p.origin, pos: p.position, stamp: p.position.stamp }] : []));
  if (streams.length > 0) {
    const rows = lastByKey(streams, (s) => s.key);
    await c.query(
      `INSERT INTO stream_positions (stream, origin, last_time, at_last_time, line_no, updated_at)
       SELECT stream, origin, last_time, at_last_time, line_no, $5 FROM ${unnestOf(['text', 'text', 'text', 'bigint', 'bigint'])} AS x(stream, origin, last_time, at_last_time, line_no)
       ON CONFLICT (stream) DO UPDATE SET origin = excluded.origin, last_time = excluded.last_time, at_last_time = excluded.at_last_time,
         line_no = excluded.line_no, updated_at = excluded.updated_at`,
      [...columnsOf(rows, [(s) => s.key, (s) => s.origin, (s) => s.stamp, (s) => s.pos.offset, (s) => s.pos.lineNo]), now],
    );
  }
}
