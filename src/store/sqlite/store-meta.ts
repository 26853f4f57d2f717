import type { Db } from './database.js';

/** The random identity of this database (schema 6's `store_meta`), e.g. for email Message-IDs. */
export function storeInstance(db: Db): string {
  const row = db.prepare(`SELECT value FROM store_meta WHERE key = 'instance'`).get() as { value: string } | undefined;
  return row?.value ?? 'unknown';
}
