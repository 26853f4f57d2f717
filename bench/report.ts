import { median, type Measurement } from './measure.js';

/** One command measured `runs.length` times (a run that timed out ends the series). */
export interface Row {
  label: string;
  runs: Measurement[];
  /** The bound a run was given, seconds. */
  timeoutSeconds: number;
}

/** A row's medians; a row whose run timed out has bounds instead (wall at least, RSS at least). */
export interface Figures {
  label: string;
  runs: number;
  timedOut: boolean;
  wallSeconds: number;
  peakRssBytes: number;
  cpuSeconds: number;
}

export function figures(row: Row): Figures {
  const timedOut = row.runs.some((m) => m.timedOut);
  const done = row.runs.filter((m) => !m.timedOut);
  if (timedOut) {
    const peak = Math.max(...row.runs.map((m) => m.peakRssBytes).filter(Number.isFinite));
    return { label: row.label, runs: row.runs.length, timedOut, wallSeconds: row.timeoutSeconds, peakRssBytes: peak, cpuSeconds: NaN };
  }
  return {
    label: row.label,
    runs: done.length,
    timedOut,
    wallSeconds: median(done.map((m) => m.wallSeconds)),
    peakRssBytes: median(done.map((m) => m.peakRssBytes)),
    cpuSeconds: median(done.map((m) => m.cpuSeconds)),
  };
}

export const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
export const mb = (bytes: number): string => (!Number.isFinite(bytes) ? '-' : bytes >= 1e9 ? int(bytes / 1e6) : (bytes / 1e6).toFixed(1));
export const secs = (s: number): string => (s < 1 ? s.toFixed(3) : s.toFixed(2));

export function printTable(rows: Row[], lines: number, bytes: number): void {
  const head = `${'command'.padEnd(44)} ${'runs'.padStart(4)} ${'wall s'.padStart(20)} ${'min-max s'.padStart(11)} ${'lines/s'.padStart(12)} ${'MB/s'.padStart(8)} ${'peak RSS'.padStart(12)} ${'cpu s'.padStart(7)}`;
  console.log(head);
  console.log('-'.repeat(head.length));
  for (const row of rows) {
    const r = figures(row);
    const walls = row.runs.filter((m) => !m.timedOut).map((m) => m.wallSeconds);
    const spread = walls.length > 1 ? `${secs(Math.min(...walls))}-${secs(Math.max(...walls))}` : '';
    const wall = r.timedOut ? `> ${r.wallSeconds < 10 ? r.wallSeconds.toFixed(1) : int(r.wallSeconds)} (timed out)` : secs(r.wallSeconds);
    const rate = (r.timedOut ? '< ' : '') + int(lines / r.wallSeconds);
    const rss = (r.timedOut ? '>= ' : '') + mb(r.peakRssBytes) + ' MB';
    console.log(
      `${r.label.padEnd(44)} ${String(r.runs).padStart(4)} ${wall.padStart(20)} ${spread.padStart(11)} ${rate.padStart(12)} ${(r.timedOut ? '-' : mb(bytes / r.wallSeconds)).padStart(8)} ${rss.padStart(12)} ${(Number.isNaN(r.cpuSeconds) ? '-' : r.cpuSeconds.toFixed(2)).padStart(7)}`,
    );
  }
}

/** Start-up rows: the spread matters as much as the median at these durations. */
export function printStartupTable(rows: Row[]): void {
  const head = `${'command'.padEnd(44)} ${'runs'.padStart(4)} ${'median s'.padStart(9)} ${'min s'.padStart(7)} ${'max s'.padStart(7)} ${'peak RSS'.padStart(10)} ${'cpu s'.padStart(7)}`;
  console.log(head);
  console.log('-'.repeat(head.length));
  for (const row of rows) {
    const f = figures(row);
    const walls = row.runs.map((m) => m.wallSeconds);
    console.log(
      `${row.label.padEnd(44)} ${String(f.runs).padStart(4)} ${(f.timedOut ? 'timed out' : secs(f.wallSeconds)).padStart(9)} ${secs(Math.min(...walls)).padStart(7)} ${secs(Math.max(...walls)).padStart(7)} ${(mb(f.peakRssBytes) + ' MB').padStart(10)} ${(Number.isNaN(f.cpuSeconds) ? '-' : f.cpuSeconds.toFixed(2)).padStart(7)}`,
    );
  }
}

export interface Target {
  /** What is measured, e.g. 'benign 1,000,000 lines: throughput'. */
  what: string;
  op: '>=' | '<=';
  limit: number;
  format: (n: number) => string;
  /** How far a missed figure is from the limit; by default a factor (>=) or a percentage over (<=). */
  missedBy?: (value: number, limit: number) => string;
}

export interface Verdict {
  what: string;
  /** null: not known (a run timed out before it could say). */
  met: boolean | null;
  text: string;
}

/**
 * Compares a figure with its target and says by how much it is missed. `bound` marks a figure
 * that is only a bound because a run timed out: an upper bound of a throughput, a lower bound
 * of a memory peak.
 */
export function judge(t: Target, value: number, bound: 'exact' | 'upper' | 'lower' = 'exact'): Verdict {
  const shown = (bound === 'upper' ? '< ' : bound === 'lower' ? '>= ' : '') + t.format(value);
  const goal = `${t.op} ${t.format(t.limit)}`;
  if (!Number.isFinite(value)) return { what: t.what, met: null, text: `unknown (no figure), target ${goal}` };
  const ok = t.op === '>=' ? value >= t.limit : value <= t.limit;
  // A bound decides only when it is on the failing side of the limit.
  const decided = bound === 'exact' || (bound === 'upper' && !ok && t.op === '>=') || (bound === 'lower' && !ok && t.op === '<=');
  if (!decided) return { what: t.what, met: null, text: `unknown: ${shown} (a run timed out), target ${goal}` };
  if (ok) return { what: t.what, met: true, text: `met: ${shown} (target ${goal})` };
  const by = t.missedBy ? t.missedBy(value, t.limit) : t.op === '>=' ? `${(t.limit / value).toFixed(1)}x short` : `${(((value - t.limit) / t.limit) * 100).toFixed(0)}% over`;
  return { what: t.what, met: false, text: `MISSED by ${bound === 'exact' ? '' : 'at least '}${by}: ${shown} (target ${goal})` };
}

export function printVerdicts(verdicts: Verdict[]): void {
  const width = Math.max(...verdicts.map((v) => v.what.length));
  for (const v of verdicts) console.log(`  ${v.what.padEnd(width)}  ${v.text}`);
}
