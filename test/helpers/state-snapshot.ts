import Database from 'better-sqlite3';

/**
 * What "the same result" means for the exactly-once tests: the rows of the state tables, in a
 * fixed order, without bookkeeping columns that legitimately differ between runs. Extend
 * `STATE_TABLES` as stages add state, and every exactly-once test compares them too. Alert ids
 * are derived from the raising line (not from where it was read), so they are compared;
 * evidence is compared by its lines, since a rotated file is read under another name.
 */
export interface TableSpec {
  /** ORDER BY clause that makes the row order deterministic. */
  orderBy: string;
  /** Columns left out of the comparison (generated ids, wall-clock times). */
  ignore?: string[];
  /** Rewrites a column's value before comparison. */
  normalise?: Record<string, (value: unknown) => unknown>;
}

/** Evidence without its `file:line` sources (the file a line was read from depends on rotation). */
const evidenceLines = (v: unknown) => (JSON.parse(String(v)) as Array<{ line: string }>).map((e) => e.line);

/**
 * Detector state (JSON of each detector's own shape) with the read position of its evidence
 * blanked: a `/…file` path, `/…file:line`, or a path followed by its line number in an array.
 */
function withoutReadPositions(v: unknown): unknown {
  const isPath = (x: unknown): x is string => typeof x === 'string' && x.startsWith('/');
  const walk = (x: unknown): unknown => {
    if (isPath(x)) return '<source>';
    if (Array.isArray(x)) {
      return x.map((item, i) => (typeof item === 'number' && i > 0 && isPath(x[i - 1]) && !x[i - 1].includes(':') ? 0 : walk(item)));
    }
    if (x !== null && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, walk(y)]));
    return x;
  };
  return JSON.stringify(walk(JSON.parse(String(v))));
}

export const STATE_TABLES: Record<string, TableSpec> = {
  users: { orderBy: 'dn' },
  user_ips: { orderBy: 'dn, ip' },
  user_countries: { orderBy: 'dn, country' },
  sessions: { orderBy: 'session_id, dn' },
  session_ips: { orderBy: 'session_id, dn, ip' },
  alerts: { orderBy: 'id', ignore: ['created_at'], normalise: { evidence: evidenceLines } },
  detector_state: { orderBy: 'scope, key', normalise: { state: withoutReadPositions } },
  // Actions happen at wall-clock time: their ids, times and the reasons that quote an age differ.
  actions: { orderBy: 'alert_id, action, by', ignore: ['id', 'created_at', 'updated_at', 'reason'] },
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
        for (const [c, f] of Object.entries(spec.normalise ?? {})) copy[c] = f(copy[c]);
        return copy;
      });
    }
    return out;
  } finally {
    db.close();
  }
}
