import { stringify } from 'csv-stringify/sync';

/**
 * Cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, and tab or carriage
 * return before one) are prefixed with a quote: a DN is attacker-influenced and CSV files
 * are opened in spreadsheets (OWASP "CSV injection").
 */
export function defuseFormula(cell: string): string {
  return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}

/** RFC 4180 CSV (csv-stringify), a header row first, every text cell defused. */
export function toCsv<T>(rows: T[], columns: Array<[header: string, value: (row: T) => string | number | boolean | null]>): string {
  const cell = (v: string | number | boolean | null) => (v === null ? '' : typeof v === 'string' ? defuseFormula(v) : String(v));
  return stringify([columns.map(([h]) => h), ...rows.map((r) => columns.map(([, f]) => cell(f(r))))], { eof: true, record_delimiter: '\r\n' });
}
