import type { Db } from './database.js';

/** The random identity of this database (schema 6's `store_meta`), e.g. for email Message-IDs. */
export function storeInstance(db: Db): string {
  const row = db.prepare(`SELECT value FROM store_meta WHERE key = 'instance'`).get() as { value: string } | undefined;
  return row?.value ?? 'unknown';
}

/** Gives a copy of a new store an identity of its own (the value schema 6's migration writes). */
export function renewStoreInstance(db: Db): void {
  db.prepare(`UPDATE store_meta SET value = lower(hex(randomblob(8))) WHERE key = 'instance'`).run();
}
