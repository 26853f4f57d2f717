import { readFileSync } from 'node:fs';
import type { Config } from './config.js';
import { hasPassword } from './config.js';
import { StoreOpenError } from '../store/sqlite/database.js';
import type { PgLocation } from '../store/postgres/connection.js';

/** Which store a configuration names: a SQLite file, or a PostgreSQL database. */
export type StoreLocation = { kind: 'sqlite'; path: string } | { kind: 'postgres'; name: string; pg: PgLocation };

/**
 * `store.path` (or `--db`) is a file path (SQLite) unless it is a URL: postgres:// and
 * postgresql:// select PostgreSQL, any other scheme is an error (it used to be taken for a
 * path and silently made a directory named after the scheme). The password never comes in the
 * URL: `store.passwordEnv`, `store.passwordFile`, or libpq's PGPASSWORD and ~/.pgpass.
 */
export function storeLocation(config: Config): StoreLocation {
  const path = config.store.path;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(path)?.[1];
  if (scheme === undefined) return { kind: 'sqlite', path };
  if (!/^postgres(ql)?$/i.test(scheme)) {
    throw new StoreOpenError(`unsupported database URL scheme '${scheme}:' in ${path}: give a file path (SQLite) or postgres://user@host:port/database (PostgreSQL)`);
  }
  if (hasPassword(path)) {
    throw new StoreOpenError('the database URL must not carry a password (it would show in the process list and in messages): give it in store.passwordEnv, store.passwordFile, PGPASSWORD or ~/.pgpass');
  }
  let url: URL;
  try {
    url = new URL(path);
  } catch {
    throw new StoreOpenError(`${path} is not a valid URL: expected postgres://user@host:port/database`);
  }
  if (url.pathname.replace(/^\//, '') === '') throw new StoreOpenError(`${path} names no database: expected postgres://user@host:port/database`);
  return { kind: 'postgres', name: path, pg: { url: path, password: passwordOf(config) } };
}

function passwordOf(config: Config): (() => string) | null {
  const { passwordEnv, passwordFile } = config.store;
  if (passwordEnv !== undefined && passwordFile !== undefined) throw new StoreOpenError('give store.passwordEnv or store.passwordFile, not both');
  if (passwordEnv !== undefined) {
    if (process.env[passwordEnv] === undefined) throw new StoreOpenError(`store.passwordEnv names ${passwordEnv}, which is not set`);
    return () => process.env[passwordEnv] ?? '';
  }
  if (passwordFile !== undefined) {
    const read = () => readFileSync(passwordFile, 'utf8').replace(/\r?\n$/, '');
    try {
      read();
    } catch (err) {
      throw new StoreOpenError(`store.passwordFile ${passwordFile} cannot be read: ${(err as Error).message}`);
    }
    // Read at each new connection: a rotated Secret is picked up without a restart.
    return read;
  }
  return null;
}
