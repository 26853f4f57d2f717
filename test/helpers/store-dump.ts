import Database from 'better-sqlite3';
import type { StateRow } from '../../src/components/detect/state-table.js';
import { openPool } from '../../src/store/postgres/connection.js';
import { detectorStateByKey } from './detector-state.js';
import { historySql, USER_NUMBERS } from './history-sql.js';

/**
 * Every table a run writes, rows sorted by key, as plain objects: two stores hold the same
 * history, state, alerts, incidents, actions and outbox iff their dumps are equal. Columns
 * written from the wall clock of the store itself (when a row was stored) are left out, and so
 * is PostgreSQL's `alerts.seq` (SQLite's rowid), the users' numbers (history-sql.ts), and
 * SQLite's `users.dn_key` (how it finds a user: derived from the DN, which is compared).
 */
const TABLES: Array<[table: string, order: string, skip: string[]]> = [
  ['users', 'dn', [...USER_NUMBERS, 'dn_key']],
  ['user_ips', 'dn, ip', USER_NUMBERS],
  ['user_countries', 'dn, country', USER_NUMBERS],
  ['sessions', 'session_id, dn', USER_NUMBERS],
  ['session_ips', 'session_id, dn, ip', USER_NUMBERS],
  ['user_activity', 'dn, hour, ip', USER_NUMBERS],
  ['detector_state', 'scope, key', []],
  ['organisation_counts', 'kind, value', []],
  ['alerts', 'id', ['created_at', 'seq']],
  ['alert_status_changes', 'seq', ['at']],
  ['incidents', 'id', ['created_at', 'updated_at']],
  ['incident_alerts', 'incident_id, alert_id', []],
  ['incident_status_changes', 'seq', ['at']],
  ['actions', 'id', []],
  ['outbox', 'id', []],
  ['checkpoints', 'fingerprint', ['updated_at']],
  ['stream_positions', 'stream', ['updated_at']],
];

export type Dump = Record<string, Array<Record<string, unknown>>>;

/**
 * Detector state as a start reads it: chunked tables store one row per commit, and two runs
 * that committed at other moments (one killed and restarted) hold the same state in other rows.
 */
function byKey(out: Dump): Dump {
  const watermark = Math.max(0, ...out.users.map((u) => Number(u.last_seen)));
  const rows = out.detector_state.map((r) => ({ scope: String(r.scope), key: String(r.key), state: String(r.state), expires: r.expires === null ? null : Number(r.expires) }) as StateRow);
  return { ...out, detector_state: detectorStateByKey(rows, watermark).map((r) => ({ ...r })) };
}

function clean(rows: Array<Record<string, unknown>>, skip: string[]): Array<Record<string, unknown>> {
  return rows.map((r) => Object.fromEntries(Object.keys(r).filter((k) => !skip.includes(k)).sort().map((k) => [k, r[k]])));
}

export function dumpSqlite(path: string): Dump {
  const db = new Database(path, { readonly: true });
  try {
    const out: Dump = {};
    for (const [table, order, skip] of TABLES) out[table] = clean(db.prepare(historySql(table, order)).all() as Array<Record<string, unknown>>, skip);
    return byKey(out);
  } finally {
    db.close();
  }
}

export async function dumpPostgres(url: string): Promise<Dump> {
  const pool = openPool({ url, password: null }, 1);
  try {
    const out: Dump = {};
    for (const [table, order, skip] of TABLES) {
      const order2 = order.replace(/\boffset\b/, '"offset"');
      out[table] = clean((await pool.query(historySql(table, order2))).rows as Array<Record<string, unknown>>, skip);
    }
    return byKey(out);
  } finally {
    await pool.end();
  }
}
