import type { Severity } from '../core/alerts.js';
import { SEVERITIES } from '../core/alerts.js';
import { Out, fmtInt } from './common.js';
import { toCsv } from './csv.js';
import type { ListFlags } from './options.js';

export interface PageLike<T> {
  items: T[];
  total: number;
  offset: number;
  limit: number | null;
  counts?: { rule: Record<string, number>; severity: Partial<Record<Severity, number>> };
}

export interface ListingFormat<T> {
  /** `alert`, `alerts`. */
  noun: [string, string];
  json(item: T): unknown;
  csv: Array<[string, (item: T) => string | number | boolean | null]>;
  /** The table rows (a header line first). */
  table(items: T[]): string[];
  /** Printed on stderr when nothing matches. */
  none: string;
}

/**
 * Prints one page the same way for every listing: NDJSON, CSV, or a table that starts with
 * the counts per severity and rule and ends with how many more there are. With --json and
 * --csv the "more" note goes to stderr, so stdout stays machine-readable.
 */
export async function printPage<T>(page: PageLike<T>, flags: Pick<ListFlags, 'json' | 'csv'>, f: ListingFormat<T>): Promise<void> {
  const out = new Out();
  const more = page.total - page.offset - page.items.length;
  const footer =
    more > 0
      ? `${fmtInt(page.items.length)} of ${fmtInt(page.total)} ${f.noun[1]} shown (${fmtInt(page.offset + 1)}-${fmtInt(page.offset + page.items.length)}); ${fmtInt(more)} more: --offset ${page.offset + page.items.length} for the next page, --limit all for every one`
      : null;
  if (flags.json) {
    for (const item of page.items) out.line(JSON.stringify(f.json(item)));
  } else if (flags.csv) {
    process.stdout.write(toCsv(page.items, f.csv));
  } else if (page.total === 0) {
    process.stderr.write(f.none + '\n');
  } else {
    if (page.counts) out.line(countsLine(page.total, f.noun, page.counts));
    for (const l of f.table(page.items)) out.line(l);
    if (footer) out.line(footer);
  }
  await out.flush();
  if (footer && (flags.json || flags.csv)) process.stderr.write(footer + '\n');
}

/** `148,245 alerts: 3 critical, 120 high, 148,122 medium; by rule: new-source-ip 100,000, …`. */
export function countsLine(total: number, noun: [string, string], counts: NonNullable<PageLike<unknown>['counts']>): string {
  const sev = [...SEVERITIES].reverse().filter((s) => counts.severity[s]).map((s) => `${fmtInt(counts.severity[s]!)} ${s}`);
  const rules = Object.entries(counts.rule).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([r, n]) => `${r} ${fmtInt(n)}`);
  return `${fmtInt(total)} ${total === 1 ? noun[0] : noun[1]}: ${sev.join(', ')}; by rule: ${rules.join(', ')}`;
}
