import type { ActionRecord } from '../../core/actions.js';
import { toAlertJson, type Alert, type AlertDetail, type AlertStatus, type AlertStatusChange, type StoredAlert } from '../../core/alerts.js';
import type { Page, ReviewStore } from '../../core/review-ports.js';
import { NotFoundError, ReviewError } from '../errors.js';
import { parseListQuery, type ListQuery, type Namer } from './query.js';

/** One line of `ouwatch alerts list --json` and an item of `GET /api/alerts`. */
export interface AlertListJson extends Alert {
  count: number;
  lastTime: string;
  /** Log lines behind the alert; more than `evidence.length` when some were not kept. */
  evidenceTotal: number;
}

/**
 * How far apart in log time an alert without a user and a user's incident naming its address
 * may be to be shown beside each other (OpenUnison logs `cn=none` where it knows no session:
 * a copied token's failed refresh names only the address).
 */
export const ADDRESS_LINK_WINDOW_MS = 24 * 3_600_000;

/** Alerts without a user shown beside a user's incident or history, at most. */
export const ADDRESS_ALERTS_SHOWN = 20;
/** Addresses asked about, at most (the latest named): an alert storm's incident names thousands. */
const ADDRESS_ALERTS_ADDRESSES = 50;

/**
 * Alerts without a DN from the addresses `named` (oldest first; the latest
 * ADDRESS_ALERTS_ADDRESSES distinct ones are asked about, one query each) within
 * ADDRESS_LINK_WINDOW_MS of [from, to] (log time): the latest ADDRESS_ALERTS_SHOWN, oldest first.
 */
export async function alertsWithoutUserOn(store: ReviewStore, named: ReadonlyArray<string | null>, from: number, to: number): Promise<StoredAlert[]> {
  const ips = [...new Set(named.filter((ip): ip is string => ip !== null).reverse())].slice(0, ADDRESS_ALERTS_ADDRESSES);
  const found = new Map<string, StoredAlert>();
  for (const ip of ips) {
    const page = await store.alerts.list(
      { ip, withoutDn: true, since: from - ADDRESS_LINK_WINDOW_MS, until: to + ADDRESS_LINK_WINDOW_MS },
      { offset: 0, limit: ADDRESS_ALERTS_SHOWN, sort: 'time' },
    );
    for (const a of page.items) found.set(a.id, a);
  }
  const newestFirst = [...found.values()].sort((a, b) => (a.time > b.time ? -1 : a.time < b.time ? 1 : a.id < b.id ? -1 : 1));
  return newestFirst.slice(0, ADDRESS_ALERTS_SHOWN).reverse();
}

/** `ouwatch alerts show --json` and `GET /api/alerts/ID`. */
export interface AlertDetailJson extends AlertListJson {
  respond: boolean;
  closedBenign: boolean;
  incidentIds: string[];
  /** For an alert without a user: the users' incidents on its address within ADDRESS_LINK_WINDOW_MS of it (empty otherwise). */
  userIncidentIds: string[];
  history: AlertStatusChange[];
  /** Response actions taken for it, with every API answer. */
  actions: ActionRecord[];
}

export function alertListJson(a: StoredAlert): AlertListJson {
  return { ...toAlertJson(a), count: a.count, lastTime: a.lastTime, evidenceTotal: Math.max(a.evidenceTotal ?? 0, a.evidence.length) };
}

export interface ReviewContext {
  now: number;
  name: Namer;
  knownRules: readonly string[];
}

/** Alerts matching the query, one page, with the total and counts per rule and severity. */
export async function listAlerts(store: ReviewStore, q: ListQuery, ctx: ReviewContext): Promise<Page<AlertListJson>> {
  const p = parseListQuery(q, ctx);
  const page = await store.alerts.list({ rules: p.rules, severities: p.severities, statuses: p.statuses, dnPattern: p.dnPattern, ip: p.ip, since: p.since, until: p.until }, p.page);
  return { ...page, items: page.items.map(alertListJson) };
}

/** An id, or an unambiguous prefix of one (at least 4 hexadecimal characters). */
export async function findAlert(store: ReviewStore, id: string): Promise<StoredAlert> {
  if (!/^[0-9a-f]{4,}$/.test(id)) throw new ReviewError(`alert ids are hexadecimal (at least the first 4 characters), got '${id}'`);
  const found = await store.alerts.withPrefix(id);
  if (found.length === 0) throw new NotFoundError(`no alert ${id} (list them with: ouwatch alerts list --status all)`);
  if (found.length > 1) throw new ReviewError(`${id} is ambiguous: ${found.map((a) => a.id).join(', ')}`);
  return found[0];
}

export async function showAlert(store: ReviewStore, id: string): Promise<AlertDetailJson> {
  const a = await findAlert(store, id);
  const d = (await store.alerts.detail(a.id))!;
  const actions = await store.actions.forAlerts([a.id]);
  return { ...alertListJson(d), respond: d.respond, closedBenign: d.closedBenign, incidentIds: d.incidentIds, userIncidentIds: await userIncidentsOn(store, d), history: d.history, actions };
}

/** The users' incidents on the address of an alert without a user, around it (the other side of an incident's `addressAlerts`). */
async function userIncidentsOn(store: ReviewStore, a: AlertDetail): Promise<string[]> {
  if (a.dn !== null || a.ip === null) return [];
  const near = { since: Date.parse(a.time) - ADDRESS_LINK_WINDOW_MS, until: Date.parse(a.lastTime) + ADDRESS_LINK_WINDOW_MS };
  const page = await store.incidents.list({ ip: a.ip, ...near }, { offset: 0, limit: 20, sort: 'time' });
  return page.items.filter((i) => i.dn !== null).map((i) => i.id);
}

export type StatusChange = 'ack' | 'close' | 'reopen';

export const CHANGE_STATUS: Record<StatusChange, AlertStatus> = { ack: 'acknowledged', close: 'closed', reopen: 'open' };

export interface ChangeRequest {
  change: StatusChange;
  by: string;
  comment: string | null;
  /** Close as benign (detection may then learn the addresses). Only with `close`. */
  benign?: boolean;
}

export interface ChangeResult {
  id: string;
  rule: string;
  status: AlertStatus;
  /** False when it was already in that state (nothing recorded). */
  changed: boolean;
}

/**
 * Acknowledges, closes or reopens alerts. Every id is resolved and checked first: one
 * unknown, ambiguous or closed (for ack) alert changes nothing and says which.
 */
export async function changeAlerts(store: ReviewStore, ids: string[], req: ChangeRequest, now: number): Promise<ChangeResult[]> {
  checkChange(req);
  if (ids.length === 0) throw new ReviewError('name at least one alert id');
  const status = CHANGE_STATUS[req.change];
  const alerts: StoredAlert[] = [];
  for (const id of ids) {
    const a = await findAlert(store, id);
    if (req.change === 'ack' && a.status === 'closed') throw new ReviewError(`alert ${a.id} is closed; reopen it first`);
    if (!alerts.some((x) => x.id === a.id)) alerts.push(a);
  }
  const out: ChangeResult[] = [];
  for (const a of alerts) {
    const detail = req.benign && a.status === 'closed' ? await store.alerts.detail(a.id) : null;
    const same = a.status === status && (detail === null || detail.closedBenign === (req.benign === true));
    if (!same) await store.alerts.setStatus(a.id, status, req.by, req.comment, req.benign === true, now);
    out.push({ id: a.id, rule: a.rule, status, changed: !same });
  }
  return out;
}

export function checkChange(req: ChangeRequest): void {
  if (req.benign && req.change !== 'close') throw new ReviewError('benign applies to close only');
  if (req.by.trim() === '') throw new ReviewError('who is acting must be named');
}
