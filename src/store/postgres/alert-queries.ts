import type pg from 'pg';
import type { AlertDetail, AlertFilter, AlertStatus, AlertStatusChange, StoredAlert } from '../../core/alerts.js';
import type { AlertQueries, Page, PageRequest } from '../../core/review-ports.js';
import { alertFromRow as fromRow, alertsByIds, type AlertRow } from '../rows.js';
import { SYSTEM_ACTOR } from '../sqlite/alerts.js';
import { PgWhere, inTransaction, pageOf } from './review-sql.js';

const DAY_MS = 86_400_000;

/** The analyst's reads and status changes of alerts on PostgreSQL (as SQLite's alert-queries.ts). */
export class PgAlertQueries implements AlertQueries {
  constructor(private readonly pool: pg.Pool) {}

  async list(filter: AlertFilter, page: PageRequest): Promise<Page<StoredAlert>> {
    const w = alertWhere(filter);
    return pageOf<AlertRow, StoredAlert>(this.pool, 'alerts', w, page, 'time', `SELECT rule, severity, count(*) AS n FROM alerts ${w.sql} GROUP BY rule, severity`, fromRow);
  }

  async detail(id: string): Promise<AlertDetail | null> {
    const r = (await this.pool.query<AlertRow & { created_at: number }>('SELECT * FROM alerts WHERE id = $1', [id])).rows[0];
    if (r === undefined) return null;
    const changes = await this.pool.query<{ status: AlertStatus; by: string; at: number; comment: string | null }>('SELECT status, by, at, comment FROM alert_status_changes WHERE alert_id = $1 ORDER BY seq', [id]);
    const incidents = await this.pool.query<{ incident_id: string }>('SELECT incident_id FROM incident_alerts WHERE alert_id = $1 ORDER BY incident_id', [id]);
    const first: AlertStatusChange = { status: 'open', by: SYSTEM_ACTOR, at: new Date(r.created_at).toISOString(), comment: `raised by rule ${r.rule}` };
    const history = [first, ...changes.rows.map((h) => ({ status: h.status, by: h.by, at: new Date(h.at).toISOString(), comment: h.comment }))];
    return { ...fromRow(r), history, closedBenign: r.closed_benign === 1, incidentIds: incidents.rows.map((x) => x.incident_id) };
  }

  async withPrefix(prefix: string): Promise<StoredAlert[]> {
    const exact = await this.pool.query<AlertRow>('SELECT * FROM alerts WHERE id = $1', [prefix]);
    if (exact.rows.length > 0) return exact.rows.map(fromRow);
    return (await this.pool.query<AlertRow>('SELECT * FROM alerts WHERE id >= $1 AND id < $2 ORDER BY id LIMIT 10', [prefix, prefix + '\uffff'])).rows.map(fromRow);
  }

  async byIds(ids: readonly string[]): Promise<StoredAlert[]> {
    return alertsByIds(ids, async (part) => (await this.pool.query<AlertRow>('SELECT * FROM alerts WHERE id = ANY($1::text[])', [part])).rows);
  }

  async setStatus(id: string, status: AlertStatus, by: string, comment: string | null, benign: boolean, wallClock: number): Promise<boolean> {
    return inTransaction(this.pool, (c) => setAlertStatus(c, id, status, by, comment, benign, wallClock));
  }

  async ruleCounts(since: number[]): Promise<Array<{ rule: string; total: number; since: number[]; latest: string }>> {
    const cols = since.map((_, i) => `, count(*) FILTER (WHERE time >= $${i + 1}) AS s${i}`).join('');
    const rows = (await this.pool.query<Record<string, number | string>>(`SELECT rule, count(*) AS total, max(last_time) AS latest${cols} FROM alerts GROUP BY rule ORDER BY rule`, since)).rows;
    return rows.map((r) => ({ rule: r.rule as string, total: r.total as number, since: since.map((_, i) => Number(r[`s${i}`] ?? 0)), latest: new Date(r.latest as number).toISOString() }));
  }

  async perDay(from: number): Promise<Array<{ day: string; rule: string; n: number }>> {
    const rows = (await this.pool.query<{ d: number; rule: string; n: number }>(`SELECT time / ${DAY_MS} AS d, rule, count(*) AS n FROM alerts WHERE time >= $1 GROUP BY d, rule ORDER BY d, rule`, [from])).rows;
    return rows.map((r) => ({ day: new Date(r.d * DAY_MS).toISOString().slice(0, 10), rule: r.rule, n: r.n }));
  }

  async latestTime(): Promise<number | null> {
    return (await this.pool.query<{ t: number | null }>('SELECT max(last_time) AS t FROM alerts')).rows[0].t;
  }
}

/** Changes the status and records who, when and why (in the caller's transaction). */
export async function setAlertStatus(c: pg.ClientBase, id: string, status: AlertStatus, by: string, comment: string | null, benign: boolean, wallClock: number): Promise<boolean> {
  const r = await c.query('UPDATE alerts SET status = $1, closed_benign = $2 WHERE id = $3', [status, benign && status === 'closed' ? 1 : 0, id]);
  if (r.rowCount !== 1) return false;
  await c.query('INSERT INTO alert_status_changes (alert_id, status, by, at, comment) VALUES ($1, $2, $3, $4, $5)', [id, status, by, wallClock, comment]);
  return true;
}

export function alertWhere(f: AlertFilter): PgWhere {
  const w = new PgWhere();
  w.anyOf('rule', f.rules);
  w.anyOf('severity', f.severities);
  w.anyOf('status', f.statuses);
  if (f.dn !== undefined) w.add(`dn = ${w.p(f.dn)}`);
  w.pattern('dn', f.dnPattern);
  if (f.withoutDn === true) w.add('dn IS NULL');
  w.address('ip', f.ip);
  if (f.since !== undefined) w.add(`last_time >= ${w.p(f.since)}`);
  if (f.until !== undefined) w.add(`time <= ${w.p(f.until)}`);
  return w;
}
