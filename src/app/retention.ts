import type { Config } from './config.js';
import type { Runtime } from './runtime.js';
import type { Log } from '../core/log.js';
import { durationMs } from '../core/duration.js';
import { totalDeleted, type RetentionPolicy, type RetentionReport } from '../core/retention.js';
import { withStoreWriter } from './store-access.js';
import { existsSync } from 'node:fs';
import { StoreOpenError } from '../store/sqlite/database.js';
import { openPostgres } from '../store/postgres/database.js';
import { storeLocation } from './store-location.js';

export function retentionPolicy(config: Config): RetentionPolicy {
  const r = config.store.retention;
  const ms = (t: string | null) => (t === null ? null : durationMs(t));
  return { events: ms(r.events), alerts: ms(r.alerts), incidents: ms(r.incidents) };
}

/** How often the daemon applies it (ms). */
export function retentionEvery(config: Config): number {
  return durationMs(config.store.retention.every);
}

/**
 * `ouwatch prune`: retention applied once, as a writer (refused while a daemon writes: it
 * prunes itself). A missing database (or one ouwatch never wrote) is an error, not created.
 */
export async function pruneStore(config: Config, log: Log, opts: { dryRun?: boolean; now?: number } = {}): Promise<RetentionReport> {
  const loc = storeLocation(config);
  if (loc.kind === 'sqlite' && !existsSync(loc.path)) throw new StoreOpenError(`no database at ${loc.path} (pass --db or store.path)`);
  if (loc.kind === 'postgres') await (await openPostgres(loc.pg, 'read', 1)).close();
  return withStoreWriter(config, 'prune', log, (w) => w.retention.apply(retentionPolicy(config), opts.now ?? Date.now(), { dryRun: opts.dryRun }));
}

/**
 * The daemon's pass, between two commits (call it right after one): deletes what the policy no
 * longer keeps, then forgets the per-user history held in memory, so that a user whose rows
 * were deleted is read again from the store (as new) rather than written back from memory.
 * SQLite deletes synchronously, before the next commit can start; PostgreSQL deletes on the
 * writer's connection, between commits, and memory is forgotten when it is done (a commit
 * gathered meanwhile writes only users active since the last commit, which retention keeps).
 */
export function applyRetention(runtime: Runtime, log: Log, now: number = Date.now()): Promise<RetentionReport> {
  const done = (report: RetentionReport): RetentionReport => {
    if (totalDeleted(report) > 0) {
      runtime.history.rolledBack();
      const parts = Object.entries(report.deleted).filter(([, n]) => n > 0).map(([t, n]) => `${t} ${n}`);
      log.info(`retention: deleted ${parts.join(', ')} (ages measured back from the newest log time, ${new Date(report.newestLogTime!).toISOString()})`, { deleted: report.deleted });
    }
    return report;
  };
  try {
    const r = runtime.retention.apply(retentionPolicy(runtime.config), now);
    return r instanceof Promise ? r.then(done) : Promise.resolve(done(r));
  } catch (err) {
    return Promise.reject(err);
  }
}

export function describeRetention(r: RetentionReport, dryRun: boolean): string {
  if (r.newestLogTime === null) return 'the store is empty: nothing to prune';
  const verb = dryRun ? 'would delete' : 'deleted';
  const parts = Object.entries(r.deleted).map(([t, n]) => `${t} ${n}`);
  return `${verb} ${totalDeleted(r)} rows (${parts.join(', ')}); ages measured back from the newest log time, ${new Date(r.newestLogTime).toISOString()}`;
}
