import type { ActionKind, ActionRecord, ActionStatus, ActionStep } from './actions.js';
import type { AlertResponse } from './alerts.js';
import type { NewOutboxItem, OutboxItem, OutboxStatus } from './delivery.js';
import type { OutboxKind } from './actions.js';
import type { LeaseGrant, LeaseHolder } from './writer-lease.js';
import type { RetentionPolicy, RetentionReport } from './retention.js';

/**
 * The ports the stages use to reach the store. Adapters under src/store implement them;
 * components and the pipeline depend on these interfaces only.
 */

/**
 * A new action, as the responder or a person records it. The target (DN, object, namespace,
 * context), the guard and the reason are left out by actions without one (the breaker's).
 */
export type NewAction = Pick<ActionRecord, 'action' | 'alertId' | 'byKind' | 'by' | 'mode' | 'status'> &
  Partial<Pick<ActionRecord, 'dn' | 'dnSha1' | 'name' | 'namespace' | 'context' | 'guard' | 'reason'>>;

/** What changed after a delivery attempt. */
export interface ActionUpdate {
  status: ActionStatus;
  steps?: ActionStep[];
  error?: string | null;
  reason?: string | null;
  attempts?: number;
}

export interface ActionFilter {
  status?: ActionStatus;
  dn?: string;
  limit?: number;
}


/** The `actions` table: every response, held or carried out, with its answers. */
export interface ActionRepository {
  insert(a: NewAction, now: number): ActionRecord;
  update(id: number, u: ActionUpdate, now: number): void;
  get(id: number): ActionRecord | null;
  list(f?: ActionFilter): ActionRecord[];
  /** Automatic actions (by a rule) recorded since `since` (the hourly budget). */
  automaticSince(since: number): number;
  lastEndSession(dn: string): ActionRecord | null;
  /** The open breaker's action, or null when the breaker is closed. */
  breakerOpenedBy(): ActionRecord | null;
}

/** The outbox table (see core/delivery.ts). */
export interface OutboxRepository {
  enqueue(item: NewOutboxItem, now: number): number;
  /** Leases due items until `leaseUntil`; `flush` also takes items not yet due (end of a replay). */
  claim(now: number, leaseUntil: number, limit?: number, flush?: boolean): OutboxItem[];
  delivered(id: number, now: number): void;
  retryAt(id: number, at: number, error: string): void;
  failed(id: number, error: string, now: number): void;
  nextDue(): number | null;
  counts(): Array<{ kind: OutboxKind; status: OutboxStatus; n: number }>;
  pending(kind?: OutboxKind): OutboxItem[];
  list(status?: OutboxStatus, limit?: number): OutboxItem[];
  prune(before: number): number;
  /** Marks items as sent together in one digest (`batchId`: its smallest id) at their first attempt. */
  assignBatch(ids: number[], batchId: number): void;
  /** Times items were requeued by a person, by kind. */
  requeueCounts(): Array<{ kind: OutboxKind; n: number }>;
}

/** Writes an alert's `response` column (respond owns it; detection never overwrites it). */
export interface AlertResponses {
  set(alertId: string, response: AlertResponse): void;
}

export type { ActionKind, ActionStatus };

/**
 * The store's writer lease (see core/writer-lease.ts). SQLite keeps it in a table; a
 * PostgreSQL store will implement it with an advisory lock.
 */
export interface WriterLease {
  /** Takes the lease for `command`, or throws LeaseHeldError naming the live holder. */
  acquire(command: string): LeaseGrant;
  /** Renews the lease; throws LeaseLostError when another process took it over. */
  heartbeat(): void;
  /** Lets go (nothing happens when another process holds it by then). */
  release(): void;
  /** The current holder, or null. */
  holder(): LeaseHolder | null;
}

/** Deletes what the retention policy no longer keeps (see core/retention.ts). */
export interface RetentionStore {
  /** `dryRun`: counts what would go and deletes nothing. */
  apply(policy: RetentionPolicy, now: number, opts?: { dryRun?: boolean }): RetentionReport;
}
