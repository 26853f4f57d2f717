import type { Migration } from './migrations.js';

/** Versions 1 to 4: history and checkpoints, detector state and alerts, outbox and actions, stream positions. */
export const VERSIONS_1_TO_4: Migration[] = [
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
];
