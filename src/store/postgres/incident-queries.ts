import type pg from 'pg';
import type { AlertStatusChange, Severity } from '../../core/alerts.js';
import type { IncidentDetail, IncidentFilter, IncidentStatus, StoredIncident } from '../../core/incidents.js';
import type { IncidentQueries, Page, PageRequest } from '../../core/review-ports.js';
import { SYSTEM_ACTOR } from '../sqlite/alerts.js';
import { setAlertStatus } from './alert-queries.js';
import { PgWhere, inTransaction, pageOf } from './review-sql.js';
import { incidentFromRow, type IncidentRow } from '../rows.js';

/** Alert ids of the incident, oldest first, as a JSON array (one query per page, not per row). */
const ALERT_IDS = `(SELECT coalesce(json_agg(ia.alert_id ORDER BY a.time, a.id), '[]')::text FROM incident_alerts ia JOIN alerts a ON a.id = ia.alert_id
  WHERE ia.incident_id = incidents.id) AS alert_ids`;

type Row = IncidentRow & { alert_ids: string };

const fromRow = (r: Row) => incidentFromRow(r, JSON.parse(r.alert_ids) as string[]);

/** Incidents on PostgreSQL for the analyst (as SQLite's incidents.ts; detection writes them in its commits). */
export class PgIncidentQueries implements IncidentQueries {
  constructor(private readonly pool: pg.Pool) {}

  async list(filter: IncidentFilter, page: PageRequest): Promise<Page<StoredIncident>> {
    const w = incidentWhere(filter);
    const byRule = `SELECT r.rule, incidents.severity AS severity, count(*) AS n FROM incidents, jsonb_array_elements_text(incidents.rules::jsonb) AS r(rule) ${w.sql} GROUP BY r.rule, incidents.severity`;
    const p = await pageOf<Row, StoredIncident>(this.pool, 'incidents', w, page, 'last_time', byRule, fromRow, `*, ${ALERT_IDS}`);
    // `counts.severity` above counted once per rule: count incidents per severity instead.
    const sev = await this.pool.query<{ severity: Severity; n: number }>(`SELECT severity, count(*) AS n FROM incidents ${w.sql} GROUP BY severity`, w.args);
    p.counts.severity = Object.fromEntries(sev.rows.map((s) => [s.severity, s.n]));
    return p;
  }

  async detail(id: string): Promise<IncidentDetail | null> {
    const r = (await this.pool.query<Row>(`SELECT *, ${ALERT_IDS} FROM incidents WHERE id = $1`, [id])).rows[0];
    if (r === undefined) return null;
    const changes = await this.pool.query<{ status: IncidentStatus; by: string; at: number; comment: string | null }>('SELECT status, by, at, comment FROM incident_status_changes WHERE incident_id = $1 ORDER BY seq', [id]);
    const first: AlertStatusChange = { status: 'open', by: SYSTEM_ACTOR, at: new Date(r.created_at).toISOString(), comment: 'opened by detection' };
    return { ...fromRow(r), history: [first, ...changes.rows.map((h) => ({ status: h.status, by: h.by, at: new Date(h.at).toISOString(), comment: h.comment }))] };
  }

  async withPrefix(prefix: string): Promise<StoredIncident[]> {
    const exact = await this.pool.query<Row>(`SELECT *, ${ALERT_IDS} FROM incidents WHERE id = $1`, [prefix]);
    if (exact.rows.length > 0) return exact.rows.map(fromRow);
    return (await this.pool.query<Row>(`SELECT *, ${ALERT_IDS} FROM incidents WHERE id >= $1 AND id < $2 ORDER BY id LIMIT 10`, [prefix, prefix + '\uffff'])).rows.map(fromRow);
  }

  async any(): Promise<boolean> {
    return (await this.pool.query<{ x: boolean }>('SELECT EXISTS (SELECT 1 FROM incidents) AS x')).rows[0].x;
  }

  async setStatus(id: string, status: IncidentStatus, by: string, comment: string | null, benign: boolean, wallClock: number): Promise<boolean> {
    const asBenign = benign && status === 'closed';
    return inTransaction(this.pool, async (c) => {
      const r = await c.query('UPDATE incidents SET status = $1, closed_benign = $2, updated_at = $3 WHERE id = $4', [status, asBenign ? 1 : 0, wallClock, id]);
      if (r.rowCount !== 1) return false;
      await c.query('INSERT INTO incident_status_changes (incident_id, status, by, at, comment) VALUES ($1, $2, $3, $4, $5)', [id, status, by, wallClock, comment]);
      if (status === 'closed') {
        const why = `closed with incident ${id}${comment ? `: ${comment}` : ''}`;
        const open = await c.query<{ id: string }>(
          `SELECT a.id FROM incident_alerts ia JOIN alerts a ON a.id = ia.alert_id WHERE ia.incident_id = $1 AND (a.status <> 'closed' OR ($2 AND a.closed_benign = 0)) ORDER BY a.id`,
          [id, asBenign],
        );
        for (const a of open.rows) await setAlertStatus(c, a.id, 'closed', by, why, asBenign, wallClock);
      }
      return true;
    });
  }
}

function incidentWhere(f: IncidentFilter): PgWhere {
  const w = new PgWhere();
  w.anyOf('incidents.status', f.statuses);
  w.anyOf('incidents.severity', f.severities);
  if (f.rules !== undefined && f.rules.length > 0) w.add(`EXISTS (SELECT 1 FROM jsonb_array_elements_text(incidents.rules::jsonb) AS x(v) WHERE x.v = ANY(${w.p([...f.rules])}::text[]))`);
  if (f.dn !== undefined) w.add(`incidents.dn = ${w.p(f.dn)}`);
  w.pattern('incidents.dn', f.dnPattern);
  w.address('incidents.ip', f.ip);
  if (f.since !== undefined) w.add(`incidents.last_time >= ${w.p(f.since)}`);
  if (f.until !== undefined) w.add(`incidents.first_time <= ${w.p(f.until)}`);
  return w;
}
