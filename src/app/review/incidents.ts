import type { AlertStatusChange } from '../../core/alerts.js';
import { ALERT_STATUSES } from '../../core/alerts.js';
import { toIncidentJson, type Incident, type IncidentStatus, type StoredIncident } from '../../core/incidents.js';
import type { Page, ReviewStore } from '../../core/review-ports.js';
import { NotFoundError, ReviewError } from '../errors.js';
import { alertListJson, alertsWithoutUserOn, checkChange, CHANGE_STATUS, type AlertListJson, type ChangeRequest, type ReviewContext } from './alerts.js';
import { parseListQuery, type ListQuery } from './query.js';

/** `ouwatch incidents show --json` and `GET /api/incidents/ID`. */
export interface IncidentDetailJson extends Incident {
  key: string;
  closedBenign: boolean;
  history: AlertStatusChange[];
  /** Its alerts, oldest first, as `alerts list --json` prints them. */
  alerts: AlertListJson[];
  /**
   * For a user's incident: alerts without a user from the addresses its alerts name, within
   * ADDRESS_LINK_WINDOW_MS of it, oldest first, at most ADDRESS_ALERTS_SHOWN (none for a
   * network's incident).
   * OpenUnison logs `cn=none` where it knows no session, so a copied token that fails to
   * refresh, or password tries, name only the address.
   */
  addressAlerts: AlertListJson[];
}

/** Incidents matching the query (the contract fields per item), one page, with counts. */
export async function listIncidents(store: ReviewStore, q: ListQuery, ctx: ReviewContext): Promise<Page<Incident>> {
  const p = parseListQuery<IncidentStatus>(q, { ...ctx, statuses: ALERT_STATUSES });
  const page = await store.incidents.list({ statuses: p.statuses, severities: p.severities, rules: p.rules, dnPattern: p.dnPattern, ip: p.ip, since: p.since, until: p.until }, p.page);
  return { ...page, items: page.items.map(toIncidentJson) };
}

export async function findIncident(store: ReviewStore, id: string): Promise<StoredIncident> {
  if (!/^[0-9a-z-]{4,}$/.test(id)) throw new ReviewError(`incident ids are lowercase letters, digits and dashes (at least the first 4 characters), got '${id}'`);
  const found = await store.incidents.withPrefix(id);
  if (found.length === 0) throw new NotFoundError(`no incident ${id} (list them with: ouwatch incidents list --status all)`);
  if (found.length > 1) throw new ReviewError(`${id} is ambiguous: ${found.map((i) => i.id).join(', ')}`);
  return found[0];
}

export async function showIncident(store: ReviewStore, id: string): Promise<IncidentDetailJson> {
  const i = await findIncident(store, id);
  const d = (await store.incidents.detail(i.id))!;
  // One query per thousand alerts, not three per alert: a storm's incident holds thousands.
  const alerts = (await store.alerts.byIds(d.alertIds)).map(alertListJson);
  const addressAlerts = d.dn === null ? [] : (await alertsWithoutUserOn(store, alerts.map((a) => a.ip), Date.parse(d.firstTime), Date.parse(d.lastTime))).map(alertListJson);
  return { ...toIncidentJson(d), key: d.key, closedBenign: d.closedBenign, history: d.history, alerts, addressAlerts };
}

/** Acknowledges, closes (with their alerts; as benign too) or reopens incidents. */
export async function changeIncidents(store: ReviewStore, ids: string[], req: ChangeRequest, now: number): Promise<Array<{ id: string; status: IncidentStatus; changed: boolean }>> {
  checkChange(req);
  if (ids.length === 0) throw new ReviewError('name at least one incident id');
  const status = CHANGE_STATUS[req.change];
  const found: StoredIncident[] = [];
  for (const id of ids) {
    const i = await findIncident(store, id);
    if (req.change === 'ack' && i.status === 'closed') throw new ReviewError(`incident ${i.id} is closed; reopen it first`);
    if (!found.some((x) => x.id === i.id)) found.push(i);
  }
  const out = [];
  for (const i of found) {
    const same = i.status === status && i.closedBenign === (req.benign === true);
    if (!same) await store.incidents.setStatus(i.id, status, req.by, req.comment, req.benign === true, now);
    out.push({ id: i.id, status, changed: !same });
  }
  return out;
}
