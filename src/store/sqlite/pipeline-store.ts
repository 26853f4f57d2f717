import type { AlertStatus, StoredAlert } from '../../core/alerts.js';
import type { AddressRecord, OrganisationCount, UserRecord } from '../../core/history.js';
import { organisationQueries, RECOUNT_ORGANISATION } from '../organisation-sql.js';
import type { StoredIncident } from '../../core/incidents.js';
import type { InputPosition } from '../../core/inputs.js';
import type { CommitBatch, CommitHook, FileCheckpoint, PipelineStore, StateRow, StatusChanges } from '../../core/ports.js';
import { CONFIRM_END_SESSIONS_SQLITE, confirmationOf } from '../confirmation-sql.js';
import { SqliteCommitEffects } from './commit-effects.js';
import type { Db } from './database.js';
import { SqliteHistoryWriter } from './history-writes.js';
import { dnKeyOf } from './user-key.js';
import { addedEvidenceJson, alertFromRow, appendedEvidenceSql, checkpointFromRow, openIncidentFromRow, type AlertRow, type CheckpointRow, type IncidentRow } from '../rows.js';
import { addressesOfUsersSql, addressFromRow, countriesOfUsersSql, idsLoadedInPart, usersFromRows, withCountryTotals, type AddressRow, type CountryTotalsRow, type LoadedAddressRow, type UserRow } from '../user-rows.js';

/** DNs per lookup query (SQLite's default limit on bound parameters is far above). */
const CHUNK = 500;

/**
 * The SQLite side of the ingest pipeline: users loaded in batches, detection's state at
 * start-up, and one transaction per commit that writes history, detector state, alerts,
 * incidents, the hooks' outbox rows and every input's position together. A process killed at
 * any moment restarts from positions that match its state exactly.
 */
export class SqlitePipelineStore implements PipelineStore {
  private readonly stmt;
  private readonly usersIn = new Map<number, ReturnType<Db['prepare']>>();
  private readonly addressesIn = new Map<number, ReturnType<Db['prepare']>>();
  private readonly pairsIn = new Map<number, ReturnType<Db['prepare']>>();
  private readonly countriesIn = new Map<number, ReturnType<Db['prepare']>>();
  private effects: SqliteCommitEffects | null = null;
  private readonly history: SqliteHistoryWriter;
  /** A transaction is synchronous: commit() has written the batch when its call returns. */
  readonly writesWithinCall = true;

  /**
   * `fence`: runs first in every commit transaction and throws to refuse it (the writer lease
   * is renewed there: a process that lost it cannot commit).
   */
  constructor(
    private readonly db: Db,
    private readonly opts: { fence?: () => void } = {},
  ) {
    this.history = new SqliteHistoryWriter(db);
    this.stmt = {
      anyUser: db.prepare('SELECT EXISTS (SELECT 1 FROM users)').pluck(),
      confirmEndSessions: db.prepare(CONFIRM_END_SESSIONS_SQLITE),
      releaseQuarantine: db.prepare(`UPDATE user_ips SET learnt = (success_count > 0), quarantined_by = NULL WHERE quarantined_by = ?`),
      quarantinedOf: db.prepare('SELECT u.dn, a.* FROM users u JOIN user_ips a ON a.user_id = u.id WHERE u.dn_key = ? AND u.dn = ? AND a.quarantined_by = ?'),
      recountOrganisation: RECOUNT_ORGANISATION.map((sql) => db.prepare(sql)),
      releaseBenign: db.prepare(`UPDATE user_ips SET learnt = (success_count > 0), quarantined_by = NULL
        WHERE quarantined_by IN (SELECT id FROM alerts WHERE closed_benign = 1)`),
      putState: db.prepare(`INSERT INTO detector_state (scope, key, state, expires) VALUES (?, ?, ?, ?)
        ON CONFLICT (scope, key) DO UPDATE SET state = excluded.state, expires = excluded.expires`),
      deleteState: db.prepare('DELETE FROM detector_state WHERE scope = ? AND key = ?'),
      deleteExpired: db.prepare('DELETE FROM detector_state WHERE expires IS NOT NULL AND expires < ?'),
      allState: db.prepare('SELECT scope, key, state, expires FROM detector_state'),
      insertAlert: db.prepare(`
        INSERT INTO alerts (id, rule, severity, time, last_time, count, dn, dn_sha1, ip, country, reason, evidence, status, respond, response, created_at, risk, evidence_total, suppress_key)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (id) DO NOTHING`),
      updateAlert: db.prepare(
        `UPDATE alerts SET count = @count, last_time = @lastTime, evidence = ${appendedEvidenceSql('evidence', '@added')}, evidence_total = @total WHERE id = @id`,
      ),
      latestAlert: db.prepare('SELECT max(time) FROM alerts').pluck(),
      openAlerts: db.prepare(`SELECT * FROM alerts WHERE status != 'closed' AND time >= ?`),
      alertVersion: db.prepare('SELECT coalesce(max(seq), 0) FROM alert_status_changes').pluck(),
      incidentVersion: db.prepare('SELECT coalesce(max(seq), 0) FROM incident_status_changes').pluck(),
      alertChanges: db.prepare(`
        SELECT a.id, a.rule, a.dn, a.ip, a.suppress_key, a.status, a.closed_benign, max(c.seq) AS seq FROM alert_status_changes c
        JOIN alerts a ON a.id = c.alert_id WHERE c.seq > ? GROUP BY a.id`),
      incidentChanges: db.prepare(`
        SELECT i.id, i.key, i.status, max(c.seq) AS seq FROM incident_status_changes c
        JOIN incidents i ON i.id = c.incident_id WHERE c.seq > ? GROUP BY i.id`),
      openIncidents: db.prepare(`SELECT * FROM incidents WHERE status != 'closed'`),
      // How many alerts each open incident has (their ids stay in the store: openIncidentFromRow in store/rows.ts).
      openIncidentAlertCounts: db.prepare(`SELECT incident_id, count(*) AS n FROM incident_alerts
        WHERE incident_id IN (SELECT id FROM incidents WHERE status != 'closed') GROUP BY incident_id`),
      upsertIncident: db.prepare(`
        INSERT INTO incidents (id, key, dn, ip, status, severity, risk, first_time, last_time, rules, created_at, updated_at, closed_benign)
        VALUES (?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, 0)
        ON CONFLICT (id) DO UPDATE SET severity = excluded.severity, risk = excluded.risk, last_time = excluded.last_time,
          rules = excluded.rules, updated_at = excluded.updated_at`),
      linkAlert: db.prepare('INSERT OR IGNORE INTO incident_alerts (incident_id, alert_id) VALUES (?, ?)'),
      checkpoint: db.prepare('SELECT * FROM checkpoints WHERE fingerprint = ?'),
      allCheckpoints: db.prepare('SELECT * FROM checkpoints ORDER BY updated_at DESC'),
      putCheckpoint: db.prepare(`
        INSERT INTO checkpoints (fingerprint, path, offset, line_no, dev, ino, updated_at, tail_hash, hash_offset) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (fingerprint) DO UPDATE SET path = excluded.path, offset = excluded.offset, line_no = excluded.line_no,
          dev = excluded.dev, ino = excluded.ino, updated_at = excluded.updated_at,
          tail_hash = coalesce(excluded.tail_hash, tail_hash), hash_offset = CASE WHEN excluded.tail_hash IS NULL THEN hash_offset ELSE excluded.hash_offset END`),
      streamPosition: db.prepare('SELECT * FROM stream_positions WHERE stream = ?'),
      putStream: db.prepare(`
        INSERT INTO stream_positions (stream, origin, last_time, at_last_time, line_no, updated_at) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (stream) DO UPDATE SET origin = excluded.origin, last_time = excluded.last_time,
          at_last_time = excluded.at_last_time, line_no = excluded.line_no, updated_at = excluded.updated_at`),
    };
  }

  async hasUsers(): Promise<boolean> {
    return this.stmt.anyUser.get() === 1;
  }

  async loadUsers(dns: readonly string[], recentOthers: number): Promise<UserRecord[]> {
    const out: UserRecord[] = [];
    for (let i = 0; i < dns.length; i += CHUNK) {
      const part = dns.slice(i, i + CHUNK);
      // By key, then the DN: a key another DN shares finds that user too (user-key.ts).
      const wanted = new Set(part);
      const users = (this.inQuery(this.usersIn, 'SELECT * FROM users WHERE dn_key IN', part.length).all(part.map(dnKeyOf)) as UserRow[]).filter((u) => wanted.has(u.dn));
      if (users.length === 0) continue;
      const found = users.map((u) => u.id);
      let s = this.addressesIn.get(found.length);
      if (s === undefined) {
        s = this.db.prepare(addressesOfUsersSql(`IN (${Array(found.length).fill('?').join(', ')})`, '?'));
        this.addressesIn.set(found.length, s);
      }
      const addresses = s.all([...found, recentOthers]) as LoadedAddressRow[];
      const records = usersFromRows(users, addresses);
      const partial = idsLoadedInPart(users, records);
      if (partial.length > 0) {
        let c = this.countriesIn.get(partial.length);
        if (c === undefined) this.countriesIn.set(partial.length, (c = this.db.prepare(countriesOfUsersSql(`IN (${Array(partial.length).fill('?').join(', ')})`))));
        const countries = c.all(partial) as CountryTotalsRow[];
        withCountryTotals(records, users, countries);
      }
      for (const u of records) out.push(u);
    }
    return out;
  }

  async loadAddresses(pairs: ReadonlyArray<{ dn: string; ip: string }>): Promise<Array<AddressRecord & { dn: string }>> {
    const out: Array<AddressRecord & { dn: string }> = [];
    for (let i = 0; i < pairs.length; i += CHUNK) {
      const part = pairs.slice(i, i + CHUNK);
      let s = this.pairsIn.get(part.length);
      if (s === undefined) {
        // The pairs as a table that drives the join: each is found by the users' key index and user_ips' key.
        s = this.db.prepare(
          `WITH p(k, dn, ip) AS (VALUES ${Array(part.length).fill('(?, ?, ?)').join(', ')})
           SELECT u.dn, a.* FROM p CROSS JOIN users u CROSS JOIN user_ips a WHERE u.dn_key = p.k AND u.dn = p.dn AND a.user_id = u.id AND a.ip = p.ip`,
        );
        this.pairsIn.set(part.length, s);
      }
      for (const r of s.all(part.flatMap((x) => [dnKeyOf(x.dn), x.dn, x.ip])) as AddressRow[]) out.push({ dn: r.dn, ...addressFromRow(r) });
    }
    return out;
  }

  async loadQuarantined(dn: string, alertId: string): Promise<AddressRecord[]> {
    return (this.stmt.quarantinedOf.all(dnKeyOf(dn), dn, alertId) as AddressRow[]).map(addressFromRow);
  }

  async loadOrganisation(limit: number): Promise<OrganisationCount[]> {
    const out: OrganisationCount[] = [];
    for (const q of organisationQueries('?')) {
      for (const r of this.db.prepare(q.sql).all(limit) as Array<{ value: string; users: number }>) out.push({ kind: q.kind, value: r.value, users: r.users });
    }
    return out;
  }

  async loadDetection(takeOpenAlert: (a: StoredAlert) => void): Promise<{ state: StateRow[]; openIncidents: StoredIncident[]; statusVersion: number }> {
    const state = this.stmt.allState.all() as StateRow[];
    const latest = this.stmt.latestAlert.get() as number | null;
    // Repeats are counted within a rule's suppression window (a day or a few): alerts older
    // than a week before the newest cannot take any.
    // Row by row, as detection takes them.
    if (latest !== null) for (const r of this.stmt.openAlerts.iterate(latest - 7 * 86_400_000) as IterableIterator<AlertRow>) takeOpenAlert(alertFromRow(r));
    const counts = new Map((this.stmt.openIncidentAlertCounts.all() as Array<{ incident_id: string; n: number }>).map((r) => [r.incident_id, r.n] as const));
    const openIncidents = (this.stmt.openIncidents.all() as IncidentRow[]).map((r) => openIncidentFromRow(r, counts.get(r.id) ?? 0));
    return { state, openIncidents, statusVersion: this.version() };
  }

  /**
   * At the start of a writer: addresses kept from being learnt by alerts closed as benign while
   * no pipeline ran are learnt now (a running one notices the verdicts as status changes).
   */
  releaseBenignVerdicts(): number {
    return this.db.transaction(() => {
      const n = this.stmt.releaseBenign.run().changes;
      // The addresses learnt now count towards the organisation: counted again. Rare.
      if (n > 0) for (const s of this.stmt.recountOrganisation) s.run();
      return n;
    })();
  }

  async statusChangesSince(version: number): Promise<StatusChanges> {
    const now = this.version();
    if (now === version) return { version, alerts: [], incidents: [] };
    const [alertSeq, incidentSeq] = splitVersion(version);
    const alerts = (this.stmt.alertChanges.all(alertSeq) as Array<{ id: string; rule: string; dn: string | null; ip: string | null; suppress_key: string | null; status: AlertStatus; closed_benign: number }>).map((r) => ({
      id: r.id,
      rule: r.rule,
      dn: r.dn,
      ip: r.ip,
      suppressKey: r.suppress_key,
      status: r.status,
      benign: r.closed_benign === 1,
    }));
    const incidents = this.stmt.incidentChanges.all(incidentSeq) as Array<{ id: string; key: string; status: AlertStatus }>;
    return { version: now, alerts, incidents };
  }

  async checkpoint(fingerprint: string): Promise<FileCheckpoint | null> {
    const r = this.stmt.checkpoint.get(fingerprint) as CheckpointRow | undefined;
    return r === undefined ? null : checkpointFromRow(r);
  }

  async checkpoints(): Promise<FileCheckpoint[]> {
    return (this.stmt.allCheckpoints.all() as CheckpointRow[]).map(checkpointFromRow);
  }

  async streamPosition(key: string): Promise<InputPosition | null> {
    const r = this.stmt.streamPosition.get(key) as { last_time: string; at_last_time: number; line_no: number } | undefined;
    if (r === undefined) return null;
    return { offset: r.at_last_time, lineNo: r.line_no, tailHash: null, hashOffset: 0, stamp: r.last_time };
  }

  async commit(batch: CommitBatch, hooks: readonly CommitHook[]): Promise<void> {
    this.commitNow(batch, hooks);
  }

  /** The same commit, synchronously (SQLite's transactions are): done when it returns. */
  commitNow(batch: CommitBatch, hooks: readonly CommitHook[]): void {
    this.db.transaction(() => this.write(batch, hooks))();
  }

  private write(b: CommitBatch, hooks: readonly CommitHook[]): void {
    this.opts.fence?.();
    const q = this.stmt;
    const now = Date.now();
    const h = b.history;
    this.history.write(h);
    for (const id of b.releases) q.releaseQuarantine.run(id);
    // Addresses learnt in the store by a benign close (their user may not be in memory): counted again. Rare.
    if (b.releases.length > 0) for (const s of q.recountOrganisation) s.run();
    for (const l of h.logouts ?? []) {
      const c = confirmationOf(l);
      q.confirmEndSessions.run(c.confirmed, c.dn, c.from, c.to);
    }
    for (const s of b.state.puts) q.putState.run(s.scope, s.key, s.state, s.expires);
    for (const s of b.state.deletes) q.deleteState.run(s.scope, s.key);
    if (b.state.expiredBefore !== null) q.deleteExpired.run(b.state.expiredBefore);
    const raised: StoredAlert[] = [];
    for (const a of b.alerts.raised) {
      const stored = q.insertAlert.run(
        a.id, a.rule, a.severity, Date.parse(a.time), Date.parse(a.lastTime), a.count, a.dn, a.dnSha1, a.ip, a.country, a.reason,
        JSON.stringify(a.evidence), a.status, a.respond ? 1 : 0, a.response === null ? null : JSON.stringify(a.response), now, a.risk, a.evidenceTotal,
        a.suppressKey ?? null,
      ).changes === 1;
      // The same line read again after its alert was closed (--from-start) raises nothing new.
      if (stored) raised.push(a);
    }
    for (const a of b.alerts.updated) q.updateAlert.run({ count: a.count, lastTime: Date.parse(a.lastTime), added: addedEvidenceJson(a), total: a.evidenceTotal, id: a.id });
    for (const i of b.incidents) q.upsertIncident.run(i.id, i.key, i.dn, i.ip, i.severity, i.risk, Date.parse(i.firstTime), Date.parse(i.lastTime), JSON.stringify(i.rules), now, now);
    for (const l of b.incidentLinks) q.linkAlert.run(l.incident, l.alert);
    if (hooks.length > 0) {
      const incidents = b.incidentChanges ?? { opened: [], escalated: [] };
      this.effects ??= new SqliteCommitEffects(this.db);
      for (const hook of hooks) hook.run(raised, b.alerts.updated, incidents, this.effects);
    }
    for (const p of b.positions) {
      const id = p.identity;
      const pos = p.position;
      if (id.kind === 'file') q.putCheckpoint.run(id.fingerprint, id.path, pos.offset, pos.lineNo, id.dev, id.ino, now, pos.tailHash, pos.tailHash === null ? null : pos.hashOffset);
      else if (id.kind === 'stream' && pos.stamp !== null) q.putStream.run(id.key, p.origin, pos.stamp, pos.offset, pos.lineNo, now);
    }
    b.alerts.raised = raised;
  }

  /** Alert and incident status changes as one number that only grows. */
  private version(): number {
    const a = this.stmt.alertVersion.get() as number;
    const i = this.stmt.incidentVersion.get() as number;
    return a * 2 ** 26 + i;
  }

  private inQuery(cache: Map<number, ReturnType<Db['prepare']>>, head: string, n: number): ReturnType<Db['prepare']> {
    let s = cache.get(n);
    if (s === undefined) {
      s = this.db.prepare(`${head} (${Array(n).fill('?').join(', ')})`);
      cache.set(n, s);
    }
    return s;
  }
}

function splitVersion(v: number): [number, number] {
  return [Math.floor(v / 2 ** 26), v % 2 ** 26];
}

