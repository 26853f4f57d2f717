import { toAlertJson, type Alert, type Severity } from './alerts.js';
import { toIncidentJson, type Incident } from './incidents.js';

/**
 * What a notification carries. With `notify.on: incidents` (the default) a sink hears of an
 * incident when it opens and when its severity rises, with the alerts that made the change;
 * with `notify.on: alerts` it hears of each new alert, as the Alert JSON itself.
 */
export interface IncidentNotice {
  kind: 'incident';
  /** Opened, or its severity rose (escalated) since the last notice. */
  change: 'opened' | 'escalated';
  incident: Incident;
  /** How many alerts the incident holds: `incident.alertIds` lists the latest the running process joined to it, 1,000 at most. */
  alertCount: number;
  /** The alerts raised in the commit that opened or escalated it (the rest: `incident.alertIds`). */
  alerts: Alert[];
}

export type Notice = Alert | IncidentNotice;

export function isIncidentNotice(p: unknown): p is IncidentNotice {
  return typeof p === 'object' && p !== null && (p as { kind?: unknown }).kind === 'incident';
}

/** `alertCount`: the incident's alerts, when `alertIds` holds only the latest of them. */
export function incidentNotice(change: IncidentNotice['change'], incident: Incident, alerts: Alert[], alertCount = incident.alertIds.length): IncidentNotice {
  return { kind: 'incident', change, incident: toIncidentJson(incident), alertCount, alerts: alerts.map(toAlertJson) };
}

/** The severity a notice is filtered on by a sink's `minSeverity`. */
export function noticeSeverity(n: Notice): Severity {
  return isIncidentNotice(n) ? n.incident.severity : n.severity;
}

/** How many alerts the notice's incident holds; a notice queued before the count was part of notices carries every id. */
export function alertCountOf(n: IncidentNotice): number {
  return (n as Partial<IncidentNotice>).alertCount ?? n.incident.alertIds.length;
}

/** The JSON a sink sends or writes for a notice (contract fields only). */
export function noticeJson(n: Notice): Notice {
  return isIncidentNotice(n) ? incidentNotice(n.change, n.incident, n.alerts, alertCountOf(n)) : toAlertJson(n);
}
