import type { Config } from '../config.js';
import type { ReviewStore } from '../../core/review-ports.js';
import { openSqliteReviewStore } from '../../store/sqlite/review-store.js';
import { openPgReviewStore } from '../../store/postgres/review-store.js';
import { storeLocation } from '../store-location.js';

/** The store the configuration names, opened for review (it must exist unless `create`). */
export function openReviewStore(config: Config, opts: { create?: boolean; write?: boolean } = {}): ReviewStore {
  const loc = storeLocation(config);
  return loc.kind === 'sqlite' ? openSqliteReviewStore(loc.path, opts) : openPgReviewStore(loc.pg, opts);
}

/** Runs `work` with the store open, closing it afterwards. */
export async function withReviewStore<T>(config: Config, work: (store: ReviewStore) => Promise<T>, opts: { create?: boolean; write?: boolean } = {}): Promise<T> {
  const store = openReviewStore(config, opts);
  try {
    return await work(store);
  } finally {
    store.close();
  }
}

/** Whether the configured store exists (a SQLite file; a PostgreSQL database is assumed to). */
export function storeExists(config: Config, exists: (path: string) => boolean): boolean {
  const loc = storeLocation(config);
  return loc.kind === 'postgres' || exists(loc.path);
}
