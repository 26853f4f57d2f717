import type { Migration } from './migrations.js';

/** Version 14: the logout line that confirms an end-session action. */
export const VERSIONS_14: Migration[] = [
  {
    version: 14,
    name: 'end-session confirmations',
    sql: `
      -- JSON {time, source, line}: SessionManagerImpl's "Logging out user '<dn>'" read after
      -- the action (ActionConfirmation); null until one is read.
      ALTER TABLE actions ADD COLUMN confirmed TEXT;
    `,
  },
];
