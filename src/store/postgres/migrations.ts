import { PG_VERSIONS_1_TO_4 } from './migrations-1-4.js';
import { PG_VERSIONS_5_TO_12 } from './migrations-5-12.js';
import { PG_VERSIONS_13 } from './migrations-13.js';
import { PG_VERSIONS_14 } from './migrations-14.js';

/**
 * The PostgreSQL schema: the same versions, tables, columns and meanings as the SQLite one
 * (src/store/sqlite/migrations.ts), so the same input gives the same rows on both. Differences
 * are of the engine only: times and counts are BIGINT (epoch ms), autoincrement keys are
 * identity columns, text compares byte by byte (COLLATE "C", as SQLite does), `offset` is a
 * reserved word (quoted), and alerts have a `seq` (SQLite's rowid: the order they were stored
 * in). Applied versions are recorded in `ouwatch_schema`. Never edit a migration that has
 * shipped: add the next one, on both stores (at the end of the last file of versions, or in a
 * file of its own once that one passes 300 lines).
 */
export interface PgMigration {
  version: number;
  name: string;
  sql: string;
}

export const PG_MIGRATIONS: PgMigration[] = [...PG_VERSIONS_1_TO_4, ...PG_VERSIONS_5_TO_12, ...PG_VERSIONS_13, ...PG_VERSIONS_14];

export const PG_SCHEMA_VERSION = PG_MIGRATIONS[PG_MIGRATIONS.length - 1].version;
