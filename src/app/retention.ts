import type { Config } from './config.js';
import type { Log } from '../core/log.js';
import { listDeleted, totalDeleted, type RetentionReport } from '../core/retention.js';
import { retentionPolicy } from './retention-schedule.js';
import { withStoreWriter } from './store-access.js';
import { existsSync } from 'node:fs';
import { StoreOpenError } from '../store/sqlite/database.js';
import { openPostgres } from '../store/postgres/database.js';
import { storeLocation } from './store-location.js';

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

export function describeRetention(r: RetentionReport, dryRun: boolean): string {
  if (r.newestLogTime === null) return 'the store is empty: nothing to prune';
  const verb = dryRun ? 'would delete' : 'deleted';
  return `${verb} ${totalDeleted(r)} rows (${listDeleted(r.deleted, { zeros: true })}); ages measured back from the newest log time, ${new Date(r.newestLogTime).toISOString()}`;
}
