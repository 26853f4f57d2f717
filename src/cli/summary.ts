import type { RunStats } from '../core/runtime.js';
import { EVENT_TYPES, SKIP_REASONS } from '../core/events.js';
import type { ReplayReport } from '../app/replay.js';
import { byteSize } from '../core/numbers.js';
import { listDeleted, totalDeleted } from '../core/retention.js';
import { fmtInt } from './common.js';

/** What detection and response add to the summary: alert counts, responses, warnings. */
export interface DetectionSummary {
  alerts: string;
  /** One line on the automatic responses, when a rule asked for any. */
  responses?: string | null;
  warnings: string[];
}

/** The replay summary (stderr): what was read, what it became, what was skipped and why. */
export function formatSummary(stats: RunStats, report: ReplayReport, detection?: DetectionSummary): string {
  const bytes = report.inputs.reduce((n, i) => n + i.bytesRead, 0);
  const secs = Math.max(report.elapsedMs, 1) / 1000;
  const out: string[] = [];
  out.push(
    `replayed ${fmtInt(stats.linesRead)} lines from ${report.inputs.length} input${report.inputs.length === 1 ? '' : 's'} in ${secs.toFixed(2)} s ` +
      `(${fmtInt(stats.linesRead / secs)} lines/s, ${(bytes / 1e6 / secs).toFixed(1)} MB/s)`,
  );
  const events = EVENT_TYPES.filter((t) => stats.events[t]).map((t) => `${t} ${fmtInt(stats.events[t]!)}`);
  out.push(`  events:   ${events.length ? events.join(', ') : 'none'}`);
  const k = stats.lineKinds;
  out.push(`  other:    ${fmtInt(k.other ?? 0)} non-event log lines, ${fmtInt(k.continuation ?? 0)} continuation lines (stack traces, multi-line messages)`);
  const skipped = SKIP_REASONS.map((r) => `${r} ${fmtInt(k[r] ?? 0)}`);
  const totalSkipped = SKIP_REASONS.reduce((n, r) => n + (k[r] ?? 0), 0);
  const passedOver = stats.skippedBytes > 0 ? `; ${byteSize(stats.skippedBytes)} of input passed over` : '';
  out.push(`  skipped:  ${fmtInt(totalSkipped)} (${skipped.join(', ')})${passedOver}`);
  out.push(
    stats.usersExact
      ? `  users:    ${fmtInt(stats.users)} seen`
      : `  users:    about ${fmtInt(stats.users)} seen (estimated: users came back after memory had let them go)`,
  );
  const deleted = totalDeleted(report.retention);
  if (deleted > 0) {
    const passes = report.retention.passes;
    out.push(`  retention: ${fmtInt(deleted)} rows older than store.retention deleted in ${fmtInt(passes)} pass${passes === 1 ? '' : 'es'} (${listDeleted(report.retention.deleted, { format: fmtInt })})`);
  }
  if (detection) out.push(`  alerts:   ${detection.alerts}`);
  if (detection?.responses) out.push(`  response: ${detection.responses}`);
  for (const i of report.inputs) {
    const from = i.resumedAt > 0 ? `resumed at byte ${fmtInt(i.resumedAt)}` : 'from the start';
    const what = i.linesRead === 0 && i.resumedAt > 0 ? 'nothing new since the last replay' : `${fmtInt(i.linesRead)} lines`;
    // Bad lines, or broken JSON up to where reading could go on: say how much was not read.
    const unread = i.skippedBytes > 0 ? `, ${byteSize(i.skippedBytes)} of ${byteSize(i.bytesRead)} passed over as unreadable` : '';
    const origin = i.part === null ? i.origin : `${i.origin}, ${i.part}`;
    out.push(`  input:    ${origin} (${i.format ?? 'no lines'}, ${from}): ${what}${unread}`);
  }
  for (const w of [...report.warnings, ...(detection?.warnings ?? [])]) out.push(`  warning:  ${w}`);
  return out.join('\n');
}

/** The responder's counters as one line: "2 requested: 1 planned (dry-run), 1 held (stale 1)". */
export function formatResponses(c: { requested: number; planned: number; queued: number; held: Record<string, number>; breakerOpened: number }, mode: string): string | null {
  if (c.requested === 0) return null;
  const parts: string[] = [];
  if (c.planned > 0) parts.push(`${fmtInt(c.planned)} planned (${mode}: nothing called)`);
  if (c.queued > 0) parts.push(`${fmtInt(c.queued)} queued (${mode})`);
  const held = Object.entries(c.held).filter(([, n]) => n > 0);
  const heldTotal = held.reduce((n, [, k]) => n + k, 0);
  if (heldTotal > 0) parts.push(`${fmtInt(heldTotal)} held back (${held.map(([g, n]) => `${g} ${fmtInt(n)}`).join(', ')})`);
  if (c.breakerOpened > 0) parts.push('the breaker opened');
  return `${fmtInt(c.requested)} requested by rules: ${parts.join(', ')}`;
}
