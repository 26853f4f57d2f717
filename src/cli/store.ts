import type { Command } from 'commander';
import { upgradeStore } from '../app/store-admin.js';
import { stderrLog } from '../core/log.js';
import { DEFAULT_DB } from './common.js';

/** `ouwatch upgrade`: the store's own maintenance. */
export function registerStore(program: Command): void {
  program
    .command('upgrade')
    .description('bring a database to the schema of this ouwatch (readers never migrate; writers run and replay do it too)')
    .option('--db <path>', 'SQLite database', DEFAULT_DB)
    .action(async (flags: { db: string }) => {
      const r = await upgradeStore(flags.db, stderrLog());
      process.stdout.write(r.from === r.to ? `${flags.db} is at schema version ${r.to}: nothing to do\n` : `${flags.db} upgraded from schema version ${r.from} to ${r.to}\n`);
    });
}
