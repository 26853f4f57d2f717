import type { ActionKind, ActionRecord, ActionStatus, ActionStep } from './actions.js';
import type { AlertResponse, AlertStatus, StoredAlert } from './alerts.js';
import type { HistoryWrites, UserRecord } from './history.js';
import type { StoredIncident } from './incidents.js';
import type { InputIdentity, InputPosition } from './inputs.js';
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

/** Per-user history, read in batches (writes go through the commit). */
export interface HistoryRepository {
  /** Whether any user is stored at all (a fresh store needs no lookups). */
  hasUsers(): Promise<boolean>;
  /** The stored users among these DNs, each with every address. */
  loadUsers(dns: readonly string[]): Promise<UserRecord[]>;
}

/** A stored row of detector state (windows, pending pairs): JSON owned by its detector. */
export interface StateRow {
  scope: string;
  key: string;
  state: string;
  /** Log time after which the row means nothing (deleted once the log passes it), or null. */
  expires: number | null;
}

/** Everything one commit writes, in one transaction. */
export interface CommitBatch {
  history: HistoryWrites;
  state: { puts: StateRow[]; deletes: Array<{ scope: string; key: string }>; expiredBefore: number | null };
  alerts: { raised: StoredAlert[]; updated: StoredAlert[] };
  incidents: StoredIncident[];
  /** Where each input got to: stored with the state it produced. */
  positions: Array<{ identity: InputIdentity; origin: string; position: InputPosition }>;
  /** Alerts closed as benign: the addresses they kept from being learnt are learnt now. */
  releases: string[];
}

/** A stored file checkpoint. */
export interface FileCheckpoint {
  fingerprint: string;
  path: string;
  offset: number;
  lineNo: number;
  dev: number | null;
  ino: number | null;
  tailHash: string | null;
  hashOffset: number | null;
}

/** Analysts' changes since a version: what detection must notice (closures, benign verdicts). */
export interface StatusChanges {
  version: number;
  alerts: Array<{ id: string; rule: string; dn: string | null; ip: string | null; status: AlertStatus; benign: boolean }>;
  incidents: Array<{ id: string; key: string; status: AlertStatus }>;
}

/** Runs inside the commit transaction with the alerts it commits (responses, notifications). */
export type CommitHook = (raised: StoredAlert[], updated: StoredAlert[]) => void;

/** The store as the ingest pipeline uses it. */
export interface PipelineStore extends HistoryRepository {
  /** At start-up: detector state, alerts that may still count repeats, open incidents. */
  loadDetection(): Promise<{ state: StateRow[]; openAlerts: StoredAlert[]; openIncidents: StoredIncident[]; statusVersion: number }>;
  statusChangesSince(version: number): Promise<StatusChanges>;
  checkpoint(fingerprint: string): Promise<FileCheckpoint | null>;
  /** Every file checkpoint, newest first. */
  checkpoints(): Promise<FileCheckpoint[]>;
  streamPosition(key: string): Promise<InputPosition | null>;
  /** Writes the batch in one transaction, running the hooks inside it. */
  commit(batch: CommitBatch, hooks: readonly CommitHook[]): Promise<void>;
}

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
