import Database from 'better-sqlite3';

/**
 * What "the same result" means for the exactly-once tests: the rows of the state tables, in a
 * fixed order, without bookkeeping columns that legitimately differ between runs. Extend
 * `STATE_TABLES` as stages add state (detection: alerts without their ids and wall-clock
 * times; respond: the outbox and actions), and every exactly-once test compares them too.
 */
export interface TableSpec {
  /** ORDER BY clause that makes the row order deterministic. */
  orderBy: string;
  /** Columns left out of the comparison (generated ids, wall-clock times). */
  ignore?: string[];
}

export const STATE_TABLES: Record<string, TableSpec> = {
  users: { orderBy: 'dn' },
  user_ips: { orderBy: 'dn, ip' },
  user_countries: { orderBy: 'dn, country' },
  sessions: { orderBy: 'session_id, dn' },
  session_ips: { orderBy: 'session_id, dn, ip' },
};

export type StateSnapshot = Record<string, Array<Record<string, unknown>>>;

/** The state of the db at `path`, table by table (tables it does not have yet are skipped). */
export function stateSnapshot(path: string, tables: Record<string, TableSpec> = STATE_TABLES): StateSnapshot {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const present = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((r) => r.name));
    const out: StateSnapshot = {};
    for (const [table, spec] of Object.entries(tables)) {
      if (!present.has(table)) continue;
      const rows = db.prepare(`SELECT * FROM ${table} ORDER BY ${spec.orderBy}`).all() as Array<Record<string, unknown>>;
      out[table] = rows.map((r) => {
        const copy = { ...r };
        for (const c of spec.ignore ?? []) delete copy[c];
        return copy;
      });
    }
    return out;
  } finally {
    db.close();
  }
}
