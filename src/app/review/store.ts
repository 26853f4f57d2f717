import type { Config } from '../config.js';
import type { ReviewStore } from '../../core/ports.js';
import { openSqliteReviewStore } from '../../store/sqlite/review-store.js';

/** The store the configuration names, opened for review (it must exist unless `create`). */
export function openReviewStore(config: Config, opts: { create?: boolean; write?: boolean } = {}): ReviewStore {
  return openSqliteReviewStore(config.store.path, opts);
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
