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
  /** The alerts raised in the commit that opened or escalated it (the rest: `incident.alertIds`). */
  alerts: Alert[];
}

export type Notice = Alert | IncidentNotice;

export function isIncidentNotice(p: unknown): p is IncidentNotice {
  return typeof p === 'object' && p !== null && (p as { kind?: unknown }).kind === 'incident';
}

export function incidentNotice(change: IncidentNotice['change'], incident: Incident, alerts: Alert[]): IncidentNotice {
  return { kind: 'incident', change, incident: toIncidentJson(incident), alerts: alerts.map(toAlertJson) };
}

/** The severity a notice is filtered on by a sink's `minSeverity`. */
export function noticeSeverity(n: Notice): Severity {
  return isIncidentNotice(n) ? n.incident.severity : n.severity;
}

/** The JSON a sink sends or writes for a notice (contract fields only). */
export function noticeJson(n: Notice): Notice {
  return isIncidentNotice(n) ? incidentNotice(n.change, n.incident, n.alerts) : toAlertJson(n);
}
