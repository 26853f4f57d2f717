import type { ActionRecord, ActionStatus, OutboxKind } from './actions.js';
import type { AlertDetail, AlertFilter, AlertStatus, Severity, StoredAlert } from './alerts.js';
import type { UserHistory } from './history.js';
import type { IncidentDetail, IncidentFilter, IncidentStatus, StoredIncident } from './incidents.js';
import type { OutboxStatus } from './delivery.js';
import type { ActionRepository } from './ports.js';

/**
 * The review ports: what the analyst's commands and the console read and change, over either
 * store. Asynchronous, so a store with an asynchronous client (PostgreSQL) can implement them.
 * The ports of the pipeline (commits, history, retention) are in ports.ts.
 */

/** A page of a listing: the items, how many match in all, and their counts by rule and severity. */
export interface Page<T> {
  items: T[];
  total: number;
  offset: number;
  /** null: no limit. */
  limit: number | null;
  counts: { rule: Record<string, number>; severity: Partial<Record<Severity, number>> };
}

export interface PageRequest {
  offset: number;
  limit: number | null;
  /** `time`: newest first; `severity`: most severe first, newest first within a severity. */
  sort: 'time' | 'severity';
}

export interface AlertQueries {
  list(filter: AlertFilter, page: PageRequest): Promise<Page<StoredAlert>>;
  detail(id: string): Promise<AlertDetail | null>;
  /** Alerts whose id starts with `prefix` (at most 10). */
  withPrefix(prefix: string): Promise<StoredAlert[]>;
  /** The alerts of these ids that exist, in the order given (an incident's: a few queries, not one per alert). */
  byIds(ids: readonly string[]): Promise<StoredAlert[]>;
  /** Changes the status and records who, when and why; `benign` only with `closed`. False for an unknown id. */
  setStatus(id: string, status: AlertStatus, by: string, comment: string | null, benign: boolean, wallClock: number): Promise<boolean>;
  /** Per rule id that raised any: all alerts, those raised since each of `since` (log time), the latest time. */
  ruleCounts(since: number[]): Promise<Array<{ rule: string; total: number; since: number[]; latest: string }>>;
  /** Alerts per UTC day (log time) and rule, from `from` on. */
  perDay(from: number): Promise<Array<{ day: string; rule: string; n: number }>>;
  /** The latest log time of any alert (epoch ms), or null. */
  latestTime(): Promise<number | null>;
}

export interface IncidentQueries {
  list(filter: IncidentFilter, page: PageRequest): Promise<Page<StoredIncident>>;
  detail(id: string): Promise<IncidentDetail | null>;
  withPrefix(prefix: string): Promise<StoredIncident[]>;
  /** True when the store holds any incident (the queue shows incidents then, alerts otherwise). */
  any(): Promise<boolean>;
  /**
   * Changes the status and records who, when and why. Closing closes the incident's alerts
   * too (as benign when the incident is closed as benign). False for an unknown id.
   */
  setStatus(id: string, status: IncidentStatus, by: string, comment: string | null, benign: boolean, wallClock: number): Promise<boolean>;
}

/** Events of one user in one log-time hour from one address ('' = none). */
export interface ActivityRow {
  hour: number;
  ip: string;
  country: string | null;
  events: number;
  failures: number;
}

export interface UserQueries {
  history(dn: string, maxSessions: number): Promise<UserHistory | null>;
  /** Known DNs resembling `dn` (any case, substring), most recently seen first. */
  similar(dn: string, limit: number): Promise<string[]>;
  activity(dn: string, from: number, to: number): Promise<ActivityRow[]>;
}

export interface ActionListFilter {
  statuses?: ActionStatus[];
  /** Exactly this DN. */
  dn?: string;
  dnPattern?: string;
  /** Wall-clock epoch ms bounds of when the action was recorded. */
  since?: number;
  until?: number;
}

export interface ActionQueries {
  list(filter: ActionListFilter, page: Omit<PageRequest, 'sort'>): Promise<{ items: ActionRecord[]; total: number }>;
  get(id: number): Promise<ActionRecord | null>;
  forAlerts(alertIds: string[]): Promise<ActionRecord[]>;
}

/** Queued deliveries by kind and status, and the oldest pending item (wall clock). */
export interface OutboxHealth {
  counts: Array<{ kind: OutboxKind; status: OutboxStatus; n: number }>;
  oldestPending: string | null;
  lastFailure: { at: string; kind: OutboxKind; error: string | null } | null;
}

/** Everything the review services use, over one store. */
export interface ReviewStore {
  /** What the store is (a path, a URL without credentials), for messages. */
  readonly name: string;
  alerts: AlertQueries;
  incidents: IncidentQueries;
  users: UserQueries;
  actions: ActionQueries;
  /** The action log the responder writes (a person's end-session is recorded there too). */
  actionLog: ActionRepository;
  outboxHealth(): Promise<OutboxHealth>;
  close(): void;
}
