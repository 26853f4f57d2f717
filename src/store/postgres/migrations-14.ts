import type { PgMigration } from './migrations.js';
import { T } from './text-column.js';

/** Version 14 (as SQLite's): the logout line that confirms an end-session action. */
export const PG_VERSIONS_14: PgMigration[] = [
  {
    version: 14,
    name: 'end-session confirmations',
    sql: `ALTER TABLE actions ADD COLUMN confirmed ${T};`,
  },
];
