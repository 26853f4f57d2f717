import type { AlertStatus, AlertStatusChange, Severity } from './alerts.js';

/**
 * An incident: alerts of one user (or, for rules without a DN, one attacking network) grouped
 * while their summed risk is high. The queue, notifications and responses act on incidents;
 * alerts stay the signals they are made of. Field order is the NDJSON contract of
 * `ouwatch incidents list --json`.
 */
export interface Incident {
  id: string;
  status: IncidentStatus;
  severity: Severity;
  risk: number;
  dn: string | null;
  ip: string | null;
  /** Log time of its first and latest alert (ISO 8601 UTC). */
  firstTime: string;
  lastTime: string;
  rules: string[];
  alertIds: string[];
}

export type IncidentStatus = AlertStatus;

/**
 * Alert ids an open incident keeps in memory while detection runs: the latest it joined. An
 * incident nobody closes gathers alerts for as long as the storm lasts, and every id held
 * would grow the daemon without bound; the store links them all, and a start reads back only
 * their count.
 */
export const HELD_ALERT_IDS = 1000;

/** An incident with what the store keeps beside the contract. */
export interface StoredIncident extends Incident {
  /**
   * How many alerts it holds. Read from the store, `alertIds` lists them all; held by
   * detection while open, only the latest this process joined to it, HELD_ALERT_IDS at most
   * (notices carry this count).
   */
  alertCount: number;
  /** `dn:<DN>` for a user's incident, `net:<CIDR>` for one without a DN. */
  key: string;
  /** Closed by an analyst as benign: its alerts' addresses may be learnt. */
  closedBenign: boolean;
}

export interface IncidentDetail extends StoredIncident {
  history: AlertStatusChange[];
}

export interface IncidentFilter {
  statuses?: IncidentStatus[];
  severities?: Severity[];
  /** Incidents holding an alert of any of these rules. */
  rules?: string[];
  dn?: string;
  dnPattern?: string;
  ip?: string;
  /** Epoch ms (log time): incidents whose latest alert is at or after it. */
  since?: number;
  /** Epoch ms (log time): incidents whose first alert is at or before it. */
  until?: number;
}

/** The contract fields only, in contract order. */
export function toIncidentJson(i: Incident): Incident {
  return {
    id: i.id,
    status: i.status,
    severity: i.severity,
    risk: i.risk,
    dn: i.dn,
    ip: i.ip,
    firstTime: i.firstTime,
    lastTime: i.lastTime,
    rules: [...i.rules],
    alertIds: [...i.alertIds],
  };
}
