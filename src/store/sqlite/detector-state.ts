import type { Db } from './database.js';

/**
 * Rows of detector state (windows, pending pairs, last locations) as JSON text, namespaced by
 * `scope` (rule id and detector). The detection engine reads a key once when it is first
 * needed and writes changes inside the commit transaction.
 */
export class DetectorStateStore {
  private readonly stmt;

  constructor(db: Db) {
    this.stmt = {
      get: db.prepare('SELECT state FROM detector_state WHERE scope = ? AND key = ?').pluck(),
      put: db.prepare(`INSERT INTO detector_state (scope, key, state, expires) VALUES (?, ?, ?, ?)
        ON CONFLICT (scope, key) DO UPDATE SET state = excluded.state, expires = excluded.expires`),
      delete: db.prepare('DELETE FROM detector_state WHERE scope = ? AND key = ?'),
      deleteExpired: db.prepare('DELETE FROM detector_state WHERE expires IS NOT NULL AND expires < ?'),
      all: db.prepare('SELECT key, state FROM detector_state WHERE scope = ?').raw(),
      any: db.prepare('SELECT EXISTS (SELECT 1 FROM detector_state WHERE scope = ?)').pluck(),
    };
  }

  get(scope: string, key: string): string | undefined {
    return this.stmt.get.get(scope, key) as string | undefined;
  }

  put(scope: string, key: string, json: string, expires: number | null): void {
    this.stmt.put.run(scope, key, json, expires);
  }

  delete(scope: string, key: string): void {
    this.stmt.delete.run(scope, key);
  }

  /** Drops state that no longer matters at log time `now` (windows that have closed). */
  deleteExpired(now: number): void {
    this.stmt.deleteExpired.run(now);
  }

  all(scope: string): Array<[string, string]> {
    return this.stmt.all.all(scope) as Array<[string, string]>;
  }

  hasAny(scope: string): boolean {
    return this.stmt.any.get(scope) === 1;
  }
}
