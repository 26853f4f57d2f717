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

/**
 * The line that shows OpenUnison carried out an end-session action: SessionManagerImpl's
 * `Logging out user '<dn>'`, logged when it processes an EndSession (or the user logs out).
 * Without it, a created EndSession may have done nothing: `openunison.enable_end_session`
 * off, or an OpenUnison older than 1.0.43.
 */
export interface ActionConfirmation {
  /** Log time of the logout line (ISO). */
  time: string;
  source: string;
  line: string;
}

/**
 * A logout confirms an end-session action of its DN recorded at most this long before it
 * (EndSession objects are processed within seconds and deleted about a minute after creation)...
 */
export const CONFIRM_WITHIN_MS = 15 * 60_000;
/** ...or at most this long after it: the JVM's clock and ouwatch's may differ a little. */
export const CONFIRM_CLOCK_SKEW_MS = 60_000;

/** Actions in these modes reach OpenUnison (a manifest, once applied by GitOps), so its log can confirm them... */
export const CONFIRMABLE_MODES: readonly ResponseMode[] = ['apply', 'manifest'];
/** ...once carried out, or while being carried out (the logout may be read before the API's answer is recorded). */
export const CONFIRMABLE_STATUSES: readonly ActionStatus[] = ['done', 'queued', 'retrying'];

/**
 * Whether OpenUnison is known to have ended the sessions of an end-session action that was
 * carried out: `confirmed` (its logout line was read), `waiting` (not yet, within
 * CONFIRM_WITHIN_MS of the action), `unconfirmed` (not within it: the EndSession may have done
 * nothing, or ouwatch does not read that cluster's logs); null for actions nothing confirms.
 */
export type ConfirmationState = 'confirmed' | 'waiting' | 'unconfirmed';

export function confirmationState(a: Pick<ActionRecord, 'action' | 'mode' | 'status' | 'time' | 'confirmed'>, now: number): ConfirmationState | null {
  if (a.confirmed !== null) return 'confirmed';
  if (a.action !== 'end-session' || !CONFIRMABLE_MODES.includes(a.mode) || !CONFIRMABLE_STATUSES.includes(a.status)) return null;
  return now - Date.parse(a.time) <= CONFIRM_WITHIN_MS ? 'waiting' : 'unconfirmed';
}

/** What to look at when an action stays unconfirmed (the CLI, the console and the daemon's warning say it alike). */
export const UNCONFIRMED_ADVICE =
  'check that OpenUnison processes EndSession objects (openunison.enable_end_session, OpenUnison 1.0.43 or later) and that ouwatch reads the logs of the cluster it was sent to';

/** What `confirmationState` means, in one sentence for people. */
export function confirmationText(a: Pick<ActionRecord, 'action' | 'mode' | 'status' | 'time' | 'confirmed'>, now: number): string | null {
  switch (confirmationState(a, now)) {
    case 'confirmed':
      return `OpenUnison logged the user out at ${a.confirmed!.time} (${a.confirmed!.source})`;
    case 'waiting':
      return 'no logout line of the user read yet';
    case 'unconfirmed':
      return `no logout line of the user read within ${CONFIRM_WITHIN_MS / 60_000} min: ${UNCONFIRMED_ADVICE}`;
    default:
      return null;
  }
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
  /** The logout line that showed OpenUnison ended the sessions (end-session actions in apply or manifest mode), null until one is read. */
  confirmed: ActionConfirmation | null;
}

/** What the outbox delivers. */
export const OUTBOX_KINDS = ['end-session', 'email', 'webhook', 'jsonl'] as const;
export type OutboxKind = (typeof OUTBOX_KINDS)[number];

/** Per-kind delivery counters of this process (the daemon's /metrics reads them). */
export type DeliveryCounters = Record<OutboxKind, { delivered: number; failed: number; retrying: number }>;
