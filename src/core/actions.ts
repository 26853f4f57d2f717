import type { ResponseMode } from './alerts.js';

/** What an action does: end a user's sessions, or open/reset the response circuit breaker. */
export const ACTION_KINDS = ['end-session', 'breaker-open', 'breaker-reset'] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

/**
 * Where an action stands. `planned`: dry-run, recorded and printed, nothing called;
 * `queued`/`retrying`: waiting in the outbox; `done`/`failed`: final; `held`: a guard stopped it.
 */
export const ACTION_STATUSES = ['planned', 'queued', 'retrying', 'done', 'failed', 'held'] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

/** The safety guards that can hold an automatic action back (README "Responding"). */
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
