import { StorageFault } from '../../core/storage-fault.js';
import { isUnavailable } from './connection.js';

/**
 * The StorageFault behind a PostgreSQL error: the server cannot be reached, restarts, shuts
 * down or is out of disk space (the daemon pauses and retries); null for anything else (a bug,
 * bad data), which is not waited out.
 */
export function pgStorageFaultOf(err: unknown, store: string): StorageFault | null {
  if (err instanceof StorageFault) return err;
  if (!isUnavailable(err)) return null;
  const e = err as { code?: string; message?: string };
  const detail = `${e.message ?? String(err)}${e.code && !String(e.message).includes(e.code) ? ` (${e.code})` : ''}`;
  if (e.code === '53100') return new StorageFault(store, 'full', `the database server is out of disk space: ${detail}`);
  return new StorageFault(store, 'unavailable', `the database server cannot be reached: ${detail}`);
}
