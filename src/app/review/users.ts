import type { ActionRecord } from '../../core/actions.js';
import type { Severity, StoredAlert } from '../../core/alerts.js';
import type { UserHistory } from '../../core/history.js';
import type { Incident } from '../../core/incidents.js';
import type { ReviewStore } from '../../core/review-ports.js';
import { NotFoundError } from '../errors.js';
import { alertsWithoutUserOn } from './alerts.js';

export const USER_MAX_ALERTS = 20;
export const USER_MAX_ACTIONS = 10;
export const USER_MAX_INCIDENTS = 10;

/** `ouwatch user DN --json` and `GET /api/user?dn=DN`: the history with the latest alerts, incidents and responses. */
export interface UserView extends UserHistory {
  alerts: UserAlert[];
  /**
   * Alerts without a user from the addresses of those alerts, within a day of them (at most
   * ADDRESS_ALERTS_SHOWN): a copied token's failed refresh, or password tries from its address,
   * carry `cn=none` in OpenUnison's log and name only the address.
   */
  addressAlerts: UserAlert[];
  incidents: Array<Pick<Incident, 'id' | 'status' | 'severity' | 'risk' | 'firstTime' | 'lastTime' | 'rules'>>;
  actions: Array<Pick<ActionRecord, 'id' | 'action' | 'time' | 'mode' | 'status' | 'by' | 'alertId' | 'guard' | 'confirmed'>>;
}

type UserAlert = Pick<StoredAlert, 'id' | 'rule' | 'severity' | 'time' | 'lastTime' | 'count' | 'ip' | 'country' | 'status'>;

const userAlert = (a: StoredAlert): UserAlert => ({ id: a.id, rule: a.rule, severity: a.severity, time: a.time, lastTime: a.lastTime, count: a.count, ip: a.ip, country: a.country, status: a.status });

/** The DN exactly as logged; a near miss is refused with the DNs it resembles. */
export async function userView(store: ReviewStore, dn: string, maxSessions: number): Promise<UserView> {
  const history = await store.users.history(dn, maxSessions);
  if (history === null) throw await unknownUser(store, dn);
  const all = { offset: 0, limit: USER_MAX_ALERTS, sort: 'time' as const };
  const alerts = await store.alerts.list({ dn: history.dn }, all);
  const incidents = await store.incidents.list({ dn: history.dn }, { ...all, limit: USER_MAX_INCIDENTS });
  const actions = await store.actions.list({ dn: history.dn }, { offset: 0, limit: USER_MAX_ACTIONS });
  const shown = alerts.items;
  const addressAlerts =
    shown.length === 0 ? [] : await alertsWithoutUserOn(store, [...shown].reverse().map((a) => a.ip), Math.min(...shown.map((a) => Date.parse(a.time))), Math.max(...shown.map((a) => Date.parse(a.lastTime))));
  return {
    ...history,
    alerts: shown.map(userAlert),
    addressAlerts: addressAlerts.map(userAlert),
    incidents: incidents.items.map((i) => ({ id: i.id, status: i.status, severity: i.severity, risk: i.risk, firstTime: i.firstTime, lastTime: i.lastTime, rules: i.rules })),
    actions: actions.items.map((x) => ({ id: x.id, action: x.action, time: x.time, mode: x.mode, status: x.status, by: x.by, alertId: x.alertId, guard: x.guard, confirmed: x.confirmed })),
  };
}

export async function unknownUser(store: ReviewStore, dn: string): Promise<NotFoundError> {
  const similar = await store.users.similar(dn, 5);
  const hint = similar.length ? `; similar: ${similar.map((s) => JSON.stringify(s)).join(', ')}` : '';
  return new NotFoundError(`no history for DN ${JSON.stringify(dn)} in ${store.name}${hint}`);
}

const HOUR_MS = 3_600_000;
export const TIMELINE_DAYS = 30;
/** Addresses drawn apart in the timeline; the others are summed as one series. */
const MAX_SERIES = 8;

/**
 * `GET /api/user/timeline?dn=DN`: events per hour by address, from the user's first event (at
 * most 30 days back) to the hour of their last one.
 */
export interface UserTimeline {
  dn: string;
  /** Start of each hour (epoch seconds, for the chart), oldest first. */
  hours: number[];
  series: Array<{ ip: string; country: string | null; events: number[]; total: number }>;
  failures: number[];
  /** Alerts raised in the window (log time), to mark on the chart. */
  alerts: Array<{ id: string; rule: string; severity: Severity; time: string; ip: string | null }>;
}

export async function userTimeline(store: ReviewStore, dn: string): Promise<UserTimeline> {
  const history = await store.users.history(dn, 0);
  if (history === null) throw await unknownUser(store, dn);
  const last = Date.parse(history.lastSeen);
  const to = last - (last % HOUR_MS) + HOUR_MS;
  const first = Date.parse(history.firstSeen);
  const from = Math.max(first - (first % HOUR_MS), to - TIMELINE_DAYS * 24 * HOUR_MS);
  const rows = await store.users.activity(dn, from, to);
  const n = (to - from) / HOUR_MS;
  const hours = Array.from({ length: n }, (_, i) => (from + i * HOUR_MS) / 1000);
  const byIp = new Map<string, { ip: string; country: string | null; events: number[]; total: number }>();
  const failures = new Array<number>(n).fill(0);
  for (const r of rows) {
    let s = byIp.get(r.ip);
    if (s === undefined) {
      s = { ip: r.ip, country: r.country, events: new Array<number>(n).fill(0), total: 0 };
      byIp.set(r.ip, s);
    }
    const i = (r.hour - from) / HOUR_MS;
    s.events[i] += r.events;
    s.total += r.events;
    s.country ??= r.country;
    failures[i] += r.failures;
  }
  const ranked = [...byIp.values()].sort((a, b) => b.total - a.total || a.ip.localeCompare(b.ip));
  const series = ranked.slice(0, MAX_SERIES);
  if (ranked.length > MAX_SERIES) {
    const other = { ip: `${ranked.length - MAX_SERIES} other addresses`, country: null, events: new Array<number>(n).fill(0), total: 0 };
    for (const s of ranked.slice(MAX_SERIES)) {
      s.events.forEach((v, i) => (other.events[i] += v));
      other.total += s.total;
    }
    series.push(other);
  }
  const alerts = await store.alerts.list({ dn, since: from, statuses: undefined }, { offset: 0, limit: 500, sort: 'time' });
  return {
    dn: history.dn,
    hours,
    series,
    failures,
    alerts: alerts.items.filter((a) => Date.parse(a.time) >= from).map((a) => ({ id: a.id, rule: a.rule, severity: a.severity, time: a.time, ip: a.ip })),
  };
}
