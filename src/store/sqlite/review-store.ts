import type { OutboxKind } from '../../core/actions.js';
import type { OutboxStatus } from '../../core/delivery.js';
import type { OutboxHealth, ReviewStore } from '../../core/review-ports.js';
import { SqliteActionQueries } from './action-queries.js';
import { ActionStore } from './actions.js';
import { SqliteAlertQueries } from './alert-queries.js';
import { openDatabase } from './database.js';
import { SqliteIncidentStore } from './incidents.js';
import { OutboxStore } from './outbox.js';
import { registerFunctions } from './review-sql.js';
import { SqliteUserQueries } from './user-queries.js';

/**
 * The review ports over one SQLite connection of its own. In WAL mode its reads never wait
 * for a writer (the daemon) and never hold one up; status changes are short transactions.
 * The file must exist unless `create` (reviewing an empty path is a mistake: StoreOpenError).
 */
export function openSqliteReviewStore(path: string, opts: { create?: boolean; write?: boolean } = {}): ReviewStore {
  // Reads open the file read-only; an analyst's status change opens it read-write without
  // migrating (beside a running writer); only `create` may make and migrate a store.
  const db = openDatabase(path, { mode: opts.create === true ? 'write' : opts.write === true ? 'annotate' : 'read' });
  registerFunctions(db);
  const outbox = new OutboxStore(db);
  return {
    name: path,
    alerts: new SqliteAlertQueries(db),
    incidents: new SqliteIncidentStore(db),
    users: new SqliteUserQueries(db),
    actions: new SqliteActionQueries(db),
    actionLog: new ActionStore(db),
    async outboxHealth(): Promise<OutboxHealth> {
      const oldest = db.prepare(`SELECT min(created_at) FROM outbox WHERE status = 'pending'`).pluck().get() as number | null;
      const failure = db.prepare(`SELECT finished_at, kind, last_error FROM outbox WHERE status = 'failed' ORDER BY finished_at DESC LIMIT 1`).get() as
        | { finished_at: number | null; kind: OutboxKind; last_error: string | null }
        | undefined;
      return {
        counts: outbox.counts() as Array<{ kind: OutboxKind; status: OutboxStatus; n: number }>,
        oldestPending: oldest === null ? null : new Date(oldest).toISOString(),
        lastFailure: failure === undefined ? null : { at: new Date(failure.finished_at ?? 0).toISOString(), kind: failure.kind, error: failure.last_error },
      };
    },
    close: () => db.close(),
  };
}
