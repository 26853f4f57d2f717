import type { Migration } from './migrations.js';

/**
 * Versions 5 to 12: incidents, the writer lease, networks and learning, shared reading,
 * history keyed for fewer random-order writes, the organisation's counts, benign closes,
 * alerts found by rule.
 */
export const VERSIONS_5_TO_12: Migration[] = [
  {
    version: 5,
    name: 'incidents, benign closes, evidence totals, user activity per hour',
    sql: `
      -- Incidents group alerts of one user ('dn:<DN>') or one attacking network ('net:<CIDR>').
      -- Detection writes them in the commit transaction; analysts change their status.
      CREATE TABLE incidents (
        id             TEXT PRIMARY KEY,
        key            TEXT NOT NULL,
        status         TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acknowledged', 'closed')),
        severity       TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
        risk           REAL NOT NULL,
        dn             TEXT,
        ip             TEXT,
        first_time     INTEGER NOT NULL,  -- log time of its first alert
        last_time      INTEGER NOT NULL,  -- log time of its latest alert
        rules          TEXT NOT NULL,     -- JSON array of rule ids
        closed_benign  INTEGER NOT NULL DEFAULT 0,
        created_at     INTEGER NOT NULL,  -- wall clock
        updated_at     INTEGER NOT NULL
      );
      CREATE INDEX incidents_key ON incidents(key, status);
      CREATE INDEX incidents_last_time ON incidents(last_time);
      CREATE INDEX incidents_dn ON incidents(dn, last_time);
      CREATE TABLE incident_alerts (
        incident_id  TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
        alert_id     TEXT NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
        PRIMARY KEY (incident_id, alert_id)
      ) WITHOUT ROWID;
      CREATE INDEX incident_alerts_alert ON incident_alerts(alert_id);
      -- Changes by analysts; the opening itself is incidents.created_at.
      CREATE TABLE incident_status_changes (
        seq          INTEGER PRIMARY KEY AUTOINCREMENT,
        incident_id  TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
        status       TEXT NOT NULL CHECK (status IN ('open', 'acknowledged', 'closed')),
        by           TEXT NOT NULL,
        at           INTEGER NOT NULL,  -- wall clock
        comment      TEXT
      );
      CREATE INDEX incident_status_changes_incident ON incident_status_changes(incident_id, seq);
      -- Closed as benign by an analyst: detection may learn the alert's addresses.
      ALTER TABLE alerts ADD COLUMN closed_benign INTEGER NOT NULL DEFAULT 0;
      -- Log lines behind the alert (all its occurrences); NULL: as many as its evidence holds.
      ALTER TABLE alerts ADD COLUMN evidence_total INTEGER;
      CREATE INDEX alerts_last_time ON alerts(last_time);
      -- Events per user, log-time hour and address: the console's timeline. Deltas are added.
      CREATE TABLE user_activity (
        dn        TEXT NOT NULL,
        hour      INTEGER NOT NULL,  -- epoch ms, start of the log-time hour
        ip        TEXT NOT NULL,     -- '' when the event had none
        country   TEXT,
        events    INTEGER NOT NULL,
        failures  INTEGER NOT NULL,
        PRIMARY KEY (dn, hour, ip)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 6,
    name: 'writer lease, store identity, outbox digests and requeues',
    sql: `
      -- One writer per database (core/writer-lease.ts): at most one row, the live holder.
      CREATE TABLE writer_lease (
        id            INTEGER PRIMARY KEY CHECK (id = 1),
        token         TEXT NOT NULL,      -- random per process: who holds it now
        pid           INTEGER NOT NULL,
        host          TEXT NOT NULL,
        command       TEXT NOT NULL,      -- run | replay | endsession --apply | …
        since         INTEGER NOT NULL,   -- wall clock
        heartbeat_at  INTEGER NOT NULL    -- wall clock of the last renewal
      );
      -- Facts about the store itself. 'instance': random, names this database in email
      -- Message-IDs so two installations never produce the same one.
      CREATE TABLE store_meta (
        key    TEXT PRIMARY KEY,
        value  TEXT NOT NULL
      );
      INSERT INTO store_meta (key, value) VALUES ('instance', lower(hex(randomblob(8))));
      -- The email digest an item was first sent in (the smallest outbox id of that digest):
      -- a retry sends the same digest again with the same Message-ID.
      ALTER TABLE outbox ADD COLUMN batch_id INTEGER;
      -- Times a person requeued a failed item ('ouwatch outbox retry').
      ALTER TABLE outbox ADD COLUMN requeues INTEGER NOT NULL DEFAULT 0;
      -- Retention deletes closed alerts by log time.
      CREATE INDEX IF NOT EXISTS alerts_last_time ON alerts(last_time);
    `,
  },
  {
    version: 7,
    name: 'networks, ASNs and learning per address; alert risk; checkpoint verification; output cursors',
    sql: `
      -- Novelty is judged per network and ASN; an address whose first success raised an alert
      -- is not learnt until that alert is closed as benign (quarantined_by names it).
      ALTER TABLE user_ips ADD COLUMN net TEXT;
      ALTER TABLE user_ips ADD COLUMN asn INTEGER;
      ALTER TABLE user_ips ADD COLUMN as_org TEXT;
      ALTER TABLE user_ips ADD COLUMN learnt INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE user_ips ADD COLUMN quarantined_by TEXT;
      UPDATE user_ips SET learnt = 1 WHERE success_count > 0;
      CREATE INDEX user_ips_quarantine ON user_ips(quarantined_by) WHERE quarantined_by IS NOT NULL;
      ALTER TABLE alerts ADD COLUMN risk INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE alerts ADD COLUMN suppress_key TEXT;
      -- Before resuming at offset, the bytes just before hash_offset must hash to tail_hash:
      -- otherwise the file is a different log that starts like this one.
      ALTER TABLE checkpoints ADD COLUMN tail_hash TEXT;
      ALTER TABLE checkpoints ADD COLUMN hash_offset INTEGER;
      -- What a command has printed of the committed alerts (at least once on stdout).
      CREATE TABLE output_cursors (
        consumer    TEXT PRIMARY KEY,
        seq         INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL
      );
    `,
  },
  {
    version: 8,
    name: 'shared reading: lines staged by each reader, and the readers',
    sql: `
      -- Several readers of one database (PostgreSQL only: 'run --shared'); the tables exist on
      -- SQLite too so both stores have the same schema at the same version.
      CREATE TABLE staged_lines (
        seq      INTEGER PRIMARY KEY AUTOINCREMENT,
        reader   TEXT NOT NULL,
        input    TEXT NOT NULL,
        origin   TEXT NOT NULL,
        line_no  INTEGER NOT NULL,
        time     INTEGER NOT NULL,
        line     TEXT NOT NULL
      );
      CREATE INDEX staged_lines_input ON staged_lines(reader, input, line_no);
      CREATE TABLE readers (
        reader        TEXT PRIMARY KEY,
        staged_to     INTEGER,
        behind        INTEGER NOT NULL,
        heartbeat_at  INTEGER NOT NULL
      );
    `,
  },
  {
    version: 9,
    name: 'history with fewer random-order indexes: sessions keyed by user',
    sql: `
      -- Every index is a B-tree a new user inserts into at a random place, and a commit of
      -- many new users rewrites most pages of each: no query reads these two.
      DROP INDEX users_sha1;
      DROP INDEX user_ips_ip;
      -- Sessions keyed by user first: the user's sessions (the only query) read the key's
      -- prefix, so the separate (dn, last_seen) index goes.
      CREATE TABLE sessions_by_user (
        dn          TEXT NOT NULL,
        session_id  TEXT NOT NULL,
        first_seen  INTEGER NOT NULL,
        last_seen   INTEGER NOT NULL,
        count       INTEGER NOT NULL,
        PRIMARY KEY (dn, session_id)
      ) WITHOUT ROWID;
      INSERT INTO sessions_by_user (dn, session_id, first_seen, last_seen, count)
        SELECT dn, session_id, first_seen, last_seen, count FROM sessions;
      DROP TABLE sessions;
      ALTER TABLE sessions_by_user RENAME TO sessions;
      CREATE TABLE session_ips_by_user (
        dn          TEXT NOT NULL,
        session_id  TEXT NOT NULL,
        ip          TEXT NOT NULL,
        first_seen  INTEGER NOT NULL,
        last_seen   INTEGER NOT NULL,
        count       INTEGER NOT NULL,
        PRIMARY KEY (dn, session_id, ip)
      ) WITHOUT ROWID;
      INSERT INTO session_ips_by_user (dn, session_id, ip, first_seen, last_seen, count)
        SELECT dn, session_id, ip, first_seen, last_seen, count FROM session_ips;
      DROP TABLE session_ips;
      ALTER TABLE session_ips_by_user RENAME TO session_ips;
    `,
  },
  {
    version: 10,
    name: "the organisation's counts kept, not grouped at every start",
    sql: `
      -- Users with a learnt address per network, ASN and country; commits add to them.
      CREATE TABLE organisation_counts (
        kind   TEXT NOT NULL,     -- 'net', 'asn' or 'country'
        value  TEXT NOT NULL,     -- the network, the ASN as decimal text, the country code
        users  INTEGER NOT NULL,
        PRIMARY KEY (kind, value)
      ) WITHOUT ROWID;
      INSERT INTO organisation_counts (kind, value, users)
        SELECT 'net', net, COUNT(DISTINCT dn) FROM user_ips WHERE learnt = 1 AND net IS NOT NULL GROUP BY net;
      INSERT INTO organisation_counts (kind, value, users)
        SELECT 'asn', CAST(asn AS TEXT), COUNT(DISTINCT dn) FROM user_ips WHERE learnt = 1 AND asn IS NOT NULL GROUP BY asn;
      INSERT INTO organisation_counts (kind, value, users)
        SELECT 'country', country, COUNT(DISTINCT dn) FROM user_ips WHERE learnt = 1 AND country IS NOT NULL GROUP BY country;
    `,
  },
  {
    version: 11,
    name: 'alerts closed as benign found by an index',
    sql: `
      -- Every start (and a daemon after each analysts' change) learns the addresses these
      -- alerts kept from being learnt: without it, that was a scan of every alert row.
      CREATE INDEX alerts_closed_benign ON alerts(id) WHERE closed_benign = 1;
    `,
  },
  {
    version: 12,
    name: 'alerts found by rule and time, not by rule, user, address and time',
    sql: `
      -- No query reads (rule, dn, ip, time): the console filters by rule and orders by time.
      -- It took a quarter of each alert's insert (28 against 21 µs a row over a storm's 34,710
      -- alerts): (rule, time) grows at its end within each rule while a replay runs.
      DROP INDEX alerts_key;
      CREATE INDEX alerts_rule ON alerts(rule, time);
    `,
  },
];
