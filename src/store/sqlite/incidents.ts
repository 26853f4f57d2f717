import type { AlertStatusChange, Severity } from '../../core/alerts.js';
import type { Incident, IncidentDetail, IncidentFilter, IncidentStatus, StoredIncident } from '../../core/incidents.js';
import type { IncidentWriter } from '../../core/ports.js';
import type { IncidentQueries, Page, PageRequest } from '../../core/review-ports.js';
import { AlertStore, SYSTEM_ACTOR } from './alerts.js';
import type { Db } from './database.js';
import { Where, pageOf } from './review-sql.js';
import { incidentFromRow, type IncidentRow as StoredIncidentRow } from '../rows.js';

/** With the incident's alert ids as a JSON array, where the query selects them. */
type IncidentRow = StoredIncidentRow & { alert_ids?: string };


/** Alert ids of the incident, oldest first, as a JSON array (one query per page, not per row). */
const ALERT_IDS = `(SELECT json_group_array(alert_id) FROM (SELECT ia.alert_id FROM incident_alerts ia JOIN alerts a ON a.id = ia.alert_id
  WHERE ia.incident_id = incidents.id ORDER BY a.time, a.id)) AS alert_ids`;

/**
 * Incidents in SQLite. Detection writes them (`record`, inside its commit transaction);
 * analysts read them and change their status. Every value goes through parameters.
 */
export class SqliteIncidentStore implements IncidentQueries, IncidentWriter {
  private readonly stmt;
  private readonly alerts: AlertStore;

  constructor(private readonly db: Db) {
    this.alerts = new AlertStore(db);
    this.stmt = {
      upsert: db.prepare(`
        INSERT INTO incidents (id, key, status, severity, risk, dn, ip, first_time, last_time, rules, created_at, updated_at)
        VALUES (@id, @key, @status, @severity, @risk, @dn, @ip, @firstTime, @lastTime, @rules, @now, @now)
        ON CONFLICT (id) DO UPDATE SET severity = excluded.severity, risk = excluded.risk, dn = excluded.dn, ip = excluded.ip,
          first_time = excluded.first_time, last_time = excluded.last_time, rules = excluded.rules, updated_at = excluded.updated_at`),
      link: db.prepare('INSERT OR IGNORE INTO incident_alerts (incident_id, alert_id) VALUES (?, ?)'),
      byId: db.prepare(`SELECT *, ${ALERT_IDS} FROM incidents WHERE id = ?`),
      byPrefix: db.prepare(`SELECT *, ${ALERT_IDS} FROM incidents WHERE id >= ? AND id < ? ORDER BY id LIMIT 10`),
      any: db.prepare('SELECT EXISTS (SELECT 1 FROM incidents)').pluck(),
      setStatus: db.prepare('UPDATE incidents SET status = ?, closed_benign = ?, updated_at = ? WHERE id = ?'),
      change: db.prepare('INSERT INTO incident_status_changes (incident_id, status, by, at, comment) VALUES (?, ?, ?, ?, ?)'),
      history: db.prepare('SELECT status, by, at, comment FROM incident_status_changes WHERE incident_id = ? ORDER BY seq'),
      openAlerts: db.prepare(`SELECT a.id FROM incident_alerts ia JOIN alerts a ON a.id = ia.alert_id WHERE ia.incident_id = ? AND (a.status != 'closed' OR (? = 1 AND a.closed_benign = 0))`).pluck(),
    };
  }

  record(i: Incident & { key: string }, wallClock: number): void {
    this.stmt.upsert.run({
      id: i.id,
      key: i.key,
      status: i.status,
      severity: i.severity,
      risk: i.risk,
      dn: i.dn,
      ip: i.ip,
      firstTime: Date.parse(i.firstTime),
      lastTime: Date.parse(i.lastTime),
      rules: JSON.stringify(i.rules),
      now: wallClock,
    });
    for (const a of i.alertIds) this.stmt.link.run(i.id, a);
  }

  async list(filter: IncidentFilter, page: PageRequest): Promise<Page<StoredIncident>> {
    const w = incidentWhere(filter);
    const byRule = `SELECT r.value AS rule, incidents.severity AS severity, count(*) AS n FROM incidents, json_each(incidents.rules) r ${w.sql} GROUP BY r.value, incidents.severity`;
    const p = pageOf<IncidentRow, StoredIncident>(this.db, 'incidents', w, page, 'last_time', byRule, (r) => r as unknown as StoredIncident);
    // Alert ids for the page's rows only.
    const ids = this.db.prepare(`SELECT id, ${ALERT_IDS} FROM incidents WHERE id IN (${p.items.map(() => '?').join(', ') || "''"})`).all(...p.items.map((r) => (r as unknown as IncidentRow).id)) as Array<{ id: string; alert_ids: string }>;
    const byId = new Map(ids.map((r) => [r.id, r.alert_ids]));
    // `counts.severity` above counted once per rule: count incidents per severity instead.
    const sev = this.db.prepare(`SELECT severity, count(*) AS n FROM incidents ${w.sql} GROUP BY severity`).all(...w.args) as Array<{ severity: Severity; n: number }>;
    p.counts.severity = Object.fromEntries(sev.map((s) => [s.severity, s.n]));
    return { ...p, items: p.items.map((r) => fromRow({ ...(r as unknown as IncidentRow), alert_ids: byId.get((r as unknown as IncidentRow).id) })) };
  }

  async detail(id: string): Promise<IncidentDetail | null> {
    const r = this.stmt.byId.get(id) as IncidentRow | undefined;
    return r === undefined ? null : { ...fromRow(r), history: this.history(r) };
  }

  async withPrefix(prefix: string): Promise<StoredIncident[]> {
    const exact = this.stmt.byId.get(prefix) as IncidentRow | undefined;
    if (exact !== undefined) return [fromRow(exact)];
    return (this.stmt.byPrefix.all(prefix, prefix + '\uffff') as IncidentRow[]).map(fromRow);
  }

  async any(): Promise<boolean> {
    return this.stmt.any.get() === 1;
  }

  async setStatus(id: string, status: IncidentStatus, by: string, comment: string | null, benign: boolean, wallClock: number): Promise<boolean> {
    const asBenign = benign && status === 'closed';
    return this.db.transaction(() => {
      if (this.stmt.setStatus.run(status, asBenign ? 1 : 0, wallClock, id).changes !== 1) return false;
      this.stmt.change.run(id, status, by, wallClock, comment);
      if (status === 'closed') {
        const why = `closed with incident ${id}${comment ? `: ${comment}` : ''}`;
        for (const alertId of this.stmt.openAlerts.all(id, asBenign ? 1 : 0) as string[]) this.alerts.setStatus(alertId, 'closed', by, why, wallClock, asBenign);
      }
      return true;
    })();
  }

  private history(r: IncidentRow): AlertStatusChange[] {
    const first: AlertStatusChange = { status: 'open', by: SYSTEM_ACTOR, at: new Date(r.created_at).toISOString(), comment: 'opened by detection' };
    const changes = (this.stmt.history.all(r.id) as Array<{ status: IncidentStatus; by: string; at: number; comment: string | null }>).map((h) => ({
      status: h.status,
      by: h.by,
      at: new Date(h.at).toISOString(),
      comment: h.comment,
    }));
    return [first, ...changes];
  }
}

function incidentWhere(f: IncidentFilter): Where {
  const w = new Where();
  w.anyOf('incidents.status', f.statuses);
  w.anyOf('incidents.severity', f.severities);
  if (f.rules !== undefined && f.rules.length > 0) {
    w.add(`EXISTS (SELECT 1 FROM json_each(incidents.rules) WHERE value IN (${f.rules.map(() => '?').join(', ')}))`, ...f.rules);
  }
  if (f.dn !== undefined) w.add('incidents.dn = ?', f.dn);
  w.pattern('incidents.dn', f.dnPattern);
  // An address also finds the incident of the network it belongs to.
  if (f.ip !== undefined && !f.ip.includes('/')) w.add('(incidents.ip = ? OR ouwatch_in_cidr(?, incidents.ip))', f.ip, f.ip);
  else w.address('incidents.ip', f.ip);
  if (f.since !== undefined) w.add('incidents.last_time >= ?', f.since);
  if (f.until !== undefined) w.add('incidents.first_time <= ?', f.until);
  return w;
}

function fromRow(r: IncidentRow): StoredIncident {
  return incidentFromRow(r, r.alert_ids === undefined ? [] : (JSON.parse(r.alert_ids) as string[]));
}
