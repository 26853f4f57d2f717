import type { UserHistory } from '../../core/history.js';
import type { ActivityRow, UserQueries } from '../../core/review-ports.js';
import type { Db } from './database.js';
import { readUserHistory, similarDns } from './user-history.js';
import { userByDn } from './user-key.js';

/** A user's history and activity for the analyst's commands and the console. */
export class SqliteUserQueries implements UserQueries {
  private readonly activityStmt;
  private readonly byDn;

  constructor(private readonly db: Db) {
    this.byDn = userByDn(db);
    this.activityStmt = db.prepare(
      `SELECT hour, ip, country, events, failures FROM user_activity WHERE user_id = (SELECT id FROM users WHERE ${this.byDn.where}) AND hour >= ? AND hour < ? ORDER BY hour, ip`,
    );
  }

  async history(dn: string, maxSessions: number): Promise<UserHistory | null> {
    return readUserHistory(this.db, dn, maxSessions);
  }

  async similar(dn: string, limit: number): Promise<string[]> {
    return similarDns(this.db, dn, limit);
  }

  async activity(dn: string, from: number, to: number): Promise<ActivityRow[]> {
    return this.activityStmt.all(...this.byDn.params(dn), from, to) as ActivityRow[];
  }
}
