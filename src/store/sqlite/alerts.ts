import { BlockList, isIP } from 'node:net';
import type { AlertDetail, AlertFilter, AlertStatus, AlertStatusChange, StoredAlert } from '../../core/alerts.js';
import type { Db } from './database.js';
import { alertFromRow as fromRow, type AlertRow } from '../rows.js';

/** Who raised an alert, in its status history. */
export const SYSTEM_ACTOR = 'ouwatch';

/**
 * Alerts in SQLite: written by the detection engine inside the commit transaction, read and
 * changed (ack, close) by the analyst's commands. Every value goes through parameters; DNs
 * are data.
 */
export class AlertStore {
  private readonly stmt;

  constructor(private readonly db: Db) {
    this.stmt = {
      insert: db.prepare(`
        INSERT INTO alerts (id, rule, severity, time, last_time, count, dn, dn_sha1, ip, country, reason, evidence, status, respond, response, created_at, evidence_total)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (id) DO NOTHING`),
      byId: db.prepare('SELECT * FROM alerts WHERE id = ?'),
      byPrefix: db.prepare(`SELECT * FROM alerts WHERE id >= ? AND id < ? ORDER BY id LIMIT 10`),
      setStatus: db.prepare('UPDATE alerts SET status = ?, closed_benign = ? WHERE id = ?'),
      incidents: db.prepare('SELECT incident_id FROM incident_alerts WHERE alert_id = ? ORDER BY incident_id').pluck(),
      change: db.prepare('INSERT INTO alert_status_changes (alert_id, status, by, at, comment) VALUES (?, ?, ?, ?, ?)'),
      raised: db.prepare('SELECT rule, created_at FROM alerts WHERE id = ?'),
      history: db.prepare('SELECT status, by, at, comment FROM alert_status_changes WHERE alert_id = ? ORDER BY seq'),
    };
  }

  /**
   * Stores a new alert. Run inside the commit transaction. Its first status entry ("open,
   * raised by rule X" at created_at) is implied, not written: alerts come in thousands when
   * a rule misfires, and each row costs. Returns false when the alert is already stored (the
   * same line read again after its alert was closed, with --from-start).
   */
  insert(a: StoredAlert, wallClock: number): boolean {
    return this.stmt.insert.run(
      a.id, a.rule, a.severity, Date.parse(a.time), Date.parse(a.lastTime), a.count, a.dn, a.dnSha1, a.ip, a.country, a.reason,
      JSON.stringify(a.evidence), a.status, a.respond ? 1 : 0, a.response === null ? null : JSON.stringify(a.response), wallClock, evidenceTotal(a),
    ).changes === 1;
  }

  get(id: string): StoredAlert | null {
    const r = this.stmt.byId.get(id) as AlertRow | undefined;
    return r === undefined ? null : fromRow(r);
  }

  /** Alerts whose id starts with `prefix` (analysts type the first few characters). */
  withPrefix(prefix: string): StoredAlert[] {
    const exact = this.get(prefix);
    if (exact !== null) return [exact];
    // ids are lowercase hex: the range [prefix, prefix + 'g') holds every extension of it.
    return (this.stmt.byPrefix.all(prefix, prefix + '\uffff') as AlertRow[]).map(fromRow);
  }

  detail(id: string): AlertDetail | null {
    const r = this.stmt.byId.get(id) as AlertRow | undefined;
    if (r === undefined) return null;
    return { ...fromRow(r), history: this.history(id), closedBenign: r.closed_benign === 1, incidentIds: this.stmt.incidents.all(id) as string[] };
  }

  /** Every status of the alert, oldest first, starting with its raising. */
  history(id: string): AlertStatusChange[] {
    const raised = this.stmt.raised.get(id) as { rule: string; created_at: number } | undefined;
    if (raised === undefined) return [];
    const first: AlertStatusChange = { status: 'open', by: SYSTEM_ACTOR, at: new Date(raised.created_at).toISOString(), comment: `raised by rule ${raised.rule}` };
    const changes = (this.stmt.history.all(id) as Array<{ status: AlertStatus; by: string; at: number; comment: string | null }>).map((h) => ({
      status: h.status,
      by: h.by,
      at: new Date(h.at).toISOString(),
      comment: h.comment,
    }));
    return [first, ...changes];
  }

  /**
   * Changes the status and records who did it, when and why; `benign` marks a close as benign
   * (any other change clears it). Returns false for an unknown id.
   */
  setStatus(id: string, status: AlertStatus, by: string, comment: string | null, wallClock = Date.now(), benign = false): boolean {
    return this.db.transaction(() => {
      if (this.stmt.setStatus.run(status, benign && status === 'closed' ? 1 : 0, id).changes !== 1) return false;
      this.stmt.change.run(id, status, by, wallClock, comment);
      return true;
    })();
  }

  /** Alerts matching `filter`, newest first. */
  list(filter: AlertFilter = {}): StoredAlert[] {
    const where: string[] = [];
    const args: Array<string | number> = [];
    const any = (column: string, values: readonly string[] | undefined) => {
      if (values === undefined || values.length === 0) return;
      where.push(`${column} IN (${values.map(() => '?').join(', ')})`);
      args.push(...values);
    };
    any('rule', filter.rules);
    any('severity', filter.severities);
    any('status', filter.statuses);
    if (filter.dn !== undefined) {
      where.push('dn = ?');
      args.push(filter.dn);
    }
    if (filter.dnPattern !== undefined) {
      where.push(`dn LIKE ? ESCAPE '\\'`);
      args.push(filter.dnPattern.replace(/[\\%_]/g, (c) => '\\' + c).replace(/\*/g, '%'));
    }
    if (filter.withoutDn === true) where.push('dn IS NULL');
    const ipMatch = filter.ip === undefined ? null : addressMatcher(filter.ip);
    if (filter.ip !== undefined && ipMatch === null) {
      where.push('ip = ?');
      args.push(filter.ip);
    }
    if (filter.since !== undefined) {
      where.push('last_time >= ?');
      args.push(filter.since);
    }
    const sql = `SELECT * FROM alerts ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY time DESC, id`;
    const out: StoredAlert[] = [];
    for (const r of this.db.prepare(sql).iterate(...args) as IterableIterator<AlertRow>) {
      if (ipMatch !== null && (r.ip === null || !ipMatch(r.ip))) continue;
      out.push(fromRow(r));
      if (filter.limit !== undefined && out.length >= filter.limit) break;
    }
    return out;
  }
}

/** A matcher for a CIDR block (null for a plain address, which SQL compares exactly). */
function addressMatcher(spec: string): ((ip: string) => boolean) | null {
  const slash = spec.indexOf('/');
  if (slash < 0) return null;
  const net = spec.slice(0, slash);
  const bits = Number(spec.slice(slash + 1));
  const family = isIP(net);
  const list = new BlockList();
  list.addSubnet(net, bits, family === 6 ? 'ipv6' : 'ipv4');
  return (ip) => {
    const f = isIP(ip);
    return f !== 0 && list.check(ip, f === 6 ? 'ipv6' : 'ipv4');
  };
}

/** NULL when the evidence holds every line (the common case: no column value to store). */
function evidenceTotal(a: StoredAlert): number | null {
  return a.evidenceTotal > a.evidence.length ? a.evidenceTotal : null;
}

