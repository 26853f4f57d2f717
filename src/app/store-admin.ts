import type { Log } from '../core/log.js';
import { SCHEMA_VERSION, openDatabase, userVersion } from '../store/sqlite/database.js';
import { withWriter } from './store-access.js';

/** What `ouwatch upgrade` did. */
export interface UpgradeReport {
  from: number;
  to: number;
}

/**
 * Brings a database's schema up to this ouwatch's version, as a writer (the lease is taken
 * first: a running daemon of another version is never migrated under its feet).
 */
export async function upgradeStore(path: string, log: Log): Promise<UpgradeReport> {
  const probe = openDatabase(path, { mode: 'read', minVersion: 0 });
  const from = userVersion(probe);
  probe.close();
  await withWriter(path, 'upgrade', log, () => undefined);
  return { from, to: SCHEMA_VERSION };
}
