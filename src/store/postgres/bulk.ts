/**
 * Multi-row writes: one statement per table and commit, whatever the number of rows, with each
 * column passed as one array parameter and expanded by `unnest` (no limit on the number of
 * rows, one round trip, one plan). `ON CONFLICT DO UPDATE` may not touch a row twice in one
 * statement, so rows are made unique by key first (`lastByKey`, or summed where deltas add up).
 */

/** Arrays of column values, in the order of `columns`. */
export function columnsOf<T>(rows: readonly T[], columns: ReadonlyArray<(r: T) => unknown>): unknown[][] {
  const out = columns.map(() => new Array<unknown>(rows.length));
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    for (let c = 0; c < columns.length; c++) out[c][i] = columns[c](r);
  }
  return out;
}

/** `SELECT * FROM unnest($1::text[], $2::bigint[], …)` for these column types, numbered from `first`. */
export function unnestOf(types: readonly string[], first = 1): string {
  return `unnest(${types.map((t, i) => `$${first + i}::${t}[]`).join(', ')})`;
}

/** The last row of each key, in the order of first appearance. */
export function lastByKey<T>(rows: readonly T[], key: (r: T) => string): T[] {
  const m = new Map<string, T>();
  for (const r of rows) m.set(key(r), r);
  return [...m.values()];
}

/** Rows merged by key with `merge` (first appearance order). */
export function mergeByKey<T>(rows: readonly T[], key: (r: T) => string, merge: (a: T, b: T) => T): T[] {
  const m = new Map<string, T>();
  for (const r of rows) {
    const k = key(r);
    const before = m.get(k);
    m.set(k, before === undefined ? r : merge(before, r));
  }
  return [...m.values()];
}

/** A key of several parts that cannot run into each other. */
export function keyOf(...parts: Array<string | number | null>): string {
  return JSON.stringify(parts);
}
