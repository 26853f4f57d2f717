import type pg from 'pg';
import type { Severity } from '../../core/alerts.js';
import type { Page, PageRequest } from '../../core/review-ports.js';

/**
 * Bound SQL pieces for the review queries on PostgreSQL (SQLite's review-sql.ts with `$n`
 * parameters): conditions joined by AND, every value a parameter.
 */
export class PgWhere {
  readonly parts: string[] = [];
  readonly args: unknown[] = [];

  /** A new parameter's placeholder. */
  p(value: unknown): string {
    this.args.push(value);
    return `$${this.args.length}`;
  }

  add(sql: string): void {
    this.parts.push(sql);
  }

  anyOf(column: string, values: readonly string[] | undefined): void {
    if (values === undefined || values.length === 0) return;
    this.add(`${column} = ANY(${this.p([...values])}::text[])`);
  }

  /** `*` is any text; SQL's own wildcards are literal; any case (ILIKE; SQLite's LIKE folds ASCII letters only). */
  pattern(column: string, glob: string | undefined): void {
    if (glob === undefined) return;
    this.add(`${column} ILIKE ${this.p(glob.replace(/[\\%_]/g, (c) => '\\' + c).replace(/\*/g, '%'))} ESCAPE '\\'`);
  }

  /** An exact address, or every address inside a CIDR block (ouwatch_in_cidr, created by the schema). */
  address(column: string, spec: string | undefined): void {
    if (spec === undefined) return;
    if (spec.includes('/')) this.add(`ouwatch_in_cidr(${column}, ${this.p(spec)})`);
    else this.add(`${column} = ${this.p(spec)}`);
  }

  get sql(): string {
    return this.parts.length ? 'WHERE ' + this.parts.join(' AND ') : '';
  }
}

export const SEVERITY_RANK_SQL = `CASE severity WHEN 'critical' THEN 3 WHEN 'high' THEN 2 WHEN 'medium' THEN 1 ELSE 0 END`;

/**
 * One page of `table` under `where`: the rows, the total and the counts per rule and severity.
 * `ruleCounts` yields (rule, severity, n) rows for the filtered set, with the same parameters.
 */
export async function pageOf<R extends pg.QueryResultRow, T>(
  q: pg.Pool,
  table: string,
  where: PgWhere,
  page: PageRequest,
  timeColumn: string,
  ruleCounts: string,
  map: (r: R) => T,
  columns = '*',
): Promise<Page<T>> {
  const order = page.sort === 'severity' ? `${SEVERITY_RANK_SQL} DESC, ${timeColumn} DESC, id` : `${timeColumn} DESC, id`;
  const n = where.args.length;
  const rows = (await q.query<R>(`SELECT ${columns} FROM ${table} ${where.sql} ORDER BY ${order} LIMIT $${n + 1} OFFSET $${n + 2}`, [...where.args, page.limit, page.offset])).rows;
  const counts: Page<T>['counts'] = { rule: {}, severity: {} };
  for (const c of (await q.query<{ rule: string; severity: Severity; n: number }>(ruleCounts, where.args)).rows) {
    counts.rule[c.rule] = (counts.rule[c.rule] ?? 0) + c.n;
    counts.severity[c.severity] = (counts.severity[c.severity] ?? 0) + c.n;
  }
  const total = (await q.query<{ n: number }>(`SELECT count(*) AS n FROM ${table} ${where.sql}`, where.args)).rows[0].n;
  return { items: rows.map(map), total, offset: page.offset, limit: page.limit, counts };
}

/** Runs `fn` in a transaction on a connection of the pool. */
export async function inTransaction<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  try {
    return await inClientTransaction(c, fn);
  } finally {
    c.release();
  }
}

/** Runs `fn` in a transaction on the connection `c` (committed, or rolled back if it throws). */
export async function inClientTransaction<C extends pg.ClientBase, T>(c: C, fn: (c: C) => Promise<T>): Promise<T> {
  await c.query('BEGIN');
  try {
    const out = await fn(c);
    await c.query('COMMIT');
    return out;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
