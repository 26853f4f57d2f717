import { CONFIRM_WITHIN_MS, type ActionRecord } from '../../core/actions.js';
import type { OutboxHealth, ReviewStore } from '../../core/review-ports.js';

const DAY_MS = 86_400_000;
export const OVERVIEW_DAYS = 30;

/** `GET /api/overview`: alerts per day by rule over the 30 days up to the newest alert, and the outbox. */
export interface Overview {
  /** UTC days (YYYY-MM-DD), oldest first. */
  days: string[];
  /** Per rule: alerts raised each day (log time). */
  rules: Array<{ rule: string; perDay: number[]; total: number }>;
  open: { alerts: number; incidents: number };
  outbox: OutboxHealth;
  /**
   * End-session actions of the last day carried out more than 15 min ago with no logout line
   * read since (the oldest 100): the EndSession may have done nothing.
   */
  unconfirmed: Array<Pick<ActionRecord, 'id' | 'time' | 'mode' | 'dn' | 'name' | 'context'>>;
}

/** How far back the overview looks for unconfirmed end-session actions. */
export const UNCONFIRMED_LOOK_BACK_MS = DAY_MS;

export async function overview(store: ReviewStore, now = Date.now()): Promise<Overview> {
  const latest = (await store.alerts.latestTime()) ?? Date.now();
  const end = latest - (latest % DAY_MS) + DAY_MS;
  const from = end - OVERVIEW_DAYS * DAY_MS;
  const days = Array.from({ length: OVERVIEW_DAYS }, (_, i) => new Date(from + i * DAY_MS).toISOString().slice(0, 10));
  const byRule = new Map<string, number[]>();
  for (const r of await store.alerts.perDay(from)) {
    let row = byRule.get(r.rule);
    if (row === undefined) {
      row = new Array<number>(days.length).fill(0);
      byRule.set(r.rule, row);
    }
    const i = days.indexOf(r.day);
    if (i >= 0) row[i] += r.n;
  }
  const none = { offset: 0, limit: 0, sort: 'time' as const };
  const openAlerts = await store.alerts.list({ statuses: ['open', 'acknowledged'] }, none);
  const openIncidents = await store.incidents.list({ statuses: ['open', 'acknowledged'] }, none);
  return {
    days,
    rules: [...byRule].map(([rule, perDay]) => ({ rule, perDay, total: perDay.reduce((a, b) => a + b, 0) })).sort((a, b) => b.total - a.total),
    open: { alerts: openAlerts.total, incidents: openIncidents.total },
    outbox: await store.outboxHealth(),
    unconfirmed: (await store.actionLog.unconfirmedEndSessions(now - UNCONFIRMED_LOOK_BACK_MS, now - CONFIRM_WITHIN_MS)).map((a) => ({ id: a.id, time: a.time, mode: a.mode, dn: a.dn, name: a.name, context: a.context })),
  };
}
