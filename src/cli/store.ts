import type { Command } from 'commander';
import { upgradeStore } from '../app/store-admin.js';
import { describeRetention, pruneStore } from '../app/retention.js';
import { resolveConfig } from '../app/config.js';
import { stderrLog } from '../core/log.js';
import { DEFAULT_DB } from './options.js';

/** `ouwatch upgrade` and `ouwatch prune`: the store's own maintenance. */
export function registerStore(program: Command): void {
  program
    .command('upgrade')
    .description('bring a database to the schema of this ouwatch (readers never migrate; writers run and replay do it too)')
    .option('--db <path|url>', `SQLite database file or postgres://user@host:port/database (default: ${DEFAULT_DB})`, DEFAULT_DB)
    .action(async (flags: { db: string }) => {
      const config = resolveConfig({ db: flags.db });
      const r = await upgradeStore(config, stderrLog());
      const name = config.store.path;
      process.stdout.write(r.from === r.to ? `${name} is at schema version ${r.to}: nothing to do\n` : `${name} upgraded from schema version ${r.from} to ${r.to}\n`);
    });

  program
    .command('prune')
    .description('apply the retention of store.retention once (the daemon applies it itself, every store.retention.every)')
    .option('--db <path|url>', 'SQLite database file or postgres://user@host:port/database (default: store.path or store.url of the config, ./ouwatch.db)')
    .option('--config <file>', 'configuration file (YAML): store.retention')
    .option('--dry-run', 'count what would be deleted, delete nothing')
    .option('--json', 'print the counts as one JSON object')
    .action(async (flags: { db?: string; config?: string; dryRun?: boolean; json?: boolean }) => {
      const config = resolveConfig(flags);
      const r = await pruneStore(config, stderrLog(), { dryRun: flags.dryRun });
      const dryRun = flags.dryRun === true;
      process.stdout.write(flags.json ? JSON.stringify({ dryRun, newestLogTime: r.newestLogTime === null ? null : new Date(r.newestLogTime).toISOString(), deleted: r.deleted }) + '\n' : describeRetention(r, dryRun) + '\n');
    });
}
