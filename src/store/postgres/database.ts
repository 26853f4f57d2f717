import type pg from 'pg';
import { StoreOpenError } from '../sqlite/database.js';
import { openError, openPool, type PgLocation } from './connection.js';
import { PG_MIGRATIONS, PG_SCHEMA_VERSION } from './migrations.js';

/** The oldest schema readers understand (as on SQLite: a user's history rows found by the user's number). */
export const PG_READABLE_FROM = 13;

/** Advisory lock keys (two int4: 'ouwa' and what the lock is for); advisory locks are per database. */
export const LOCK_SPACE = 0x6f757761;
export const WRITER_LOCK = 1;
const MIGRATION_LOCK = 2;

export type PgOpenMode = 'write' | 'read' | 'annotate';

/** A PostgreSQL store: a pool, where it is, and what the database holds. */
export interface PgDatabase {
  pool: pg.Pool;
  location: PgLocation;
  /** The schema version found (after migrating, for a writer). */
  version: number;
  close(): Promise<void>;
}

/**
 * Connects to the database and checks its schema: a writer migrates it to this version (under
 * an advisory lock, so two processes starting together migrate once), a reader or an analyst's
 * small write only accepts a version it understands. Connection problems are StoreOpenError.
 */
export async function openPostgres(loc: PgLocation, mode: PgOpenMode, minVersion = PG_READABLE_FROM): Promise<PgDatabase> {
  const pool = openPool(loc);
  try {
    const version = mode === 'write' ? await migratePostgres(pool) : await checkVersion(pool, loc, minVersion);
    return { pool, location: loc, version, close: () => pool.end() };
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw openError(loc, err);
  }
}

/** The version recorded in `ouwatch_schema` (0: not an ouwatch database yet). */
export async function schemaVersion(q: pg.Pool | pg.ClientBase): Promise<number> {
  const exists = await q.query<{ t: string | null }>(`SELECT to_regclass('ouwatch_schema')::text AS t`);
  if (exists.rows[0].t === null) return 0;
  const r = await q.query<{ v: number | null }>('SELECT max(version)::bigint AS v FROM ouwatch_schema');
  return r.rows[0].v ?? 0;
}

/** Applies every migration newer than the database's version, each in its own transaction. */
export async function migratePostgres(pool: pg.Pool): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1, $2)', [LOCK_SPACE, MIGRATION_LOCK]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS ouwatch_schema (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
      const current = await schemaVersion(client);
      if (current > PG_SCHEMA_VERSION) {
        throw new StoreOpenError(`schema version ${current} is newer than this ouwatch understands (${PG_SCHEMA_VERSION}); upgrade ouwatch`);
      }
      for (const m of PG_MIGRATIONS) {
        if (m.version <= current) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query('INSERT INTO ouwatch_schema (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
      }
      return PG_SCHEMA_VERSION;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_SPACE, MIGRATION_LOCK]).catch(() => undefined);
    }
  } finally {
    client.release();
  }
}

async function checkVersion(pool: pg.Pool, loc: PgLocation, minVersion: number): Promise<number> {
  const version = await schemaVersion(pool);
  if (version > PG_SCHEMA_VERSION) {
    throw new StoreOpenError(`${loc.url} has schema version ${version}, newer than this ouwatch understands (${PG_SCHEMA_VERSION}); upgrade ouwatch`);
  }
  if (version < minVersion) {
    const what = version === 0 ? 'is not an ouwatch database yet' : `has schema version ${version}; this command needs ${minVersion}`;
    throw new StoreOpenError(`${loc.url} ${what}: run 'ouwatch upgrade --db ${loc.url}' (a writer: ouwatch run and replay create and upgrade it too)`);
  }
  return version;
}
