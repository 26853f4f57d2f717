import { BlockList, isIP } from 'node:net';
import type { Severity } from '../../core/alerts.js';
import type { Page, PageRequest } from '../../core/review-ports.js';
import type { Db } from './database.js';

/** Bound SQL pieces: conditions joined by AND, and their parameters. */
export class Where {
  readonly parts: string[] = [];
  readonly args: Array<string | number> = [];

  add(sql: string, ...args: Array<string | number>): void {
    this.parts.push(sql);
    this.args.push(...args);
  }

  anyOf(column: string, values: readonly string[] | undefined): void {
    if (values === undefined || values.length === 0) return;
    this.add(`${column} IN (${values.map(() => '?').join(', ')})`, ...values);
  }

  /** `*` is any text; SQL's own wildcards are literal; LIKE ignores the case of ASCII letters. */
  pattern(column: string, glob: string | undefined): void {
    if (glob === undefined) return;
    this.add(`${column} LIKE ? ESCAPE '\\'`, glob.replace(/[\\%_]/g, (c) => '\\' + c).replace(/\*/g, '%'));
  }

  /** An exact address, or every address inside a CIDR block (ouwatch_in_cidr, see below). */
  address(column: string, spec: string | undefined): void {
    if (spec === undefined) return;
    if (spec.includes('/')) this.add(`ouwatch_in_cidr(${column}, ?)`, spec);
    else this.add(`${column} = ?`, spec);
  }

  get sql(): string {
    return this.parts.length ? 'WHERE ' + this.parts.join(' AND ') : '';
  }
}

/**
 * Registers `ouwatch_in_cidr(ip, cidr)` on a connection (filters by network stay in SQL). `ip`
 * may itself be a block (an incident without a DN is kept by network): it is inside `cidr`
 * when all of it is.
 */
export function registerFunctions(db: Db): void {
  const lists = new Map<string, BlockList | null>();
  db.function('ouwatch_in_cidr', { deterministic: true }, (value: unknown, cidr: unknown) => {
    if (typeof value !== 'string' || typeof cidr !== 'string' || !cidr.includes('/')) return 0;
    const [ip, prefix] = value.split('/');
    if (prefix !== undefined && Number(prefix) < Number(cidr.split('/')[1])) return 0;
    let list = lists.get(cidr);
    if (list === undefined) {
      const [net, bits] = cidr.split('/');
      const family = isIP(net);
      list = family === 0 ? null : new BlockList();
      list?.addSubnet(net, Number(bits), family === 6 ? 'ipv6' : 'ipv4');
      if (lists.size > 100) lists.clear();
      lists.set(cidr, list);
    }
    const f = isIP(ip);
    return list !== null && f !== 0 && list.check(ip, f === 6 ? 'ipv6' : 'ipv4') ? 1 : 0;
  });
}

export const SEVERITY_RANK_SQL = `CASE severity WHEN 'critical' THEN 3 WHEN 'high' THEN 2 WHEN 'medium' THEN 1 ELSE 0 END`;

/**
 * One page of `table` under `where`: the rows, the total and the counts per rule and severity.
 * `ruleCounts` is the SQL that yields (rule, severity, n) rows for the filtered set; when each
 * row is counted exactly once there (`countsPartition`), the total is their sum instead of a
 * second pass over the rows.
 */
export function pageOf<R, T>(
  db: Db,
  table: string,
  where: Where,
  page: PageRequest,
  timeColumn: string,
  ruleCounts: string,
  map: (r: R) => T,
  countsPartition = false,
): Page<T> {
  const order = page.sort === 'severity' ? `${SEVERITY_RANK_SQL} DESC, ${timeColumn} DESC, id` : `${timeColumn} DESC, id`;
  const limit = page.limit === null ? -1 : page.limit;
  const rows = db.prepare(`SELECT * FROM ${table} ${where.sql} ORDER BY ${order} LIMIT ? OFFSET ?`).all(...where.args, limit, page.offset) as R[];
  const counts: Page<T>['counts'] = { rule: {}, severity: {} };
  let counted = 0;
  for (const c of db.prepare(ruleCounts).all(...where.args) as Array<{ rule: string; severity: Severity; n: number }>) {
    counts.rule[c.rule] = (counts.rule[c.rule] ?? 0) + c.n;
    counts.severity[c.severity] = (counts.severity[c.severity] ?? 0) + c.n;
    counted += c.n;
  }
  const total = countsPartition ? counted : (db.prepare(`SELECT count(*) FROM ${table} ${where.sql}`).pluck().get(...where.args) as number);
  return { items: rows.map(map), total, offset: page.offset, limit: page.limit, counts };
}
