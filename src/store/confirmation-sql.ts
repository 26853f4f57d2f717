import { CONFIRM_CLOCK_SKEW_MS, CONFIRM_WITHIN_MS, CONFIRMABLE_MODES, CONFIRMABLE_STATUSES, type ActionConfirmation } from '../core/actions.js';
import type { LogoutWrite } from '../core/history.js';

/**
 * The actions a logout line confirms (ActionConfirmation), on both stores: end-session actions
 * of its DN in apply or manifest mode, carried out or being carried out (the line may be read
 * before the delivery worker records the API's answer), not confirmed yet, recorded within
 * the line's window (`confirmationOf`). Each action is confirmed by the first such line.
 */
export function confirmable(table = ''): string {
  const t = table === '' ? '' : `${table}.`;
  // Constants of our own, not input: written into the SQL as literals.
  const list = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');
  return `${t}action = 'end-session' AND ${t}confirmed IS NULL AND ${t}mode IN (${list(CONFIRMABLE_MODES)}) AND ${t}status IN (${list(CONFIRMABLE_STATUSES)})`;
}

/**
 * SQLite's statement, run once per logout line in the order read: `confirmed`, DN, window
 * start, window end. `updated_at` stays the time of the action's last status change.
 */
export const CONFIRM_END_SESSIONS_SQLITE = `UPDATE actions SET confirmed = ? WHERE dn = ? AND created_at BETWEEN ? AND ? AND ${confirmable()}`;

/** A logout line as the statements take it: the confirmation (JSON), its DN and the window of action times it confirms. */
export interface Confirmation {
  confirmed: string;
  dn: string;
  from: number;
  to: number;
}

/** Actions recorded from CONFIRM_WITHIN_MS before the line's log time to CONFIRM_CLOCK_SKEW_MS after it. */
export function confirmationOf(l: LogoutWrite): Confirmation {
  const confirmed: ActionConfirmation = { time: new Date(l.ts).toISOString(), source: l.source, line: l.line };
  return { confirmed: JSON.stringify(confirmed), dn: l.dn, from: l.ts - CONFIRM_WITHIN_MS, to: l.ts + CONFIRM_CLOCK_SKEW_MS };
}

/** Carried out and never confirmed, recorded between two times: the oldest first, 100 at most (both stores, with their placeholders). */
export function unconfirmedSql(p: (n: number) => string): string {
  return `SELECT * FROM actions WHERE created_at BETWEEN ${p(1)} AND ${p(2)} AND status = 'done' AND ${confirmable()} ORDER BY created_at, id LIMIT 100`;
}
