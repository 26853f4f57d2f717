import type { ActionRecord } from '../../core/actions.js';
import type { ActionListFilter, ActionQueries, PageRequest } from '../../core/review-ports.js';
import { ActionStore } from './actions.js';
import type { Db } from './database.js';
import { Where } from './review-sql.js';

/** Reads of the action log for `ouwatch actions` and the console. */
export class SqliteActionQueries implements ActionQueries {
  private readonly store: ActionStore;

  constructor(private readonly db: Db) {
    this.store = new ActionStore(db);
  }

  async list(f: ActionListFilter, page: Omit<PageRequest, 'sort'>): Promise<{ items: ActionRecord[]; total: number }> {
    const w = new Where();
    w.anyOf('status', f.statuses);
    if (f.dn !== undefined) w.add('dn = ?', f.dn);
    w.pattern('dn', f.dnPattern);
    if (f.since !== undefined) w.add('created_at >= ?', f.since);
    if (f.until !== undefined) w.add('created_at <= ?', f.until);
    const ids = this.db.prepare(`SELECT id FROM actions ${w.sql} ORDER BY id DESC LIMIT ? OFFSET ?`).pluck().all(...w.args, page.limit ?? -1, page.offset) as number[];
    const total = this.db.prepare(`SELECT count(*) FROM actions ${w.sql}`).pluck().get(...w.args) as number;
    return { items: ids.map((id) => this.store.get(id)!), total };
  }

  async get(id: number): Promise<ActionRecord | null> {
    return this.store.get(id);
  }

  async forAlerts(alertIds: string[]): Promise<ActionRecord[]> {
    if (alertIds.length === 0) return [];
    const ids = this.db.prepare(`SELECT id FROM actions WHERE alert_id IN (${alertIds.map(() => '?').join(', ')}) ORDER BY id`).pluck().all(...alertIds) as number[];
    return ids.map((id) => this.store.get(id)!);
  }
}
