import type { AlertStatus, Severity } from './alerts.js';

/**
 * An incident: the alerts of one user (or, for rules keyed on addresses, one network) whose
 * summed risk within a sliding window crossed the threshold, or that include an alert of a
 * rule that pages at once. Notifications, responses and the analyst's queue work on these;
 * the alerts stay as the detail. The fields are the NDJSON contract of `incidents list --json`.
 */
export interface Incident {
  id: string;
  status: AlertStatus;
  severity: Severity;
  risk: number;
  dn: string | null;
  ip: string | null;
  firstTime: string;
  lastTime: string;
  rules: string[];
  alertIds: string[];
}

/** An incident with what the store keeps beside the contract. */
export interface StoredIncident extends Incident {
  /** `dn:<DN>` for a user's incident, `net:<CIDR>` for one keyed on a network. */
  key: string;
  closedBenign: boolean;
}
