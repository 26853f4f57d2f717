export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

export const ALERT_STATUSES = ['open', 'acknowledged', 'closed'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

export interface Evidence {
  source: string;
  line: string;
}

export const RESPONSE_MODES = ['off', 'dry-run', 'manifest', 'apply'] as const;
export type ResponseMode = (typeof RESPONSE_MODES)[number];

export interface AlertResponse {
  action: string;
  mode: ResponseMode;
  name: string;
  status: string;
}

/** The public alert shape (the contract of `replay --json`, documented in the README). */
export interface Alert {
  id: string;
  rule: string;
  severity: Severity;
  /** When the alert was first raised (log time of the triggering event). */
  time: string;
  dn: string | null;
  dnSha1: string | null;
  ip: string | null;
  country: string | null;
  reason: string;
  evidence: Evidence[];
  status: AlertStatus;
  response: AlertResponse | null;
}

/** An alert with the bookkeeping the store keeps beside the contract fields. */
export interface StoredAlert extends Alert {
  /** How many times the same (rule, dn, ip) fired while this alert was open (1 = once). */
  count: number;
  /** Log time of the latest occurrence. */
  lastTime: string;
  /** Whether the rule asks for an automatic response (EndSession). */
  respond: boolean;
  /** What this alert adds to the risk of its user (or network): from its rule, or lower for a low-risk finding. */
  risk: number;
  /** Lines that made the alert; `evidence` keeps the first of them (the rest are counted here). */
  evidenceTotal: number;
  /** What makes a repeat the same alert when it is not the address (a session id); null: the address. */
  suppressKey?: string | null;
}

/**
 * A repeat counted on an alert already stored: what its row's update writes (and what a
 * commit reports of it). Detection keeps only this much of an alert once it is stored, so
 * an alert storm's open alerts do not hold their reasons, nor their evidence lines, in
 * memory for a whole window: the lines a repeat adds are appended to the stored ones.
 */
export type AlertUpdate = Pick<StoredAlert, 'id' | 'rule' | 'severity' | 'count' | 'lastTime' | 'evidenceTotal'> & {
  /** Evidence lines to append to the stored ones (within `maxEvidence`; empty when it is full). */
  evidenceAdded: Evidence[];
};

/** One status change of an alert: who, when (wall clock, ISO), and why. */
export interface AlertStatusChange {
  status: AlertStatus;
  by: string;
  at: string;
  comment: string | null;
}

/** An alert as `ouwatch alerts show` prints it: the contract, the bookkeeping, the history. */
export interface AlertDetail extends StoredAlert {
  history: AlertStatusChange[];
  /** Closed by an analyst as benign (detection may learn its address). */
  closedBenign: boolean;
  /** The incidents the alert belongs to. */
  incidentIds: string[];
}

/** What `ouwatch alerts list` selects (every field optional; lists mean "any of"). */
export interface AlertFilter {
  rules?: string[];
  severities?: Severity[];
  statuses?: AlertStatus[];
  /** Exactly this DN (a DN is data: a `*` in it is a character). */
  dn?: string;
  /** DNs matching a pattern where `*` stands for any text (ASCII letters match in any case). */
  dnPattern?: string;
  /** Only alerts without a DN (keyed on an address). */
  withoutDn?: boolean;
  /** Exact address or a CIDR block. */
  ip?: string;
  /** Epoch ms (log time): alerts whose latest occurrence is at or after it. */
  since?: number;
  /** Epoch ms (log time): alerts first raised at or before it. */
  until?: number;
  limit?: number;
}

export function toAlertJson(a: Alert): Alert {
  return {
    id: a.id,
    rule: a.rule,
    severity: a.severity,
    time: a.time,
    dn: a.dn,
    dnSha1: a.dnSha1,
    ip: a.ip,
    country: a.country,
    reason: a.reason,
    evidence: a.evidence.map((e) => ({ source: e.source, line: e.line })),
    status: a.status,
    response: a.response ? { ...a.response } : null,
  };
}
