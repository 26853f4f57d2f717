import type pg from 'pg';
import type { ActionRecord } from '../../core/actions.js';
import type { OutboxKind } from '../../core/actions.js';
import type { ActionListFilter, ActionQueries, OutboxHealth, PageRequest, ReviewStore } from '../../core/review-ports.js';
import { actionFromRow, type ActionRow } from '../sqlite/actions.js';
import { PgActionStore } from './actions.js';
import { PgAlertQueries } from './alert-queries.js';
import { openError, openPool, type PgLocation } from './connection.js';
import { PG_READABLE_FROM, migratePostgres, schemaVersion } from './database.js';
import { PgIncidentQueries } from './incident-queries.js';
import { PG_SCHEMA_VERSION } from './migrations.js';
import { PgOutboxStore } from './outbox.js';
import { PgWhere } from './review-sql.js';
import { PgUserQueries } from './user-queries.js';
import { StoreOpenError } from '../sqlite/database.js';

/** Reads of the action log for `ouwatch actions` and the console. */
class PgActionQueries implements ActionQueries {
  constructor(private readonly pool: pg.Pool) {}

  async list(f: ActionListFilter, page: Omit<PageRequest, 'sort'>): Promise<{ items: ActionRecord[]; total: number }> {
    const w = new PgWhere();
    w.anyOf('status', f.statuses);
    if (f.dn !== undefined) w.add(`dn = ${w.p(f.dn)}`);
    w.pattern('dn', f.dnPattern);
    if (f.since !== undefined) w.add(`created_at >= ${w.p(f.since)}`);
    if (f.until !== undefined) w.add(`created_at <= ${w.p(f.until)}`);
    const n = w.args.length;
    const items = (await this.pool.query<ActionRow>(`SELECT * FROM actions ${w.sql} ORDER BY id DESC LIMIT $${n + 1} OFFSET $${n + 2}`, [...w.args, page.limit, page.offset])).rows.map(actionFromRow);
    const total = (await this.pool.query<{ n: number }>(`SELECT count(*) AS n FROM actions ${w.sql}`, w.args)).rows[0].n;
    return { items, total };
  }

  async get(id: number): Promise<ActionRecord | null> {
    const r = await this.pool.query<ActionRow>('SELECT * FROM actions WHERE id = $1', [id]);
    return r.rows.length === 0 ? null : actionFromRow(r.rows[0]);
  }

  async forAlerts(alertIds: string[]): Promise<ActionRecord[]> {
    if (alertIds.length === 0) return [];
    return (await this.pool.query<ActionRow>('SELECT * FROM actions WHERE alert_id = ANY($1::text[]) ORDER BY id', [alertIds])).rows.map(actionFromRow);
  }
}

/**
 * The review ports over a pool of their own. The schema is checked before the first query (it
 * is opened synchronously, like SQLite's): an unreachable server or a database of another
 * version is a StoreOpenError from the first call. Only `create` migrates (a person's action
 * recorded in a database nothing wrote yet).
 */
export function openPgReviewStore(loc: PgLocation, opts: { create?: boolean; write?: boolean } = {}): ReviewStore {
  const pool = openPool(loc);
  const ready = (async () => {
    if (opts.create === true) return migratePostgres(pool);
    const version = await schemaVersion(pool);
    if (version > PG_SCHEMA_VERSION) throw new StoreOpenError(`${loc.url} has schema version ${version}, newer than this ouwatch understands (${PG_SCHEMA_VERSION}); upgrade ouwatch`);
    if (version < PG_READABLE_FROM) {
      throw new StoreOpenError(`${loc.url} ${version === 0 ? 'is not an ouwatch database yet' : `has schema version ${version}`}: run 'ouwatch replay' or 'ouwatch run' on it first, or 'ouwatch upgrade --db ${loc.url}'`);
    }
    return version;
  })().catch((err: unknown) => {
    throw openError(loc, err);
  });
  // Every call waits for the check; an unhandled rejection must not end the process first.
  ready.catch(() => undefined);
  const checked = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(t, key, receiver) {
        const v = Reflect.get(t, key, receiver) as unknown;
        if (typeof v !== 'function') return v;
        return async (...args: unknown[]) => {
          await ready;
          return (v as (...a: unknown[]) => unknown).apply(t, args);
        };
      },
    });
  const outbox = new PgOutboxStore(pool);
  return {
    name: loc.url,
    alerts: checked(new PgAlertQueries(pool)),
    incidents: checked(new PgIncidentQueries(pool)),
    users: checked(new PgUserQueries(pool)),
    actions: checked(new PgActionQueries(pool)),
    actionLog: checked(new PgActionStore(pool)),
    async outboxHealth(): Promise<OutboxHealth> {
      await ready;
      const oldest = (await pool.query<{ t: number | null }>(`SELECT min(created_at) AS t FROM outbox WHERE status = 'pending'`)).rows[0].t;
      const failure = (await pool.query<{ finished_at: number | null; kind: OutboxKind; last_error: string | null }>(`SELECT finished_at, kind, last_error FROM outbox WHERE status = 'failed' ORDER BY finished_at DESC LIMIT 1`)).rows[0];
      return {
        counts: await outbox.counts(),
        oldestPending: oldest === null ? null : new Date(oldest).toISOString(),
        lastFailure: failure === undefined ? null : { at: new Date(failure.finished_at ?? 0).toISOString(), kind: failure.kind, error: failure.last_error },
      };
    },
    close: () => void pool.end().catch(() => undefined),
  };
}
