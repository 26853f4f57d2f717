import type { StoredAlert } from '../../core/alerts.js';
import type { Db } from './database.js';
import { alertFromRow, type AlertRow } from '../rows.js';

/**
 * What a command has printed of the committed alerts, as the highest alert row printed (see
 * AlertOutput). A consumer seen for the first time starts at the alerts stored so far.
 */
export class OutputCursor {
  private readonly stmt;

  constructor(
    private readonly db: Db,
    private readonly consumer: string,
  ) {
    this.stmt = {
      get: db.prepare('SELECT seq FROM output_cursors WHERE consumer = ?').pluck(),
      put: db.prepare(`INSERT INTO output_cursors (consumer, seq, updated_at) VALUES (?, ?, ?)
        ON CONFLICT (consumer) DO UPDATE SET seq = max(seq, excluded.seq), updated_at = excluded.updated_at`),
      newest: db.prepare('SELECT coalesce(max(rowid), 0) FROM alerts').pluck(),
      between: db.prepare('SELECT * FROM alerts WHERE rowid > ? AND rowid <= ? ORDER BY rowid'),
      page: db.prepare('SELECT rowid AS seq, * FROM alerts WHERE rowid > ? ORDER BY rowid LIMIT ?'),
    };
  }

  position(): number {
    const at = this.stmt.get.get(this.consumer) as number | undefined;
    if (at !== undefined) return at;
    const newest = this.stmt.newest.get() as number;
    this.stmt.put.run(this.consumer, newest, Date.now());
    return newest;
  }

  after(seq: number, limit: number): Array<{ seq: number; alert: StoredAlert }> {
    return (this.stmt.page.all(seq, limit) as Array<AlertRow & { seq: number }>).map((r) => ({ seq: r.seq, alert: alertFromRow(r) }));
  }

  printedThrough(seq: number): void {
    // A write acknowledged after the store closed (a failing run): the next start prints again.
    if (!this.db.open) return;
    this.stmt.put.run(this.consumer, seq, Date.now());
  }

  newest(): number {
    return this.stmt.newest.get() as number;
  }

  /** Alerts committed but never printed (the previous run was cut off), oldest first. */
  unprinted(): StoredAlert[] {
    return (this.stmt.between.all(this.position(), this.newest()) as AlertRow[]).map(alertFromRow);
  }
}
