import type pg from 'pg';
import type { RetentionOptions, RetentionStore } from '../../core/ports.js';
import type { RetentionPolicy, RetentionReport } from '../../core/retention.js';
import { RECOUNT_ORGANISATION } from '../organisation-sql.js';
import { inClientTransaction } from './review-sql.js';
import { oldestHistorySql } from '../retention-sql.js';

/** Rows per delete statement: a writer's commits interleave between chunks. */
const CHUNK = 5_000;
const HOUR = 3_600_000;

interface Step {
  table: string;
  /** Deletes at most $2 rows matching, with $1 the cutoff. */
  sql: string;
  cutoff: number;
}

/**
 * Retention on PostgreSQL: the same steps, cutoffs and exceptions as SQLite's
 * (store/sqlite/retention.ts), run on the connection `use` lends (the writer's, so a pass never
 * interleaves with a commit's statements).
 */
export class PgRetention implements RetentionStore {
  constructor(private readonly use: <T>(fn: (c: pg.ClientBase) => Promise<T>) => Promise<T>) {}

  apply(policy: RetentionPolicy, now: number, opts: RetentionOptions = {}): Promise<RetentionReport> {
    return this.use(async (c) => {
      const newest =
        opts.newest ??
        (await c.query<{ t: number | null }>(
          'SELECT GREATEST((SELECT max(last_seen) FROM users), (SELECT max(last_time) FROM alerts), (SELECT max(last_time) FROM incidents)) AS t',
        )).rows[0].t;
      const deleted: Record<string, number> = {};
      if (newest === null) return { newestLogTime: null, deleted };
      let stopped = false;
      if (opts.dryRun) await c.query('BEGIN');
      try {
        steps: for (const step of steps(policy, newest, now)) {
          for (;;) {
            if (opts.signal?.aborted) {
              stopped = true;
              break steps;
            }
            const n = (await c.query(step.sql, [step.cutoff, CHUNK])).rowCount ?? 0;
            deleted[step.table] = (deleted[step.table] ?? 0) + n;
            if (n < CHUNK) break;
          }
        }
        // Commits only add to the organisation's counts: addresses deleted are counted again.
        if ((deleted.user_ips ?? 0) > 0) {
          // In one transaction, so nobody reads the counts half rebuilt (a dry run is one already).
          const recount = async (t: pg.ClientBase) => {
            for (const sql of RECOUNT_ORGANISATION) await t.query(sql);
          };
          await (opts.dryRun ? recount(c) : inClientTransaction(c, recount));
        }
      } finally {
        // A dry run counts by deleting in one transaction that is rolled back.
        if (opts.dryRun) await c.query('ROLLBACK');
      }
      return stopped ? { newestLogTime: newest, deleted, stopped } : { newestLogTime: newest, deleted };
    });
  }

  oldestHistory(): Promise<number | null> {
    // Every table exists on PostgreSQL (one schema, created whole).
    return this.use(async (c) => {
      const t = (await c.query<{ t: string | number | null }>(oldestHistorySql(() => true)!)).rows[0].t;
      return t === null ? null : Number(t);
    });
  }
}

function steps(p: RetentionPolicy, newest: number, now: number): Step[] {
  const out: Step[] = [{ table: 'detector_state', cutoff: newest, sql: keyed('detector_state', ['scope', 'key'], 'expires IS NOT NULL AND expires < $1') }];
  if (p.events !== null) {
    const c = newest - p.events;
    out.push(
      { table: 'detector_state', cutoff: c, sql: keyed('detector_state', ['scope', 'key'], 'key IN (SELECT dn FROM users WHERE last_seen < $1)') },
      { table: 'session_ips', cutoff: c, sql: keyed('session_ips', ['user_id', 'session_id', 'ip'], 'last_seen < $1') },
      { table: 'sessions', cutoff: c, sql: keyed('sessions', ['user_id', 'session_id'], 'last_seen < $1') },
      { table: 'user_ips', cutoff: c, sql: keyed('user_ips', ['user_id', 'ip'], 'last_seen < $1') },
      { table: 'user_countries', cutoff: c, sql: keyed('user_countries', ['user_id', 'country'], 'last_seen < $1') },
      { table: 'users', cutoff: c, sql: keyed('users', ['id'], 'last_seen < $1') },
      { table: 'user_activity', cutoff: c - HOUR, sql: keyed('user_activity', ['user_id', 'hour', 'ip'], 'hour <= $1') },
    );
  }
  if (p.incidents !== null) out.push({ table: 'incidents', cutoff: newest - p.incidents, sql: keyed('incidents', ['id'], `status = 'closed' AND last_time < $1`) });
  if (p.alerts !== null) {
    const inOpenIncident = ` AND NOT EXISTS (SELECT 1 FROM incident_alerts ia JOIN incidents i ON i.id = ia.incident_id WHERE ia.alert_id = alerts.id AND i.status <> 'closed')`;
    out.push({ table: 'alerts', cutoff: newest - p.alerts, sql: keyed('alerts', ['id'], `status = 'closed' AND last_time < $1${inOpenIncident}`) });
    const wall = now - p.alerts;
    out.push(
      { table: 'outbox', cutoff: wall, sql: keyed('outbox', ['id'], `status = 'delivered' AND finished_at < $1`) },
      {
        table: 'actions',
        cutoff: wall,
        sql: keyed(
          'actions',
          ['id'],
          `action = 'end-session' AND status NOT IN ('queued', 'retrying') AND created_at < $1
           AND (alert_id IS NULL OR alert_id NOT IN (SELECT id FROM alerts))
           AND id NOT IN (SELECT action_id FROM outbox WHERE action_id IS NOT NULL)`,
        ),
      },
    );
  }
  return out;
}

function keyed(table: string, key: string[], where: string): string {
  const cols = key.join(', ');
  const lhs = key.length === 1 ? cols : `(${cols})`;
  return `DELETE FROM ${table} WHERE ${lhs} IN (SELECT ${cols} FROM ${table} WHERE ${where} LIMIT $2)`;
}
