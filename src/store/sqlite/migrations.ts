import { VERSIONS_1_TO_4 } from './migrations-1-4.js';
import { VERSIONS_5_TO_12 } from './migrations-5-12.js';
import { VERSIONS_13 } from './migrations-13.js';
import { VERSIONS_14 } from './migrations-14.js';
import { VERSIONS_15 } from './migrations-15.js';

/**
 * Schema versions, applied in order and recorded in SQLite's `user_version`. Never edit a
 * migration that has shipped: add the next one (at the end of the last file of versions, or
 * in a file of its own once that one passes 300 lines). Times are epoch milliseconds (INTEGER).
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [...VERSIONS_1_TO_4, ...VERSIONS_5_TO_12, ...VERSIONS_13, ...VERSIONS_14, ...VERSIONS_15];
