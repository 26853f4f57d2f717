import Database from 'better-sqlite3';
import { closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { readBuiltFile } from '../../core/package-files.js';
import type { LeaseGrant } from '../../core/writer-lease.js';
import { MIGRATIONS } from './migrations.js';
import { createFromSnapshot, snapshotVersion, STORE_SNAPSHOT_FILE } from './new-store-file.js';
import { renewStoreInstance } from './store-meta.js';
import { registerDnKey } from './user-key.js';
import { writeProblem } from './storage-fault.js';
import { SqliteWriterLease, type LeaseEnvironment } from './writer-lease.js';
import { UserFixableError } from '../../core/errors.js';

export type Db = Database.Database;

/** A problem with the db path or file that the user must fix (the CLI exits with code 2). */
export class StoreOpenError extends UserFixableError {}

/** The newest schema version this ouwatch writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
/**
 * The oldest schema readers understand: every table they read exists from this version on,
 * and from 13 a user's history rows are found by the user's number.
 */
export const READABLE_FROM = 13;
/** The schema version that has the writer lease. */
const LEASE_VERSION = 6;

/**
 * How a command uses the store:
 * - `write`: a writer (run, replay, …): creates the file (mode 0600), WAL mode, migrations;
 * - `read`: truly read-only (SQLite's read-only open): never migrates, never changes the
 *   journal mode, never creates the file;
 * - `annotate`: an analyst's small write (ack, close, requeue) beside a running writer:
 *   read-write but never migrates nor changes the journal mode.
 */
export type OpenMode = 'write' | 'read' | 'annotate';

export interface OpenOptions {
  /** Old spelling of `mode: 'read'`. */
  readonly?: boolean;
  mode?: OpenMode;
  /** `read`/`annotate`: the schema version the command needs (default READABLE_FROM). */
  minVersion?: number;
}

/**
 * Opens the SQLite store. A writer's `synchronous=NORMAL` in WAL mode survives a killed
 * process (a committed transaction is in the WAL); only a power cut can lose the last
 * transactions, never corrupt the file. Writers should hold the writer lease: `openWriter`.
 */
export function openDatabase(path: string, options: OpenOptions = {}): Db {
  const mode: OpenMode = options.mode ?? (options.readonly ? 'read' : 'write');
  if (mode !== 'write') return openExisting(path, mode, options.minVersion ?? READABLE_FROM);
  const db = openForWriting(path);
  try {
    migrate(db);
  } catch (err) {
    db.close();
    if (err instanceof StoreOpenError) throw err;
    throw new StoreOpenError(`cannot open db ${path}: ${(err as Error).message}`);
  }
  return db;
}

export interface Writer {
  db: Db;
  lease: SqliteWriterLease;
  grant: LeaseGrant;
}

/**
 * Opens the store for a writing command and takes its writer lease (LeaseHeldError when another
 * live process holds it). The lease is taken before any migration, so a second writer changes
 * nothing; a db older than the lease table is migrated first (no process of the old version
 * checks a lease anyway).
 */
export function openWriter(path: string, command: string, env: Partial<LeaseEnvironment> = {}): Writer {
  const db = openForWriting(path);
  try {
    if (userVersion(db) >= LEASE_VERSION) {
      const lease = new SqliteWriterLease(db, path, env);
      const grant = lease.acquire(command);
      migrate(db);
      return { db, lease, grant };
    }
    migrate(db);
    const lease = new SqliteWriterLease(db, path, env);
    return { db, lease, grant: lease.acquire(command) };
  } catch (err) {
    db.close();
    if (err instanceof StoreOpenError || !(err instanceof Database.SqliteError)) throw err;
    throw new StoreOpenError(`cannot open db ${path}: ${(err as Error).message}`);
  }
}

/** A new in-memory store: a copy of the image of a new store (newStoreImage), with an instance id of its own. */
function newInMemoryStore(): Db {
  const db = new Database(newStoreImage());
  renewStoreInstance(db);
  return db;
}

/** The image of a store just migrated, compacted: what the build ships as dist/store-schema.sqlite. */
export function migratedSnapshot(): Buffer {
  const db = new Database(':memory:');
  try {
    migrate(db);
    db.exec('VACUUM');
    return db.serialize();
  } finally {
    db.close();
  }
}

let snapshot: Buffer | undefined;

/**
 * The image every new store starts from: the build's (dist/store-schema.sqlite, read once),
 * or, from the sources or when that file is missing or of another schema version, one this
 * process migrates in memory once. A new store then costs a copy instead of the 15
 * migrations (13-18 ms from the build, about 25 ms from the sources, where the tests open
 * hundreds), and the sources start stores the way the package does.
 */
function newStoreImage(): Buffer {
  if (snapshot === undefined) {
    const built = readBuiltFile(STORE_SNAPSHOT_FILE);
    snapshot = built !== null && snapshotVersion(built) === SCHEMA_VERSION ? built : migratedSnapshot();
  }
  return snapshot;
}

/** Applies every migration newer than the file's `user_version`, each in its own transaction. */
export function migrate(db: Db): void {
  const current = userVersion(db);
  if (current > SCHEMA_VERSION) {
    throw new StoreOpenError(`db schema version ${current} is newer than this ouwatch understands (${SCHEMA_VERSION}); upgrade ouwatch`);
  }
  if (current < SCHEMA_VERSION) registerDnKey(db);
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
}

/**
 * SQLite's page cache, by how a writer commits (KiB). `bulk`, replay's large commits: see
 * openForWriting. `live`, the daemon's commits of a few hundred rows every 100 ms: a cache
 * that large filled over the first minutes of a live run (9 of the 17 MB its RSS grew in
 * 5 minutes at 20,000 lines/s, with 2 MiB instead), while the pages it would hold stay in the
 * kernel's file cache anyway, outside the process.
 */
export const PAGE_CACHE_KIB = { bulk: 16_384, live: 4_096 } as const;

export function sizePageCache(db: Db, use: keyof typeof PAGE_CACHE_KIB): void {
  db.pragma(`cache_size = -${PAGE_CACHE_KIB[use]}`);
}

export function userVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * A writer's connection: the file is created with mode 0600 (it holds DNs and evidence; SQLite
 * gives its -wal and -shm files the mode of the db file), then opened in WAL mode.
 */
function openForWriting(path: string): Db {
  const full = path === ':memory:' ? path : resolve(path);
  if (full !== ':memory:') {
    const st = statOrNull(full);
    if (st?.isDirectory()) throw new StoreOpenError(`db path ${path} is a directory, expected a file`);
    try {
      mkdirSync(dirname(full), { recursive: true });
    } catch (err) {
      throw new StoreOpenError(`cannot create the directory for db ${path}: ${(err as Error).message}`);
    }
    if (!st) {
      if (!createFromSnapshot(full, newStoreImage())) createPrivate(full, path);
    }
    const blocked = writeProblem(path);
    if (blocked !== null) throw new StoreOpenError(blocked.message);
  }
  let db: Db;
  try {
    db = full === ':memory:' ? newInMemoryStore() : new Database(full, { fileMustExist: false });
  } catch (err) {
    throw new StoreOpenError(`cannot open db ${path}: ${(err as Error).message}`);
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    // The writer's commits insert users, addresses and sessions at random places of large
    // B-trees: a 16 MiB page cache (default 2 MiB) keeps their inner pages in memory (800,000
    // random upserts into one such table: 8.8 µs a row, 11.1 with 8 MiB, 7.5 with 64). A
    // larger cache mostly fills with the pages alerts are appended to, which are not read
    // again: 64 MiB cost an alert storm 60 MB and made 2,000,000 lines of 1,000,000 users no faster.
    sizePageCache(db, 'bulk');
    // Pages are copied from the write-ahead log into the db once it holds this many (40 MB;
    // the default is 1,000): a page that several commits change (an inner page of the users'
    // DN index, a session table's last pages) is copied once instead of once per commit.
    // Many-users (2 M lines, 1 M users) took 0.92x the time (3 pairs, 1.078-1.088x faster),
    // storm 0.95x (5 pairs, noisy), at the same peak RSS; the log file stays at its largest
    // size between checkpoints (disk, not memory).
    db.pragma('wal_autocheckpoint = 10000');
  } catch (err) {
    db.close();
    throw new StoreOpenError(`cannot open db ${path}: ${(err as Error).message}`);
  }
  return db;
}

/** An empty file is a valid empty SQLite database: creating it ourselves sets its mode. */
function createPrivate(full: string, path: string): void {
  try {
    closeSync(openSync(full, 'wx', 0o600));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EEXIST') return;
    const why = e.code === 'EROFS' ? 'the file system is read-only (EROFS)' : e.code === 'EACCES' || e.code === 'EPERM' ? `its directory is not writable (${e.code})` : e.message;
    throw new StoreOpenError(`cannot create db ${path}: ${why}`);
  }
}

function openExisting(path: string, mode: 'read' | 'annotate', minVersion: number): Db {
  const full = resolve(path);
  const st = statOrNull(full);
  if (st?.isDirectory()) throw new StoreOpenError(`db path ${path} is a directory, expected a file`);
  if (!st) throw new StoreOpenError(`no database at ${path} (run 'ouwatch replay' or 'ouwatch run' first, or pass --db)`);
  let db: Db;
  try {
    db = new Database(full, { readonly: mode === 'read', fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    if (mode === 'annotate') db.pragma('foreign_keys = ON');
  } catch (err) {
    throw new StoreOpenError(`cannot open db ${path}: ${(err as Error).message}`);
  }
  try {
    const version = userVersion(db);
    if (version > SCHEMA_VERSION) {
      throw new StoreOpenError(`db ${path} has schema version ${version}, newer than this ouwatch understands (${SCHEMA_VERSION}); upgrade ouwatch`);
    }
    if (version < minVersion) {
      const what = version === 0 ? 'is not an ouwatch database yet' : `has schema version ${version}; this command needs ${minVersion}`;
      throw new StoreOpenError(`db ${path} ${what}: upgrade it with 'ouwatch upgrade --db ${path}' (a writer: ouwatch run and replay upgrade it too)`);
    }
  } catch (err) {
    db.close();
    if (err instanceof StoreOpenError) throw err;
    throw new StoreOpenError(`cannot read db ${path}: ${(err as Error).message}`);
  }
  return db;
}

function statOrNull(p: string) {
  try {
    return statSync(p);
  } catch {
    return null;
  }
}
