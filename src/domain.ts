// The domain vocabulary every stage speaks. Stages import their types from here and from
// nowhere else, so a reader learns the data model in one file.

/** The six words OpenUnison's AccessLog writes between brackets. */
export const ACCESS_EVENT_TYPES = ['AuSuccess', 'AuFail', 'AzSuccess', 'AzFail', 'NotFound', 'Error'] as const;
export type AccessEventType = (typeof ACCESS_EVENT_TYPES)[number];

/**
 * Every event ouwatch understands. The first seven are bracketed words in the log;
 * `IdpWarning` is a WARN line of OpenIDConnectIdP (refresh failures), `Logout` is
 * SessionManagerImpl's `Logging out user '<dn>'`.
 */
export const EVENT_TYPES = [...ACCESS_EVENT_TYPES, 'ExpiredRefreshTokenUsed', 'IdpWarning', 'Logout'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const SUCCESS_TYPES: ReadonlySet<EventType> = new Set<EventType>(['AuSuccess', 'AzSuccess']);

/** Where an IP address is, as far as the offline database knows. */
export interface GeoInfo {
  country: string;
  lat: number;
  lon: number;
}

/**
 * One OpenUnison event. `time` and `source` (with the fields before them) are the public
 * contract printed by `ouwatch parse --json` (DESIGN.md); they are derived on demand, because
 * formatting them for millions of events nobody prints is most of a replay's time budget.
 */
export class Event {
  /** Filled by enrich: the DN's SHA-1 (OpenUnison's `tremolo.io/user-dn` label). */
  dnSha1: string | null = null;
  /** Filled by enrich: null for private, unknown or missing addresses. */
  geo: GeoInfo | null = null;

  constructor(
    /** Log time, epoch milliseconds. */
    readonly ts: number,
    readonly type: EventType,
    /** Enrich may swap in an equal, shared copy (cheaper map lookups, no retained chunk). */
    public dn: string | null,
    public ip: string | null,
    readonly url: string | null,
    readonly app: string | null,
    readonly sessionId: string | null,
    readonly message: string,
    readonly level: string,
    readonly logger: string,
    readonly thread: string,
    /** The stream the line came from (file path, pod name, `stdin`): threads are unique only within one. */
    readonly origin: string,
    /** Physical line number in `origin`. */
    readonly lineNo: number,
    /** The log line as read (after unwrapping docker/CRI), for evidence. */
    readonly raw: string,
  ) {}

  /** ISO 8601 UTC with milliseconds. */
  get time(): string {
    return new Date(this.ts).toISOString();
  }

  /** `origin:line`: where the evidence is. */
  get source(): string {
    return this.origin + ':' + this.lineNo;
  }
}

/** The public JSON shape of an event (DESIGN.md contract), in contract order. */
export interface EventJson {
  time: string;
  type: EventType;
  dn: string | null;
  dnSha1: string | null;
  ip: string | null;
  url: string | null;
  app: string | null;
  sessionId: string | null;
  message: string;
  level: string;
  logger: string;
  thread: string;
  source: string;
}

export function toEventJson(e: Event): EventJson {
  return {
    time: e.time,
    type: e.type,
    dn: e.dn,
    dnSha1: e.dnSha1,
    ip: e.ip,
    url: e.url,
    app: e.app,
    sessionId: e.sessionId,
    message: e.message,
    level: e.level,
    logger: e.logger,
    thread: e.thread,
    source: e.source,
  };
}

/**
 * Why a line did not become an event. `other` and `continuation` are normal log content
 * (other classes, MyVD's SRCH/RESULT lines, stack traces); the rest are counted as skipped.
 */
export const LINE_KINDS = ['other', 'continuation', 'malformed', 'binary', 'oversized', 'unknown-word', 'truncated'] as const;
export type LineKind = (typeof LINE_KINDS)[number];
export const SKIP_REASONS = ['malformed', 'binary', 'oversized', 'unknown-word', 'truncated'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

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

/** The public alert shape (DESIGN.md contract). */
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
}

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
}

/** What `ouwatch alerts list` selects (every field optional; lists mean "any of"). */
export interface AlertFilter {
  rules?: string[];
  severities?: Severity[];
  statuses?: AlertStatus[];
  /** Exactly this DN (a DN is data: a `*` in it is a character). */
  dn?: string;
  /** DNs matching a pattern where `*` stands for any text. */
  dnPattern?: string;
  /** Exact address or a CIDR block. */
  ip?: string;
  /** Epoch ms (log time): alerts whose latest occurrence is at or after it. */
  since?: number;
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

/** DNs that are not people: they never get a baseline or a per-DN alert. */
export const NON_USER_DNS: ReadonlySet<string> = new Set(['cn=none', 'uid=Anonymous,o=Tremolo']);

export function isUserDn(dn: string | null): dn is string {
  return dn !== null && dn !== '' && !NON_USER_DNS.has(dn);
}

/** A user's recorded history, as `ouwatch user` shows it. */
export interface UserHistory {
  dn: string;
  dnSha1: string;
  firstSeen: string;
  lastSeen: string;
  counts: Partial<Record<EventType, number>>;
  ips: Array<{ ip: string; country: string | null; firstSeen: string; lastSeen: string; count: number }>;
  countries: Array<{ country: string; firstSeen: string; lastSeen: string; count: number }>;
  sessions: Array<{ sessionId: string; firstSeen: string; lastSeen: string; count: number; ips: string[] }>;
}

/** Counters of one replay or daemon run (the summary and /metrics read these). */
export interface RunStats {
  linesRead: number;
  events: Partial<Record<EventType, number>>;
  lineKinds: Partial<Record<LineKind, number>>;
  users: number;
  alertsRaised: number;
  alertsUpdated: number;
}

/** What the store knows about one address of one user (times are epoch ms). */
export interface IpStats {
  country: string | null;
  firstSeen: number;
  lastSeen: number;
  count: number;
  firstSuccess: number | null;
  lastSuccess: number | null;
  successCount: number;
}

export type CountryStats = Omit<IpStats, 'country'>;

/** The last geolocated successful event of a user (impossible travel starts from it). */
export interface GeoPoint {
  ts: number;
  ip: string;
  country: string;
  lat: number;
  lon: number;
}

/**
 * A user's state as detectors see it: the history before the event being examined.
 * The store keeps it in memory while the user is active and writes it back in batches.
 */
export interface UserState {
  readonly dn: string;
  readonly dnSha1: string;
  firstSeen: number;
  lastSeen: number;
  counts: Partial<Record<EventType, number>>;
  successCount: number;
  firstSuccess: number | null;
  lastSuccess: number | null;
  ips: Map<string, IpStats>;
  countries: Map<string, CountryStats>;
  lastGeo: GeoPoint | null;
}

/** Read access to user state for detectors (the store implements it). */
export interface HistoryView {
  /** The user's state, or null for a DN never seen before. */
  user(dn: string): UserState | null;
}

/** How one live source of the daemon is doing (`/readyz` lists these). */
export interface SourceStatus {
  /** `files`, `kubernetes` or `node`. */
  name: string;
  /** Following its logs: a tailed file, or every running pod's stream connected. */
  attached: boolean;
  /** One sentence for the operator when it is not attached (or what it follows). */
  detail: string;
  /** Each file or pod stream and its state (`tailing`, `following`, `waiting: <why>`…). */
  inputs: Array<{ name: string; state: string }>;
}

/**
 * A background task the daemon starts after its sources and stops before closing the store
 * (the outbox delivery worker of src/respond and src/notify). Its counters feed /metrics.
 */
export interface BackgroundWorker {
  readonly name: string;
  start(): void;
  /** Finishes or abandons in-flight work (it stays in the outbox) and resolves. */
  stop(): Promise<void>;
  stats(): WorkerStats;
}

/** Cumulative counters of a background worker since it started. */
export interface WorkerStats {
  /** Items waiting in the outbox now. */
  outboxDepth?: number;
  /** Response actions by result (`done`, `failed`, `held`, `expired`…). */
  actions?: Record<string, number>;
  /** Notifications by channel and result: `{ email: { sent: 3, failed: 1 } }`. */
  notifications?: Record<string, Record<string, number>>;
}
// ---- Response (src/respond) and delivery (outbox, src/notify) ----

/** What an action does: end a user's sessions, or open/reset the response circuit breaker. */
export const ACTION_KINDS = ['end-session', 'breaker-open', 'breaker-reset'] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

/**
 * Where an action stands. `planned`: dry-run, recorded and printed, nothing called;
 * `queued`/`retrying`: waiting in the outbox; `done`/`failed`: final; `held`: a guard stopped it.
 */
export const ACTION_STATUSES = ['planned', 'queued', 'retrying', 'done', 'failed', 'held'] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

/** The safety guards that can hold an automatic action back (DESIGN.md "Response safety"). */
export const GUARDS = ['min-severity', 'never-end', 'stale', 'cooldown', 'budget'] as const;
export type GuardName = (typeof GUARDS)[number];

/** One Kubernetes call of an action, with the API server's answer (or the transport error). */
export interface ActionStep {
  step: 'delete-oidc-sessions' | 'create-endsession' | 'write-manifest' | 'print-manifest';
  /** ISO time of the answer. */
  at: string;
  /** HTTP status (null when the call never got an answer: network error, timeout). */
  code: number | null;
  outcome: 'ok' | 'already-exists' | 'error';
  message: string;
}

/** A recorded action (`ouwatch actions`): what, for which alert, by whom, when, and the result. */
export interface ActionRecord {
  id: number;
  action: ActionKind;
  alertId: string | null;
  /** `rule` (an automatic response), `person` (a command line user) or `ouwatch` (the breaker). */
  byKind: 'rule' | 'person' | 'ouwatch';
  /** The rule id or the person's name. */
  by: string;
  time: string;
  updated: string;
  mode: ResponseMode;
  dn: string | null;
  dnSha1: string | null;
  /** The EndSession object name (RFC 1123, derived from the alert). */
  name: string | null;
  namespace: string | null;
  /** kubeconfig context (null = the current one). */
  context: string | null;
  status: ActionStatus;
  guard: GuardName | null;
  /** Why it was held, or what happened, in one sentence. */
  reason: string | null;
  steps: ActionStep[];
  error: string | null;
  attempts: number;
}

/** What the outbox delivers. */
export const OUTBOX_KINDS = ['end-session', 'email', 'webhook', 'jsonl'] as const;
export type OutboxKind = (typeof OUTBOX_KINDS)[number];

/** Per-kind delivery counters of this process (the daemon's /metrics reads them). */
export type DeliveryCounters = Record<OutboxKind, { delivered: number; failed: number; retrying: number }>;
