import type { AlertResponse } from '../../core/alerts.js';
import type { AlertResponses } from '../../core/ports.js';
import type { Db } from './database.js';

/**
 * Writes an alert's `response` (`{action, mode, name, status}`) into the alerts table
 * (detection owns the rest of the row and never overwrites this column on repeats).
 */
export class AlertResponseWriter implements AlertResponses {
  private readonly stmt;

  constructor(db: Db) {
    this.stmt = db.prepare('UPDATE alerts SET response = ? WHERE id = ?');
  }

  set(alertId: string, response: AlertResponse): void {
    this.stmt.run(JSON.stringify(response), alertId);
  }
}
