import { createRequire } from 'node:module';
import type pg from 'pg';
import { StoreOpenError } from '../sqlite/database.js';

let pgModule: typeof pg | null = null;

/**
 * The `pg` client library, loaded at its first use: most runs use SQLite, and loading `pg`
 * (with the modules it pulls in) was a sixth of the start-up of a review command.
 */
export function pgLibrary(): typeof pg {
  return (pgModule ??= createRequire(import.meta.url)('pg') as typeof pg);
}

/**
 * Where a PostgreSQL store is and how to log in. The URL never carries the password (it would
 * show in `ps` and in messages): the password comes from the environment or a file, or from
 * libpq's own PGPASSWORD and ~/.pgpass, which the `pg` client reads too.
 */
export interface PgLocation {
  /** postgres://user@host:port/db (no password): named in messages. */
  url: string;
  /** The password, read when a connection is made (null: PGPASSWORD, ~/.pgpass or none). */
  password: (() => string) | null;
}

/**
 * Epoch milliseconds and counts are BIGINT: parsed as numbers (they stay far below 2^53), as
 * are NUMERIC sums; everything else as `pg` parses it. Per connection, not pg's global table.
 */
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) => {
    if (oid === 20 || oid === 1700) return (v: string) => Number(v);
    return (pgLibrary().types.getTypeParser as (oid: number, format?: string) => unknown)(oid, format);
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/** Settings every ouwatch connection uses. */
export function clientConfig(loc: PgLocation, applicationName: string): pg.ClientConfig {
  return {
    connectionString: loc.url,
    ...(loc.password === null ? {} : { password: loc.password }),
    types: TYPES,
    application_name: applicationName,
    connectionTimeoutMillis: 10_000,
    keepAlive: true,
    keepAliveInitialDelayMillis: 5_000,
  };
}

/** A pool for reads and small writes (the review commands, the outbox worker, lookups). */
export function openPool(loc: PgLocation, max = 4): pg.Pool {
  const pool = new (pgLibrary().Pool)({ ...clientConfig(loc, 'ouwatch'), max, idleTimeoutMillis: 30_000 });
  // An idle connection that the server ends (a restart) is dropped from the pool; the next
  // query opens a new one. Without a listener the error would end the process.
  pool.on('error', () => undefined);
  return pool;
}

/** SQLSTATE classes and client errors that mean "the server cannot be reached or refuses work now". */
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const UNAVAILABLE_MESSAGES = [/Connection terminated/i, /connection error/i, /not queryable/i, /timeout exceeded when trying to connect/i, /Client was closed/i, /Connection ended/i];

/** Whether `err` says the server is unreachable, restarting or shutting down (not a bug, not bad data). */
export function isUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (e === null || typeof e !== 'object') return false;
  const code = typeof e.code === 'string' ? e.code : '';
  if (UNAVAILABLE_CODES.has(code)) return true;
  // 08: connection exception; 57P01-57P03: admin or crash shutdown, cannot connect now; 53: insufficient resources.
  if (/^(08|57P0[123]|53)/.test(code)) return true;
  const msg = typeof e.message === 'string' ? e.message : '';
  return UNAVAILABLE_MESSAGES.some((re) => re.test(msg));
}

/** A connection problem at start-up, as the one line the CLI prints (exit 2). */
export function openError(loc: PgLocation, err: unknown): StoreOpenError {
  if (err instanceof StoreOpenError) return err;
  const e = err as { code?: string; message?: string };
  const why = e.code && !String(e.message).includes(e.code) ? `${e.message} (${e.code})` : String(e.message ?? err);
  return new StoreOpenError(`cannot use ${loc.url}: ${why}`);
}
