import type pg from 'pg';
import type { ActionRecord } from '../../core/actions.js';
import type { AlertResponse } from '../../core/alerts.js';
import type { ActionFilter, ActionRepository, ActionUpdate, AlertResponses, NewAction } from '../../core/ports.js';
import { unconfirmedSql } from '../confirmation-sql.js';
import { actionFromRow, type ActionRow } from '../sqlite/actions.js';

/** The `actions` table on PostgreSQL (see the SQLite ActionStore for the meaning of each query). */
export class PgActionStore implements ActionRepository {
  constructor(private readonly q: pg.Pool | pg.ClientBase) {}

  async insert(a: NewAction, now: number): Promise<ActionRecord> {
    const r = await this.q.query<ActionRow>(
      `INSERT INTO actions (action, alert_id, by_kind, by, created_at, updated_at, mode, dn, dn_sha1, name, namespace, context, status, guard, reason)
       VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING *`,
      [a.action, a.alertId, a.byKind, a.by, now, a.mode, a.dn ?? null, a.dnSha1 ?? null, a.name ?? null, a.namespace ?? null, a.context ?? null, a.status, a.guard ?? null, a.reason ?? null],
    );
    return actionFromRow(r.rows[0]);
  }

  async update(id: number, u: ActionUpdate, now: number): Promise<void> {
    await this.q.query(
      `UPDATE actions SET status = $2, steps = COALESCE($3, steps), error = $4, reason = COALESCE($5, reason), attempts = COALESCE($6, attempts), updated_at = $7 WHERE id = $1`,
      [id, u.status, u.steps === undefined ? null : JSON.stringify(u.steps), u.error ?? null, u.reason ?? null, u.attempts ?? null, now],
    );
  }

  async get(id: number): Promise<ActionRecord | null> {
    const r = await this.q.query<ActionRow>('SELECT * FROM actions WHERE id = $1', [id]);
    return r.rows.length === 0 ? null : actionFromRow(r.rows[0]);
  }

  async list(f: ActionFilter = {}): Promise<ActionRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.status) where.push(`status = $${args.push(f.status)}`);
    if (f.dn !== undefined) where.push(`dn = $${args.push(f.dn)}`);
    const sql = `SELECT * FROM actions ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT $${args.push(f.limit ?? 50)}`;
    return (await this.q.query<ActionRow>(sql, args)).rows.map(actionFromRow);
  }

  async automaticSince(since: number): Promise<number> {
    const r = await this.q.query<{ n: number }>(`SELECT count(*) AS n FROM actions WHERE action = 'end-session' AND by_kind = 'rule' AND status <> 'held' AND created_at > $1`, [since]);
    return r.rows[0].n;
  }

  async lastEndSession(dn: string): Promise<ActionRecord | null> {
    const r = await this.q.query<ActionRow>(`SELECT * FROM actions WHERE action = 'end-session' AND status <> 'held' AND dn = $1 ORDER BY created_at DESC, id DESC LIMIT 1`, [dn]);
    return r.rows.length === 0 ? null : actionFromRow(r.rows[0]);
  }

  async unconfirmedEndSessions(from: number, to: number): Promise<ActionRecord[]> {
    return (await this.q.query<ActionRow>(unconfirmedSql((n) => `$${n}`), [from, to])).rows.map(actionFromRow);
  }

  async breakerOpenedBy(): Promise<ActionRecord | null> {
    const r = await this.q.query<ActionRow>(`SELECT * FROM actions WHERE action IN ('breaker-open', 'breaker-reset') ORDER BY id DESC LIMIT 1`);
    return r.rows[0]?.action === 'breaker-open' ? actionFromRow(r.rows[0]) : null;
  }
}

/** Writes an alert's `response` column. */
export class PgAlertResponses implements AlertResponses {
  constructor(private readonly q: pg.Pool | pg.ClientBase) {}

  async set(alertId: string, response: AlertResponse): Promise<void> {
    await this.q.query('UPDATE alerts SET response = $1 WHERE id = $2', [JSON.stringify(response), alertId]);
  }
}

/** The random identity of this database (for email Message-IDs). */
export async function pgStoreInstance(q: pg.Pool | pg.ClientBase): Promise<string> {
  const r = await q.query<{ value: string }>(`SELECT value FROM store_meta WHERE key = 'instance'`);
  return r.rows[0]?.value ?? 'unknown';
}
