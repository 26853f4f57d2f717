import type pg from 'pg';
import type { AlertStatus, StoredAlert } from '../../core/alerts.js';
import type { AddressRecord, OrganisationCount, UserRecord } from '../../core/history.js';
import { organisationQueries, RECOUNT_ORGANISATION } from '../organisation-sql.js';
import { inTransaction } from './review-sql.js';
import type { StoredIncident } from '../../core/incidents.js';
import type { InputPosition } from '../../core/inputs.js';
import type { CommitBatch, CommitHook, FileCheckpoint, PipelineStore, StateRow, StatusChanges } from '../../core/ports.js';
import { PgCommitEffects } from './commit-effects.js';
import { insertAlerts, updateAlerts, writeHistoryAndState, writeIncidents, writePositions } from './commit-writes.js';
import { isUnavailable } from './connection.js';
import { subtractLanded } from './in-doubt.js';
import { alertFromRow, checkpointFromRow, openIncidentFromRow, type AlertRow, type CheckpointRow, type IncidentRow } from '../rows.js';
import { addressesOfUsersSql, addressFromRow, countriesOfUsersSql, idsLoadedInPart, usersFromRows, withCountryTotals, type AddressRow, type CountryTotalsRow, type LoadedAddressRow, type UserRow } from '../user-rows.js';
import type { PgWriter } from './writer.js';

/** Alerts a start reads per query (PostgreSQL): enough to amortise the round trip, few enough to hold. */
export const OPEN_ALERTS_PAGE = 1_000;

/**
 * The PostgreSQL side of the ingest pipeline, as SQLite's (store/sqlite/pipeline-store.ts):
 * users loaded in batches, detection's state at start-up, and one transaction per commit that
 * writes history, detector state, alerts, incidents, the hooks' rows and every input's
 * position together. Reads go through the pool; commits through the writer's connection, which
 * holds the advisory lock (a process that lost it cannot commit: the lock and the transaction
 * live and die with that connection). Each table is written by one multi-row statement.
 */
export class PgPipelineStore implements PipelineStore {
  /** This writer's commits, numbered: a commit whose answer was lost is looked up by number. */
  private seq = 0;
  private inDoubt: { seq: number; batch: CommitBatch; raised: StoredAlert[] } | null = null;
  /** A commit awaits the server, and a batch in doubt is settled by the next as it was: history copies its rows. */
  readonly writesWithinCall = false;

  /** `writer`: null for a reader (`ouwatch explain`), which never commits. */
  constructor(
    private readonly pool: pg.Pool,
    private readonly writer: PgWriter | null,
    private readonly token: string,
  ) {}

  async hasUsers(): Promise<boolean> {
    return (await this.pool.query<{ x: boolean }>('SELECT EXISTS (SELECT 1 FROM users) AS x')).rows[0].x;
  }

  async loadUsers(dns: readonly string[], recentOthers: number): Promise<UserRecord[]> {
    if (dns.length === 0) return [];
    const users = (await this.pool.query<UserRow>('SELECT * FROM users WHERE dn = ANY($1::text[])', [dns])).rows;
    if (users.length === 0) return [];
    const addresses = await this.pool.query<LoadedAddressRow>(`${addressesOfUsersSql('= ANY($1::bigint[])', '$2')} ORDER BY dn, ip`, [users.map((u) => u.id), recentOthers]);
    const records = usersFromRows(users, addresses.rows);
    const partial = idsLoadedInPart(users, records);
    if (partial.length > 0) withCountryTotals(records, users, (await this.pool.query<CountryTotalsRow>(countriesOfUsersSql('= ANY($1::bigint[])'), [partial])).rows);
    return records;
  }

  async loadAddresses(pairs: ReadonlyArray<{ dn: string; ip: string }>): Promise<Array<AddressRecord & { dn: string }>> {
    if (pairs.length === 0) return [];
    const rows = await this.pool.query<AddressRow>(
      `SELECT u.dn, a.* FROM unnest($1::text[], $2::text[]) AS p(dn, ip)
       JOIN users u ON u.dn = p.dn JOIN user_ips a ON a.user_id = u.id AND a.ip = p.ip`,
      [pairs.map((x) => x.dn), pairs.map((x) => x.ip)],
    );
    return rows.rows.map((r) => ({ dn: r.dn, ...addressFromRow(r) }));
  }

  async loadQuarantined(dn: string, alertId: string): Promise<AddressRecord[]> {
    const rows = await this.pool.query<AddressRow>('SELECT u.dn, a.* FROM users u JOIN user_ips a ON a.user_id = u.id WHERE u.dn = $1 AND a.quarantined_by = $2', [dn, alertId]);
    return rows.rows.map(addressFromRow);
  }

  async loadOrganisation(limit: number): Promise<OrganisationCount[]> {
    const out: OrganisationCount[] = [];
    for (const q of organisationQueries('$1')) {
      const rows = (await this.pool.query<{ value: string; users: string }>(q.sql, [limit])).rows;
      for (const r of rows) out.push({ kind: q.kind, value: r.value, users: Number(r.users) });
    }
    return out;
  }

  async loadDetection(takeOpenAlert: (a: StoredAlert) => void): Promise<{ state: StateRow[]; openIncidents: StoredIncident[]; statusVersion: number }> {
    const state = (await this.pool.query<StateRow>('SELECT scope, key, state, expires FROM detector_state ORDER BY scope, key')).rows;
    const latest = (await this.pool.query<{ t: number | null }>('SELECT max(time) AS t FROM alerts')).rows[0].t;
    // As on SQLite: alerts older than a week before the newest cannot take repeats any more.
    // A page at a time in stored order (keyset on seq): a result set of every such alert would be held whole.
    for (let after = 0; latest !== null; ) {
      const page = (
        await this.pool.query<AlertRow & { seq: number }>(`SELECT * FROM alerts WHERE seq > $1 AND status <> 'closed' AND time >= $2 ORDER BY seq LIMIT ${OPEN_ALERTS_PAGE}`, [
          after,
          latest - 7 * 86_400_000,
        ])
      ).rows;
      for (const r of page) takeOpenAlert(alertFromRow(r));
      if (page.length < OPEN_ALERTS_PAGE) break;
      after = page[page.length - 1].seq;
    }
    const incidents = (await this.pool.query<IncidentRow>(`SELECT * FROM incidents WHERE status <> 'closed' ORDER BY created_at, id`)).rows;
    // How many alerts each open incident has; their ids stay in the store (openIncidentFromRow).
    const counts = new Map(
      (
        await this.pool.query<{ incident_id: string; n: number }>('SELECT incident_id, count(*) AS n FROM incident_alerts WHERE incident_id = ANY($1::text[]) GROUP BY incident_id', [
          incidents.map((i) => i.id),
        ])
      ).rows.map((r) => [r.incident_id, r.n] as const),
    );
    const openIncidents = incidents.map((r) => openIncidentFromRow(r, counts.get(r.id) ?? 0));
    return { state, openIncidents, statusVersion: await this.version(this.pool) };
  }

  /** As on SQLite: addresses kept from being learnt by alerts closed as benign while no pipeline ran are learnt now. */
  async releaseBenignVerdicts(): Promise<number> {
    return inTransaction(this.pool, async (c) => {
      const r = await c.query(
        `UPDATE user_ips SET learnt = (success_count > 0)::int, quarantined_by = NULL WHERE quarantined_by IN (SELECT id FROM alerts WHERE closed_benign = 1)`,
      );
      const n = r.rowCount ?? 0;
      // The addresses learnt now count towards the organisation: counted again. Rare.
      if (n > 0) for (const sql of RECOUNT_ORGANISATION) await c.query(sql);
      return n;
    });
  }

  async statusChangesSince(version: number): Promise<StatusChanges> {
    const now = await this.version(this.pool);
    if (now === version) return { version, alerts: [], incidents: [] };
    const alertSeq = Math.floor(version / 2 ** 26);
    const incidentSeq = version % 2 ** 26;
    const alerts = await this.pool.query<{ id: string; rule: string; dn: string | null; ip: string | null; suppress_key: string | null; status: AlertStatus; closed_benign: number }>(
      `SELECT a.id, a.rule, a.dn, a.ip, a.suppress_key, a.status, a.closed_benign FROM alerts a
       WHERE a.id IN (SELECT alert_id FROM alert_status_changes WHERE seq > $1) ORDER BY a.id`,
      [alertSeq],
    );
    const incidents = await this.pool.query<{ id: string; key: string; status: AlertStatus }>(
      `SELECT i.id, i.key, i.status FROM incidents i WHERE i.id IN (SELECT incident_id FROM incident_status_changes WHERE seq > $1) ORDER BY i.id`,
      [incidentSeq],
    );
    return {
      version: now,
      alerts: alerts.rows.map((r) => ({ id: r.id, rule: r.rule, dn: r.dn, ip: r.ip, suppressKey: r.suppress_key, status: r.status, benign: r.closed_benign === 1 })),
      incidents: incidents.rows,
    };
  }

  async checkpoint(fingerprint: string): Promise<FileCheckpoint | null> {
    const r = await this.pool.query<CheckpointRow>('SELECT * FROM checkpoints WHERE fingerprint = $1', [fingerprint]);
    return r.rows.length === 0 ? null : checkpointFromRow(r.rows[0]);
  }

  async checkpoints(): Promise<FileCheckpoint[]> {
    return (await this.pool.query<CheckpointRow>('SELECT * FROM checkpoints ORDER BY updated_at DESC, fingerprint')).rows.map(checkpointFromRow);
  }

  async streamPosition(key: string): Promise<InputPosition | null> {
    const r = await this.pool.query<{ last_time: string; at_last_time: number; line_no: number }>('SELECT * FROM stream_positions WHERE stream = $1', [key]);
    if (r.rows.length === 0) return null;
    const p = r.rows[0];
    return { offset: p.at_last_time, lineNo: p.line_no, tailHash: null, hashOffset: 0, stamp: p.last_time };
  }

  /**
   * One transaction on the writer's connection. A commit whose answer was lost with the
   * connection (it may or may not have been stored) is settled at the next commit: if it was
   * stored, what it held is not written twice (see in-doubt.ts).
   */
  async commit(batch: CommitBatch, hooks: readonly CommitHook[]): Promise<void> {
    const writer = this.writer;
    if (writer === null) throw new Error('this PostgreSQL store was opened for reading');
    // Rows read from history's state after this call returns (or kept in doubt) would not be this batch's.
    if (batch.history.writeTo !== undefined) throw new Error('a PostgreSQL commit takes history rows as copies (writesWithinCall is false)');
    await writer.ensure();
    await writer.use(async (c) => {
      let landed: StoredAlert[] = [];
      if (this.inDoubt !== null) {
        const stored = (await c.query<{ seq: number }>('SELECT seq FROM writer_commits WHERE token = $1', [this.token])).rows[0]?.seq;
        if (stored === this.inDoubt.seq) landed = subtractLanded(batch, this.inDoubt);
        this.inDoubt = null;
      }
      const seq = ++this.seq;
      await c.query('BEGIN');
      let raised: StoredAlert[] | null = null;
      try {
        raised = await this.write(c, batch, hooks, seq, landed);
        await c.query('COMMIT');
        batch.alerts.raised = raised;
      } catch (err) {
        // Lost while committing: settled by the next commit. Otherwise nothing was stored.
        if (raised !== null && isUnavailable(err)) this.inDoubt = { seq, batch, raised };
        else await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  private async write(c: pg.ClientBase, b: CommitBatch, hooks: readonly CommitHook[], seq: number, landed: StoredAlert[]): Promise<StoredAlert[]> {
    const now = Date.now();
    await writeHistoryAndState(c, b);
    const inserted = await insertAlerts(c, b.alerts.raised, now);
    // The same line read again after its alert was closed (--from-start) raises nothing new.
    const fresh = b.alerts.raised.filter((a) => inserted.has(a.id));
    await updateAlerts(c, b.alerts.updated);
    await writeIncidents(c, b, now);
    const incidents = b.incidentChanges ?? { opened: [], escalated: [] };
    if (hooks.length > 0 && fresh.length + b.alerts.updated.length + incidents.opened.length + incidents.escalated.length > 0) {
      const effects = await PgCommitEffects.prepare(c, hooks.map((h) => h.plan?.(fresh, incidents) ?? { actions: 0, dns: [], since: null }));
      for (const hook of hooks) hook.run(fresh, b.alerts.updated, incidents, effects);
      await effects.write(c, now);
    }
    await writePositions(c, b, now);
    await c.query(`INSERT INTO writer_commits (token, seq, at) VALUES ($1, $2, $3) ON CONFLICT (token) DO UPDATE SET seq = excluded.seq, at = excluded.at`, [this.token, seq, now]);
    return [...landed, ...fresh];
  }

  /** Alert and incident status changes as one number that only grows (as on SQLite). */
  private async version(q: pg.Pool | pg.ClientBase): Promise<number> {
    const r = await q.query<{ a: number; i: number }>(
      'SELECT (SELECT coalesce(max(seq), 0) FROM alert_status_changes) AS a, (SELECT coalesce(max(seq), 0) FROM incident_status_changes) AS i',
    );
    return r.rows[0].a * 2 ** 26 + r.rows[0].i;
  }
}

