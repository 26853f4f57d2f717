import type { Migration } from './migrations.js';

/**
 * Version 15: users found by a key of their DN (store/sqlite/user-key.ts) instead of a unique
 * index of the DN itself. The table is built again without UNIQUE (dn); every user keeps their
 * number, and AUTOINCREMENT keeps its high-water mark (a number retention deleted is still
 * never given again). `ouwatch_dn_key` is registered by `migrate`.
 */
export const VERSIONS_15: Migration[] = [
  {
    version: 15,
    name: 'users found by a key of their DN',
    sql: `
      CREATE TABLE users_keyed (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        dn             TEXT NOT NULL,
        dn_key         INTEGER NOT NULL,  -- the first 52 bits of dn_sha1; not unique: look up with the DN too
        dn_sha1        TEXT NOT NULL,
        first_seen     INTEGER NOT NULL,
        last_seen      INTEGER NOT NULL,
        counts         TEXT NOT NULL,   -- JSON {eventType: n}
        success_count  INTEGER NOT NULL,
        first_success  INTEGER,
        last_success   INTEGER,
        last_geo       TEXT             -- JSON {ts, ip, country, lat, lon, radiusKm}: last geolocated success
      );
      INSERT INTO users_keyed (id, dn, dn_key, dn_sha1, first_seen, last_seen, counts, success_count, first_success, last_success, last_geo)
        SELECT id, dn, ouwatch_dn_key(dn), dn_sha1, first_seen, last_seen, counts, success_count, first_success, last_success, last_geo FROM users ORDER BY id;
      DELETE FROM sqlite_sequence WHERE name = 'users_keyed';
      INSERT INTO sqlite_sequence (name, seq) SELECT 'users_keyed', seq FROM sqlite_sequence WHERE name = 'users';
      DROP TABLE users;
      ALTER TABLE users_keyed RENAME TO users;
      CREATE INDEX users_dn_key ON users(dn_key);
    `,
  },
];
