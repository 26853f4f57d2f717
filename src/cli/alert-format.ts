import type { Alert, Severity } from '../core/alerts.js';
import { SEVERITIES } from '../core/alerts.js';
import { printable } from '../core/terminal-text.js';
import { colours, fmtInt, RULE_WIDTH } from './common.js';

type Colours = ReturnType<typeof colours>;

const WIDTHS = { time: 24, severity: 8, rule: RULE_WIDTH, who: 38 };

/** The header of the alert table. */
export function alertTableHeader(c: Colours): string {
  return c.dim(`${'time (log)'.padEnd(WIDTHS.time)}  ${'severity'.padEnd(WIDTHS.severity)}  ${'rule'.padEnd(WIDTHS.rule)}  ${'user / address'.padEnd(WIDTHS.who)}  id`);
}

/**
 * One alert as two lines: what, who, where and the id; then the reason, indented. On a
 * terminal the reason is cut to its width; in a pipe it is printed whole.
 */
export function alertTableRow(a: Alert & { count: number; lastTime: string }, c: Colours, width: number | undefined): string {
  const place = a.ip === null ? null : `${a.ip}${a.country ? ` (${a.country})` : ''}`;
  const who = a.dn ?? place ?? '-';
  // An alert about a user whose reason does not name the address says where it came from, after the reason's last sentence.
  const from = a.dn !== null && a.ip !== null && !a.reason.includes(a.ip) ? place : null;
  const whereFrom = from === null ? '' : /[.;!?]$/.test(a.reason) ? ` From ${from}.` : ` (from ${from})`;
  const repeats = a.count > 1 ? ` (x${fmtInt(a.count)}, last ${a.lastTime})` : '';
  const status = a.status === 'open' ? '' : ` [${a.status}]`;
  const head =
    `${a.time.padEnd(WIDTHS.time)}  ${paint(a.severity, c)(a.severity.padEnd(WIDTHS.severity))}  ${a.rule.padEnd(WIDTHS.rule)}  ` +
    `${printable(who).padEnd(WIDTHS.who)}  ${c.bold(a.id)}${status}`;
  let reason = `    ${printable(a.reason)}${printable(whereFrom)}${repeats}`;
  if (width !== undefined && reason.length > width) reason = reason.slice(0, Math.max(20, width - 1)) + '…';
  return `${head}\n${c.dim(reason)}`;
}

/** `5 raised (1 critical, 2 high, 2 medium), 12 repeats counted on open alerts`. */
export function alertCounts(bySeverity: Partial<Record<Severity, number>>, repeats: number): string {
  const raised = SEVERITIES.reduce((n, s) => n + (bySeverity[s] ?? 0), 0);
  const parts = [...SEVERITIES].reverse().filter((s) => bySeverity[s]).map((s) => `${fmtInt(bySeverity[s]!)} ${s}`);
  const head = raised === 0 ? 'none raised' : `${fmtInt(raised)} raised (${parts.join(', ')})`;
  return repeats > 0 ? `${head}, ${fmtInt(repeats)} repeat${repeats === 1 ? '' : 's'} counted on open alerts` : head;
}

export function paint(s: Severity, c: Colours): (text: string) => string {
  switch (s) {
    case 'critical':
      return (t) => c.bold(c.red(t));
    case 'high':
      return c.red;
    case 'medium':
      return c.yellow;
    default:
      return c.cyan;
  }
}

export { printable } from '../core/terminal-text.js';

/** The terminal's width when stdout is one (reasons are cut to it), else undefined (printed whole). */
export function terminalWidth(): number | undefined {
  const cols = process.stdout.isTTY ? process.stdout.columns : undefined;
  return cols !== undefined && cols >= 60 ? cols : undefined;
}
