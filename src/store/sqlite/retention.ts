import { setImmediate } from 'node:timers/promises';
import type Database from 'better-sqlite3';
import type { RetentionOptions, RetentionStore } from '../../core/ports.js';
import type { RetentionPolicy, RetentionReport } from '../../core/retention.js';
import type { Db } from './database.js';
import { RECOUNT_ORGANISATION } from '../organisation-sql.js';
import { oldestHistorySql } from '../retention-sql.js';

/** Rows per delete transaction: the WAL stays small and a writer's commits interleave. */
const CHUNK = 5_000;
const HOUR = 3_600_000;

interface Step {
  table: string;
  /** Deletes at most `limit` rows; `?` placeholders are `cutoff` then `limit`. */
  sql: string;
  cutoff: number;
}

/**
 * Retention on SQLite (core/retention.ts). The incident tables come with schema version 5 (a
 * later branch): they are pruned only when sqlite_master has them, so this works on stores
 * with and without them.
 */
export class SqliteRetention implements RetentionStore {
  constructor(private readonly db: Db) {}

  /**
   * A pass deletes in transactions of CHUNK rows and lets the event loop run between them
   * (a daemon keeps answering /healthz and hears SIGTERM during a pass of millions of rows,
   * and `signal` can stop it there). A dry run is one transaction, rolled back: synchronous.
   */
  async apply(policy: RetentionPolicy, now: number, opts: RetentionOptions = {}): Promise<RetentionReport> {
    const has = this.tables();
    const newest = opts.newest ?? this.newestLogTime(has);
    if (newest === null) return { newestLogTime: null, deleted: {} };
    const steps = this.steps(policy, newest, now, has);
    if (opts.dryRun) return { newestLogTime: newest, deleted: this.countDeletable(steps, has) };
    const deleted: Record<string, number> = {};
    let stopped = false;
    steps: for (const step of steps) {
      const stmt = this.db.prepare(step.sql);
      for (;;) {
        if (opts.signal?.aborted) {
          stopped = true;
          break steps;
        }
        if (!this.deleteChunk(step, stmt, deleted)) break;
        await setImmediate();
      }
    }
    this.recountIfAddressesWent(deleted, has);
    return stopped ? { newestLogTime: newest, deleted, stopped } : { newestLogTime: newest, deleted };
  }

  /** What a pass would delete: every step in one transaction that is rolled back. */
  private countDeletable(steps: Step[], has: Set<string>): Record<string, number> {
    const deleted: Record<string, number> = {};
    const rollback = new Error('dry run');
    try {
      this.db.transaction(() => {
        for (const step of steps) {
          const stmt = this.db.prepare(step.sql);
          while (this.deleteChunk(step, stmt, deleted));
        }
        this.recountIfAddressesWent(deleted, has);
        throw rollback;
      })();
    } catch (err) {
      if (err !== rollback) throw err;
    }
    return deleted;
  }

  /**
   * Deletes up to CHUNK rows of `step` (its statement, prepared once for all its chunks) in a
   * transaction of its own (a savepoint inside a dry run's), counted into `deleted`; true when
   * it took a whole chunk, so more may be left.
   */
  private deleteChunk(step: Step, stmt: Database.Statement, deleted: Record<string, number>): boolean {
    const n = this.db.transaction(() => stmt.run(step.cutoff, CHUNK).changes)();
    deleted[step.table] = (deleted[step.table] ?? 0) + n;
    return n === CHUNK;
  }

  /** Commits only add to the organisation's counts: addresses deleted are counted again. */
  private recountIfAddressesWent(deleted: Record<string, number>, has: Set<string>): void {
    if ((deleted.user_ips ?? 0) === 0 || !has.has('organisation_counts')) return;
    this.db.transaction(() => {
      for (const sql of RECOUNT_ORGANISATION) this.db.prepare(sql).run();
    })();
  }

  private steps(p: RetentionPolicy, newest: number, now: number, has: Set<string>): Step[] {
    const steps: Step[] = [];
    // Expired detector state means nothing whatever the policy (its own expiry, in log time).
    steps.push({ table: 'detector_state', cutoff: newest, sql: keyed('detector_state', ['scope', 'key'], 'expires IS NOT NULL AND expires < ?') });
    if (p.events !== null) {
      const c = newest - p.events;
      steps.push(
        // A forgotten user's detector state (the last location impossible-travel keeps) goes with them.
        { table: 'detector_state', cutoff: c, sql: keyed('detector_state', ['scope', 'key'], 'key IN (SELECT dn FROM users WHERE last_seen < ?)') },
        { table: 'session_ips', cutoff: c, sql: keyed('session_ips', ['user_id', 'session_id', 'ip'], 'last_seen < ?') },
        { table: 'sessions', cutoff: c, sql: keyed('sessions', ['user_id', 'session_id'], 'last_seen < ?') },
        { table: 'user_ips', cutoff: c, sql: keyed('user_ips', ['user_id', 'ip'], 'last_seen < ?') },
        { table: 'user_countries', cutoff: c, sql: keyed('user_countries', ['user_id', 'country'], 'last_seen < ?') },
        { table: 'users', cutoff: c, sql: keyed('users', ['id'], 'last_seen < ?') },
      );
      // An hour's bucket goes once all of it is older than the cutoff.
      if (has.has('user_activity')) steps.push({ table: 'user_activity', cutoff: c - HOUR, sql: keyed('user_activity', ['user_id', 'hour', 'ip'], 'hour <= ?') });
    }
    if (p.incidents !== null && has.has('incidents')) {
      steps.push({ table: 'incidents', cutoff: newest - p.incidents, sql: keyed('incidents', ['rowid'], `status = 'closed' AND last_time < ?`) });
    }
    if (p.alerts !== null) {
      // A closed alert stays while an incident that is not closed holds it.
      const inOpenIncident = has.has('incident_alerts')
        ? ` AND NOT EXISTS (SELECT 1 FROM incident_alerts ia JOIN incidents i ON i.id = ia.incident_id WHERE ia.alert_id = alerts.id AND i.status <> 'closed')`
        : '';
      steps.push({ table: 'alerts', cutoff: newest - p.alerts, sql: keyed('alerts', ['rowid'], `status = 'closed' AND last_time < ?${inOpenIncident}`) });
      // What happened at wall-clock time goes by the wall clock: delivered notifications and
      // actions, then finished end-session actions whose alert is gone and nothing refers to.
      // Breaker actions stay: the latest one says whether the breaker is open.
      const wall = now - p.alerts;
      steps.push(
        { table: 'outbox', cutoff: wall, sql: keyed('outbox', ['id'], `status = 'delivered' AND finished_at < ?`) },
        {
          table: 'actions',
          cutoff: wall,
          sql: keyed(
            'actions',
            ['id'],
            `action = 'end-session' AND status NOT IN ('queued', 'retrying') AND created_at < ?
             AND (alert_id IS NULL OR alert_id NOT IN (SELECT id FROM alerts))
             AND id NOT IN (SELECT action_id FROM outbox WHERE action_id IS NOT NULL)`,
          ),
        },
      );
    }
    return steps;
  }

  oldestHistory(): number | null {
    const has = this.tables();
    const sql = oldestHistorySql((t) => has.has(t));
    return sql === null ? null : (this.db.prepare(sql).get() as { t: number | null }).t;
  }

  /** The newest log time the store holds: what history and alert ages are measured back from. */
  private newestLogTime(has: Set<string>): number | null {
    const parts = ['SELECT MAX(last_seen) AS t FROM users', 'SELECT MAX(last_time) AS t FROM alerts'];
    if (has.has('incidents')) parts.push('SELECT MAX(last_time) AS t FROM incidents');
    const row = this.db.prepare(`SELECT MAX(t) AS t FROM (${parts.join(' UNION ALL ')})`).get() as { t: number | null };
    return row.t;
  }

  private tables(): Set<string> {
    return new Set((this.db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as Array<{ name: string }>).map((r) => r.name));
  }
}

/** DELETE of at most `?` rows matching `where`, chosen by their key columns (rowid or primary key). */
function keyed(table: string, key: string[], where: string): string {
  const cols = key.join(', ');
  const lhs = key.length === 1 ? cols : `(${cols})`;
  return `DELETE FROM ${table} WHERE ${lhs} IN (SELECT ${cols} FROM ${table} WHERE ${where} LIMIT ?)`;
}
