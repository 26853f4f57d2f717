import type { Migration } from './migrations.js';

/** Version 13: a user's history rows keyed by the user's number, not by the DN. */
export const VERSIONS_13: Migration[] = [
  {
    version: 13,
    name: "history keyed by the user's number",
    sql: `
      -- Users arrive in no order of their DNs: with the DN first in every key, each commit of
      -- many new users inserted at random places of six B-trees larger than the page cache
      -- (a million users named in random order: 76 s of upserts against 8 s with numbers).
      -- A new user's number is the next one, so their addresses, countries, sessions and
      -- activity go at the end of their tables; only users' UNIQUE (dn) index stays in DN
      -- order. AUTOINCREMENT: a number is never given again, even after retention deleted it.
      CREATE TABLE users_by_id (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        dn             TEXT NOT NULL UNIQUE,
        dn_sha1        TEXT NOT NULL,
        first_seen     INTEGER NOT NULL,
        last_seen      INTEGER NOT NULL,
        counts         TEXT NOT NULL,   -- JSON {eventType: n}
        success_count  INTEGER NOT NULL,
        first_success  INTEGER,
        last_success   INTEGER,
        last_geo       TEXT             -- JSON {ts, ip, country, lat, lon, radiusKm}: last geolocated success
      );
      INSERT INTO users_by_id (dn, dn_sha1, first_seen, last_seen, counts, success_count, first_success, last_success, last_geo)
        SELECT dn, dn_sha1, first_seen, last_seen, counts, success_count, first_success, last_success, last_geo FROM users ORDER BY rowid;
      DROP TABLE users;
      ALTER TABLE users_by_id RENAME TO users;

      CREATE TABLE user_ips_by_id (
        user_id        INTEGER NOT NULL,
        ip             TEXT NOT NULL,
        country        TEXT,
        first_seen     INTEGER NOT NULL,
        last_seen      INTEGER NOT NULL,
        count          INTEGER NOT NULL,
        first_success  INTEGER,
        last_success   INTEGER,
        success_count  INTEGER NOT NULL,
        net            TEXT,
        asn            INTEGER,
        as_org         TEXT,
        learnt         INTEGER NOT NULL DEFAULT 0,
        quarantined_by TEXT,
        PRIMARY KEY (user_id, ip)
      ) WITHOUT ROWID;
      INSERT INTO user_ips_by_id (user_id, ip, country, first_seen, last_seen, count, first_success, last_success, success_count, net, asn, as_org, learnt, quarantined_by)
        SELECT u.id, a.ip, a.country, a.first_seen, a.last_seen, a.count, a.first_success, a.last_success, a.success_count, a.net, a.asn, a.as_org, a.learnt, a.quarantined_by
        FROM user_ips a JOIN users u ON u.dn = a.dn;
      DROP TABLE user_ips;
      ALTER TABLE user_ips_by_id RENAME TO user_ips;
      CREATE INDEX user_ips_quarantine ON user_ips(quarantined_by) WHERE quarantined_by IS NOT NULL;

      CREATE TABLE user_countries_by_id (
        user_id        INTEGER NOT NULL,
        country        TEXT NOT NULL,
        first_seen     INTEGER NOT NULL,
        last_seen      INTEGER NOT NULL,
        count          INTEGER NOT NULL,
        first_success  INTEGER,
        last_success   INTEGER,
        success_count  INTEGER NOT NULL,
        PRIMARY KEY (user_id, country)
      ) WITHOUT ROWID;
      INSERT INTO user_countries_by_id (user_id, country, first_seen, last_seen, count, first_success, last_success, success_count)
        SELECT u.id, c.country, c.first_seen, c.last_seen, c.count, c.first_success, c.last_success, c.success_count
        FROM user_countries c JOIN users u ON u.dn = c.dn;
      DROP TABLE user_countries;
      ALTER TABLE user_countries_by_id RENAME TO user_countries;

      CREATE TABLE sessions_by_id (
        user_id     INTEGER NOT NULL,
        session_id  TEXT NOT NULL,
        first_seen  INTEGER NOT NULL,
        last_seen   INTEGER NOT NULL,
        count       INTEGER NOT NULL,
        PRIMARY KEY (user_id, session_id)
      ) WITHOUT ROWID;
      INSERT INTO sessions_by_id (user_id, session_id, first_seen, last_seen, count)
        SELECT u.id, s.session_id, s.first_seen, s.last_seen, s.count FROM sessions s JOIN users u ON u.dn = s.dn;
      DROP TABLE sessions;
      ALTER TABLE sessions_by_id RENAME TO sessions;

      CREATE TABLE session_ips_by_id (
        user_id     INTEGER NOT NULL,
        session_id  TEXT NOT NULL,
        ip          TEXT NOT NULL,
        first_seen  INTEGER NOT NULL,
        last_seen   INTEGER NOT NULL,
        count       INTEGER NOT NULL,
        PRIMARY KEY (user_id, session_id, ip)
      ) WITHOUT ROWID;
      INSERT INTO session_ips_by_id (user_id, session_id, ip, first_seen, last_seen, count)
        SELECT u.id, s.session_id, s.ip, s.first_seen, s.last_seen, s.count FROM session_ips s JOIN users u ON u.dn = s.dn;
      DROP TABLE session_ips;
      ALTER TABLE session_ips_by_id RENAME TO session_ips;

      CREATE TABLE user_activity_by_id (
        user_id   INTEGER NOT NULL,
        hour      INTEGER NOT NULL,  -- epoch ms, start of the log-time hour
        ip        TEXT NOT NULL,     -- '' when the event had none
        country   TEXT,
        events    INTEGER NOT NULL,
        failures  INTEGER NOT NULL,
        PRIMARY KEY (user_id, hour, ip)
      ) WITHOUT ROWID;
      INSERT INTO user_activity_by_id (user_id, hour, ip, country, events, failures)
        SELECT u.id, a.hour, a.ip, a.country, a.events, a.failures FROM user_activity a JOIN users u ON u.dn = a.dn;
      DROP TABLE user_activity;
      ALTER TABLE user_activity_by_id RENAME TO user_activity;
    `,
  },
];
