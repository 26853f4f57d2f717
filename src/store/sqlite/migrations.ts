/**
 * Schema versions, applied in order and recorded in SQLite's `user_version`. Never edit a
 * migration that has shipped: add the next one. Times are epoch milliseconds (INTEGER).
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'history and checkpoints',
    sql: `
      CREATE TABLE checkpoints (
        fingerprint TEXT PRIMARY KEY,   -- sha1 of the input's first line: stable across renames
        path        TEXT NOT NULL,
        offset      INTEGER NOT NULL,   -- bytes (of the decompressed stream) fully processed
        line_no     INTEGER NOT NULL,   -- physical lines before offset
        dev         INTEGER,
        ino         INTEGER,
        updated_at  INTEGER NOT NULL
      );
      CREATE TABLE users (
        dn             TEXT PRIMARY KEY,
        dn_sha1        TEXT NOT NULL,
        first_seen     INTEGER NOT NULL,
        last_seen      INTEGER NOT NULL,
        counts         TEXT NOT NULL,   -- JSON {eventType: n}
        success_count  INTEGER NOT NULL,
        first_success  INTEGER,
        last_success   INTEGER,
        last_geo       TEXT             -- JSON {ts, ip, country, lat, lon}: last geolocated success
      );
      CREATE INDEX users_sha1 ON users(dn_sha1);
      CREATE TABLE user_ips (
        dn             TEXT NOT NULL,
        ip             TEXT NOT NULL,
        country        TEXT,
        first_seen     INTEGER NOT NULL,
        last_seen      INTEGER NOT NULL,
        count          INTEGER NOT NULL,
        first_success  INTEGER,
        last_success   INTEGER,
        success_count  INTEGER NOT NULL,
        PRIMARY KEY (dn, ip)
      ) WITHOUT ROWID;
      CREATE INDEX user_ips_ip ON user_ips(ip);
      CREATE TABLE user_countries (
        dn             TEXT NOT NULL,
        country        TEXT NOT NULL,
        first_seen     INTEGER NOT NULL,
        last_seen      INTEGER NOT NULL,
        count          INTEGER NOT NULL,
        first_success  INTEGER,
        last_success   INTEGER,
        success_count  INTEGER NOT NULL,
        PRIMARY KEY (dn, country)
      ) WITHOUT ROWID;
      CREATE TABLE sessions (
        session_id  TEXT NOT NULL,
        dn          TEXT NOT NULL,
        first_seen  INTEGER NOT NULL,
        last_seen   INTEGER NOT NULL,
        count       INTEGER NOT NULL,
        PRIMARY KEY (session_id, dn)
      ) WITHOUT ROWID;
      CREATE INDEX sessions_dn ON sessions(dn, last_seen);
      CREATE TABLE session_ips (
        session_id  TEXT NOT NULL,
        dn          TEXT NOT NULL,
        ip          TEXT NOT NULL,
        first_seen  INTEGER NOT NULL,
        last_seen   INTEGER NOT NULL,
        count       INTEGER NOT NULL,
        PRIMARY KEY (session_id, dn, ip)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    name: 'detector state and alerts',
    sql: `
      -- Detector windows and per-key state (JSON), namespaced by rule id and detector, written
      -- in the commit transaction. expires (log time) lets stale windows be deleted in bulk.
      CREATE TABLE detector_state (
        scope    TEXT NOT NULL,        -- '<rule id>/<detector>'
        key      TEXT NOT NULL,        -- a DN, an address, or origin + thread
        state    TEXT NOT NULL,        -- JSON, owned by the detector
        expires  INTEGER,              -- log time after which the state means nothing (NULL = never)
        PRIMARY KEY (scope, key)
      ) WITHOUT ROWID;
      CREATE INDEX detector_state_expires ON detector_state(expires) WHERE expires IS NOT NULL;
      CREATE TABLE alerts (
        id          TEXT PRIMARY KEY,  -- deterministic: rule, key, first event's time and line
        rule        TEXT NOT NULL,
        severity    TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
        time        INTEGER NOT NULL,  -- log time of the event that raised it
        last_time   INTEGER NOT NULL,  -- log time of the latest repeat
        count       INTEGER NOT NULL,  -- occurrences of (rule, dn, ip) counted on this alert
        dn          TEXT,              -- NULL where the rule is keyed on an address
        dn_sha1     TEXT,
        ip          TEXT,
        country     TEXT,
        reason      TEXT NOT NULL,
        evidence    TEXT NOT NULL,     -- JSON [{source, line}], capped
        status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acknowledged', 'closed')),
        respond     INTEGER NOT NULL,  -- the rule asks for an automatic response
        response    TEXT,              -- JSON {action, mode, name, status}, written by respond
        created_at  INTEGER NOT NULL   -- wall clock when it was stored
      );
      CREATE INDEX alerts_key ON alerts(rule, dn, ip, time);
      CREATE INDEX alerts_time ON alerts(time);
      CREATE INDEX alerts_dn ON alerts(dn, time);
      -- Changes by analysts (ack, close, reopen); the raising itself is alerts.created_at.
      CREATE TABLE alert_status_changes (
        seq       INTEGER PRIMARY KEY AUTOINCREMENT,
        alert_id  TEXT NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
        status    TEXT NOT NULL CHECK (status IN ('open', 'acknowledged', 'closed')),
        by        TEXT NOT NULL,
        at        INTEGER NOT NULL,  -- wall clock
        comment   TEXT
      );
      CREATE INDEX alert_status_changes_alert ON alert_status_changes(alert_id, seq);
    `,
  },
  {
    version: 3,
    name: 'outbox and actions',
    sql: `
      -- Every automatic or manual response, with who, when and the API's answers.
      CREATE TABLE actions (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        action      TEXT NOT NULL,      -- end-session | breaker-open | breaker-reset
        alert_id    TEXT,               -- the alert that asked for it (null for a person's action)
        by_kind     TEXT NOT NULL,      -- rule | person | ouwatch
        by          TEXT NOT NULL,      -- rule id or person
        created_at  INTEGER NOT NULL,   -- wall clock: actions happen now, whatever the log time
        updated_at  INTEGER NOT NULL,
        mode        TEXT NOT NULL,      -- off | dry-run | manifest | apply
        dn          TEXT,
        dn_sha1     TEXT,
        name        TEXT,               -- EndSession object name
        namespace   TEXT,
        context     TEXT,               -- kubeconfig context (null = current)
        status      TEXT NOT NULL,      -- planned | queued | retrying | done | failed | held
        guard       TEXT,               -- the guard that held it back
        reason      TEXT,
        steps       TEXT NOT NULL DEFAULT '[]',  -- JSON [{step, at, code, outcome, message}]
        error       TEXT,
        attempts    INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX actions_dn ON actions(dn, created_at);
      CREATE INDEX actions_time ON actions(created_at);
      -- Work to do outside the commit transaction, written inside it: nothing is lost on a crash.
      CREATE TABLE outbox (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        kind            TEXT NOT NULL,      -- end-session | email | webhook | jsonl
        target          TEXT NOT NULL,      -- the sink (webhook name) or action mode
        alert_id        TEXT,
        action_id       INTEGER REFERENCES actions(id),
        payload         TEXT NOT NULL,      -- JSON
        status          TEXT NOT NULL,      -- pending | delivered | failed
        attempts        INTEGER NOT NULL DEFAULT 0,
        created_at      INTEGER NOT NULL,
        next_attempt_at INTEGER NOT NULL,   -- also the lease of an item being delivered
        expires_at      INTEGER NOT NULL,
        finished_at     INTEGER,
        last_error      TEXT
      );
      CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
    `,
  },
  {
    version: 4,
    name: 'stream positions (live sources without byte offsets)',
    sql: `
      -- A Kubernetes log stream has no file identity or byte offset: it resumes from the time
      -- stamp the kubelet put on the last processed line (sinceTime) and skips the lines at
      -- that exact stamp it already processed. Written in the commit transaction.
      CREATE TABLE stream_positions (
        stream        TEXT PRIMARY KEY,  -- 'k8s:<namespace>/<pod uid>/<container>'
        origin        TEXT NOT NULL,     -- '<namespace>/<pod>/<container>' (evidence source)
        last_time     TEXT NOT NULL,     -- RFC 3339, UTC, 9 fractional digits (sorts as text)
        at_last_time  INTEGER NOT NULL,  -- lines processed with exactly that stamp
        line_no       INTEGER NOT NULL,  -- lines processed in the stream
        updated_at    INTEGER NOT NULL
      );
    `,
  },
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
];
