import type { AlertDetail, AlertFilter, AlertStatus, StoredAlert } from '../../core/alerts.js';
import type { AlertQueries, Page, PageRequest } from '../../core/review-ports.js';
import { alertFromRow as fromRow, alertsByIds, type AlertRow } from '../rows.js';
import { AlertStore } from './alerts.js';
import type { Db } from './database.js';
import { Where, pageOf } from './review-sql.js';

const DAY_MS = 86_400_000;

/** The analyst's reads and status changes of alerts, over SQLite (synchronous underneath). */
export class SqliteAlertQueries implements AlertQueries {
  private readonly store: AlertStore;

  constructor(private readonly db: Db) {
    this.store = new AlertStore(db);
  }

  async list(filter: AlertFilter, page: PageRequest): Promise<Page<StoredAlert>> {
    const w = alertWhere(filter);
    // `+rule`: grouping must not walk the (rule, time) index, which reads every alert's
    // row in index order (random pages); a pass over the table is 2.6 times as fast at 40,000
    // alerts. Filters still use their indexes. Each alert counts once, so the sum is the total.
    const counts = `SELECT rule, severity, count(*) AS n FROM alerts ${w.sql} GROUP BY +rule, severity`;
    return pageOf<AlertRow, StoredAlert>(this.db, 'alerts', w, page, 'time', counts, fromRow, true);
  }

  async detail(id: string): Promise<AlertDetail | null> {
    return this.store.detail(id);
  }

  async withPrefix(prefix: string): Promise<StoredAlert[]> {
    return this.store.withPrefix(prefix);
  }

  async byIds(ids: readonly string[]): Promise<StoredAlert[]> {
    const stmt = this.db.prepare('SELECT * FROM alerts WHERE id IN (SELECT value FROM json_each(?))');
    return alertsByIds(ids, (part) => stmt.all(JSON.stringify(part)) as AlertRow[]);
  }

  async setStatus(id: string, status: AlertStatus, by: string, comment: string | null, benign: boolean, wallClock: number): Promise<boolean> {
    return this.store.setStatus(id, status, by, comment, wallClock, benign);
  }

  async ruleCounts(since: number[]): Promise<Array<{ rule: string; total: number; since: number[]; latest: string }>> {
    // A pass over the table, not over the (rule, time) index with a row read per alert (see list()).
    const cols = since.map((_, i) => `sum(time >= ?) AS s${i}`).join(', ');
    const rows = this.db.prepare(`SELECT rule, count(*) AS total, max(last_time) AS latest${cols ? ', ' + cols : ''} FROM alerts GROUP BY +rule ORDER BY rule`).all(...since) as Array<Record<string, number | string>>;
    return rows.map((r) => ({ rule: r.rule as string, total: r.total as number, since: since.map((_, i) => Number(r[`s${i}`] ?? 0)), latest: new Date(r.latest as number).toISOString() }));
  }

  async perDay(from: number): Promise<Array<{ day: string; rule: string; n: number }>> {
    const rows = this.db.prepare(`SELECT time / ${DAY_MS} AS d, rule, count(*) AS n FROM alerts WHERE time >= ? GROUP BY d, rule ORDER BY d, rule`).all(from) as Array<{ d: number; rule: string; n: number }>;
    return rows.map((r) => ({ day: new Date(r.d * DAY_MS).toISOString().slice(0, 10), rule: r.rule, n: r.n }));
  }

  async latestTime(): Promise<number | null> {
    return (this.db.prepare('SELECT max(last_time) FROM alerts').pluck().get() as number | null) ?? null;
  }
}

export function alertWhere(f: AlertFilter): Where {
  const w = new Where();
  w.anyOf('rule', f.rules);
  w.anyOf('severity', f.severities);
  w.anyOf('status', f.statuses);
  if (f.dn !== undefined) w.add('dn = ?', f.dn);
  w.pattern('dn', f.dnPattern);
  if (f.withoutDn === true) w.add('dn IS NULL');
  w.address('ip', f.ip);
  if (f.since !== undefined) w.add('last_time >= ?', f.since);
  if (f.until !== undefined) w.add('time <= ?', f.until);
  return w;
}
