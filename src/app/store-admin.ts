import type { Log } from '../core/log.js';
import { SCHEMA_VERSION, openDatabase, userVersion } from '../store/sqlite/database.js';
import { openPostgres } from '../store/postgres/database.js';
import { PG_SCHEMA_VERSION } from '../store/postgres/migrations.js';
import type { Config } from './config.js';
import { withStoreWriter } from './store-access.js';
import { storeLocation } from './store-location.js';

/** What `ouwatch upgrade` did. */
export interface UpgradeReport {
  from: number;
  to: number;
}

/**
 * Brings a database's schema up to this ouwatch's version, as a writer (the lease is taken
 * first: a running daemon of another version is never migrated under its feet).
 */
export async function upgradeStore(config: Config, log: Log): Promise<UpgradeReport> {
  const loc = storeLocation(config);
  let from: number;
  if (loc.kind === 'sqlite') {
    const probe = openDatabase(loc.path, { mode: 'read', minVersion: 0 });
    from = userVersion(probe);
    probe.close();
  } else {
    const probe = await openPostgres(loc.pg, 'read', 0);
    from = probe.version;
    await probe.close();
  }
  await withStoreWriter(config, 'upgrade', log, () => undefined);
  return { from, to: loc.kind === 'sqlite' ? SCHEMA_VERSION : PG_SCHEMA_VERSION };
}
