import type { AlertResponse } from '../domain.js';
import type { Db } from './database.js';

/**
 * Writes an alert's `response` (`{action, mode, name, status}`) into the alerts table.
 * The table belongs to detection (migration 2); whether it and its `response` column exist is
 * checked once, at start-up, so this stage also runs against a store without alerts.
 */
export class AlertResponseWriter {
  private readonly stmt;

  constructor(db: Db) {
    const table = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alerts'`).get();
    const hasColumn =
      table !== undefined && (db.prepare(`SELECT name FROM pragma_table_info('alerts')`).all() as Array<{ name: string }>).some((c) => c.name === 'response');
    this.stmt = hasColumn ? db.prepare('UPDATE alerts SET response = ? WHERE id = ?') : null;
  }

  /** Whether alerts are stored here (false: the response lives on the in-memory alert only). */
  get enabled(): boolean {
    return this.stmt !== null;
  }

  set(alertId: string, response: AlertResponse): void {
    this.stmt?.run(JSON.stringify(response), alertId);
  }
}
