import Database from 'better-sqlite3';
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

/** A problem with the db path or file that the user must fix (the CLI exits with code 2). */
export class StoreOpenError extends Error {}

/**
 * Opens (creating if needed) the SQLite store in WAL mode and brings its schema up to date.
 * `synchronous=NORMAL` in WAL mode survives a killed process (a committed transaction is in the
 * WAL); only a power cut can lose the last transactions, never corrupt the file.
 */
export function openDatabase(path: string, options: { readonly?: boolean } = {}): Db {
  const full = path === ':memory:' ? path : resolve(path);
  if (full !== ':memory:') {
    const st = statOrNull(full);
    if (st?.isDirectory()) throw new StoreOpenError(`db path ${path} is a directory, expected a file`);
    if (!st && options.readonly) throw new StoreOpenError(`no database at ${path} (run 'ouwatch replay' or 'ouwatch run' first, or pass --db)`);
    try {
      mkdirSync(dirname(full), { recursive: true });
    } catch (err) {
      throw new StoreOpenError(`cannot create the directory for db ${path}: ${(err as Error).message}`);
    }
  }
  let db: Db;
  try {
    db = new Database(full, { fileMustExist: false });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    migrate(db);
  } catch (err) {
    if (err instanceof StoreOpenError) throw err;
    throw new StoreOpenError(`cannot open db ${path}: ${(err as Error).message}`);
  }
  return db;
}

/** Applies every migration newer than the file's `user_version`, each in its own transaction. */
export function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  const newest = MIGRATIONS[MIGRATIONS.length - 1].version;
  if (current > newest) {
    throw new StoreOpenError(`db schema version ${current} is newer than this ouwatch understands (${newest}); upgrade ouwatch`);
  }
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
}

function statOrNull(p: string) {
  try {
    return statSync(p);
  } catch {
    return null;
  }
}
