import type { ActionKind, ActionRecord, ActionStatus, ActionStep } from './actions.js';
import type { AlertResponse, AlertStatus, AlertUpdate, StoredAlert } from './alerts.js';
import type { AddressRecord, HistoryWrites, OrganisationCount, UserRecord } from './history.js';
import type { Incident, StoredIncident } from './incidents.js';
import type { InputIdentity, InputPosition } from './inputs.js';
import type { NewOutboxItem, OutboxItem, OutboxStatus } from './delivery.js';
import type { OutboxKind } from './actions.js';
import type { LeaseGrant, LeaseHolder } from './writer-lease.js';
import type { RetentionPolicy, RetentionReport } from './retention.js';

/**
 * The ports the stages use to reach the store. Adapters under src/store implement them;
 * components and the pipeline depend on these interfaces only. What the analyst's commands
 * and the console use is in review-ports.ts.
 */

/**
 * A result now (SQLite answers synchronously) or later (PostgreSQL): callers always await it.
 * Ports that both stores implement return it, so neither pays for the other's model.
 */
export type Awaitable<T> = T | Promise<T>;

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


/**
 * The action log as the response guards read it: the hourly budget, the per-DN cooldown and the
 * breaker. Synchronous: during a commit it answers from the store's transaction (SQLite) or from
 * what the store loaded for the commit plus what the commit recorded so far (PostgreSQL).
 */
export interface ActionLedger {
  /** Automatic end-session actions (by a rule, not held) recorded since `since` (the hourly budget). */
  automaticSince(since: number): number;
  /** The latest end-session action for `dn` that was not held (the cooldown's reference). */
  lastEndSession(dn: string): ActionRecord | null;
  /** The open breaker's action, or null when the breaker is closed. */
  breakerOpenedBy(): ActionRecord | null;
}

/** The `actions` table: every response, held or carried out, with its answers. */
export interface ActionRepository {
  insert(a: NewAction, now: number): Awaitable<ActionRecord>;
  update(id: number, u: ActionUpdate, now: number): Awaitable<void>;
  get(id: number): Awaitable<ActionRecord | null>;
  list(f?: ActionFilter): Awaitable<ActionRecord[]>;
  /** See ActionLedger (outside a commit: what is stored now). */
  automaticSince(since: number): Awaitable<number>;
  lastEndSession(dn: string): Awaitable<ActionRecord | null>;
  breakerOpenedBy(): Awaitable<ActionRecord | null>;
  /** End-session actions carried out (apply, manifest) between `from` and `to` (epoch ms) that no logout line confirmed: the oldest 100. */
  unconfirmedEndSessions(from: number, to: number): Awaitable<ActionRecord[]>;
}

/** The outbox table (see core/delivery.ts). */
export interface OutboxRepository {
  enqueue(item: NewOutboxItem, now: number): Awaitable<number>;
  /** Leases due items until `leaseUntil`; `flush` also takes items not yet due (end of a replay). */
  claim(now: number, leaseUntil: number, limit?: number, flush?: boolean): Awaitable<OutboxItem[]>;
  delivered(id: number, now: number): Awaitable<void>;
  retryAt(id: number, at: number, error: string): Awaitable<void>;
  failed(id: number, error: string, now: number): Awaitable<void>;
  nextDue(): Awaitable<number | null>;
  counts(): Awaitable<Array<{ kind: OutboxKind; status: OutboxStatus; n: number }>>;
  pending(kind?: OutboxKind): Awaitable<OutboxItem[]>;
  list(status?: OutboxStatus, limit?: number): Awaitable<OutboxItem[]>;
  prune(before: number): Awaitable<number>;
  /** Marks items as sent together in one digest (`batchId`: its smallest id) at their first attempt. */
  assignBatch(ids: number[], batchId: number): Awaitable<void>;
  /** Times items were requeued by a person, by kind. */
  requeueCounts(): Awaitable<Array<{ kind: OutboxKind; n: number }>>;
}

/** Writes an alert's `response` column (respond owns it; detection never overwrites it). */
export interface AlertResponses {
  set(alertId: string, response: AlertResponse): Awaitable<void>;
}

export type { ActionKind, ActionStatus };

/** Per-user history, read in batches (writes go through the commit). */
export interface HistoryRepository {
  /** Whether any user is stored at all (a fresh store needs no lookups). */
  hasUsers(): Promise<boolean>;
  /**
   * The stored users among these DNs, each with every address learnt as theirs and the
   * `recentOthers` most recently seen of the others, which never succeeded or which an alert
   * keeps from being learnt (UserRecord.oldestLeftOut tells what stayed in the store).
   */
  loadUsers(dns: readonly string[], recentOthers: number): Promise<UserRecord[]>;
  /**
   * The stored rows of these (DN, address) pairs, those that exist: addresses history let go
   * from memory (HeldUsers' users keep only their recent ones), read back before a batch
   * whose events name them.
   */
  loadAddresses(pairs: ReadonlyArray<{ dn: string; ip: string }>): Promise<Array<AddressRecord & { dn: string }>>;
  /**
   * The stored addresses of this DN that the alert `alertId` keeps from being learnt: those
   * history let go from memory are read back when the alert is closed as benign.
   */
  loadQuarantined(dn: string, alertId: string): Promise<AddressRecord[]>;
  /**
   * Users per network, ASN and country of their learnt addresses, the most shared first, at
   * most `limit` rows of each kind and only places of at least two users.
   */
  loadOrganisation(limit: number): Promise<OrganisationCount[]>;
}

/** A stored row of detector state (windows, pending pairs): JSON owned by its detector. */
export interface StateRow {
  scope: string;
  key: string;
  state: string;
  /** Log time after which the row means nothing (deleted once the log passes it), or null. */
  expires: number | null;
}

/** One alert of one incident. */
export interface IncidentLink {
  incident: string;
  alert: string;
}

/** Everything one commit writes, in one transaction. */
export interface CommitBatch {
  history: HistoryWrites;
  state: { puts: StateRow[]; deletes: Array<{ scope: string; key: string }>; expiredBefore: number | null };
  alerts: { raised: StoredAlert[]; updated: AlertUpdate[] };
  incidents: StoredIncident[];
  /**
   * Alerts that joined an incident since the last commit (an incident's earlier alerts are
   * linked already: a long-open incident must not rewrite all its links at every commit).
   */
  incidentLinks: IncidentLink[];
  /** Of those, the ones opened and the ones whose severity rose (what notifications and responses act on). */
  incidentChanges?: IncidentChanges;
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
  alerts: Array<{ id: string; rule: string; dn: string | null; ip: string | null; suppressKey: string | null; status: AlertStatus; benign: boolean }>;
  incidents: Array<{ id: string; key: string; status: AlertStatus }>;
}

/** Incidents a commit opened, and open ones whose severity it raised. */
export interface IncidentChanges {
  opened: StoredIncident[];
  escalated: StoredIncident[];
}

/**
 * What the hooks of one commit record. The store writes it in the commit's transaction, with
 * the alerts that caused it, so a crash can neither lose an action or a notification nor keep
 * one whose alert was not stored. Synchronous: hooks decide, they never wait for the store.
 */
export interface CommitEffects {
  /** The action log as of this point of the commit (stored actions and those recorded so far). */
  readonly actions: ActionLedger;
  /** Records an action; its id is allocated at once (outbox items and alerts name it). */
  recordAction(a: NewAction, now: number): ActionRecord;
  /** Queues a delivery (an end-session action, a notification). */
  enqueue(item: NewOutboxItem, now: number): void;
  /** Sets the `response` of an alert of this commit. */
  setResponse(alertId: string, response: AlertResponse): void;
  /** Stores an alert ouwatch raises itself (the breaker's) with this commit's alerts. */
  raise(alert: StoredAlert): void;
}

/**
 * Runs in every commit with the alerts the commit stores for the first time (`raised`), the
 * open alerts it updated and the incidents it opened or escalated: the responder and the
 * notifier. `run` is synchronous and reads and writes through `effects` only. `plan` bounds
 * what `run` will need, from the same alerts and incidents, so a store with an asynchronous
 * transaction (PostgreSQL) loads the ledger and allocates action ids before calling `run`.
 */
export interface CommitHook {
  plan?(raised: readonly StoredAlert[], incidents: IncidentChanges): CommitHookPlan;
  run(raised: StoredAlert[], updated: AlertUpdate[], incidents: IncidentChanges, effects: CommitEffects): void;
}

/** What `run` will do at most: record `actions` actions, ask `lastEndSession` for `dns`, `automaticSince` from `since` on. */
export interface CommitHookPlan {
  actions: number;
  dns: string[];
  since: number | null;
}

/** The store as the ingest pipeline uses it. */
export interface PipelineStore extends HistoryRepository {
  /**
   * At start-up: detector state and open incidents; each alert that may still count repeats
   * is handed to `takeOpenAlert` as it is read, a page at a time: after an alert storm there
   * are hundreds of thousands, which as one array took most of a start's time and memory.
   */
  loadDetection(takeOpenAlert: (a: StoredAlert) => void): Promise<{ state: StateRow[]; openIncidents: StoredIncident[]; statusVersion: number }>;
  statusChangesSince(version: number): Promise<StatusChanges>;
  checkpoint(fingerprint: string): Promise<FileCheckpoint | null>;
  /** Every file checkpoint, newest first. */
  checkpoints(): Promise<FileCheckpoint[]>;
  streamPosition(key: string): Promise<InputPosition | null>;
  /** Writes the batch in one transaction, running the hooks inside it. */
  commit(batch: CommitBatch, hooks: readonly CommitHook[]): Promise<void>;
  /**
   * True when `commit` has written the batch by the time its call returns (SQLite's
   * transactions are synchronous): history then lets it read the rows from its own state
   * (HistoryWrites.writeTo) instead of copying them. PostgreSQL's commit awaits the server,
   * and a batch whose answer was lost is settled by the next commit as it was, while history
   * has counted on since: it needs the copies.
   */
  readonly writesWithinCall: boolean;
  /**
   * At the start of a writer: addresses kept from being learnt by alerts closed as benign while
   * no pipeline ran are learnt now (a running one notices the verdicts as status changes).
   */
  releaseBenignVerdicts(): Awaitable<number>;
}

/**
 * The store's writer lease (see core/writer-lease.ts). SQLite keeps it in a table; PostgreSQL
 * holds a session-level advisory lock on the writer's connection (and describes the holder in
 * the same table).
 */
export interface WriterLease {
  /** Takes the lease for `command`, or throws LeaseHeldError naming the live holder. */
  acquire(command: string): Awaitable<LeaseGrant>;
  /** Renews the lease; throws LeaseLostError when another process took it over. */
  heartbeat(): Awaitable<void>;
  /** Lets go (nothing happens when another process holds it by then). */
  release(): Awaitable<void>;
  /** The current holder, or null. */
  holder(): Awaitable<LeaseHolder | null>;
}

/**
 * What a command has printed of the committed alerts, per consumer: a cursor on the order
 * alerts were stored in (`seq`). Printing follows the store, so a reader slower than the
 * pipeline costs a page of memory, and what a stopped or killed process did not print is
 * printed by the next one (at least once on stdout; exactly once in the store).
 */
export interface AlertOutput {
  /** Where this consumer stands; one seen for the first time starts at the newest alert (history is not printed). */
  position(): Promise<number>;
  /** Committed alerts stored after `seq`, oldest first, at most `limit`. */
  after(seq: number, limit: number): Promise<Array<{ seq: number; alert: StoredAlert }>>;
  /** The alerts through `seq` reached the output. */
  printedThrough(seq: number): Promise<void>;
  /** The position of the newest alert stored (0: none). */
  newest(): Promise<number>;
  /** Every alert committed since the cursor (replay: what a killed replay did not print). */
  unprinted(): Promise<StoredAlert[]>;
}

/** Deletes what the retention policy no longer keeps (see core/retention.ts). */
export interface RetentionOptions {
  dryRun?: boolean;
  newest?: number;
  signal?: AbortSignal;
}

export interface RetentionStore {
  /**
   * `dryRun`: counts what would go and deletes nothing. `newest`: the newest log time the store
   * holds, when the caller knows it (it is otherwise read from the users, which have no index on it).
   * `signal`: once aborted, no further delete statement starts (a stopping daemon does not wait
   * for a slow pass); the report says `stopped`.
   */
  apply(policy: RetentionPolicy, now: number, opts?: RetentionOptions): Awaitable<RetentionReport>;
  /**
   * The oldest log time a row of history (users, addresses, countries, sessions, hourly
   * activity) may carry (an hour's bucket counts from its start); null when there is none.
   * Rows older than a retention cutoff are what a pass deletes.
   */
  oldestHistory(): Awaitable<number | null>;
}

/** Detection writes incidents inside its commit transaction: synchronous. */
export interface IncidentWriter {
  /**
   * Inserts the incident, or updates its severity, risk, address, times and rules (never its
   * status: analysts change that), and links its alerts.
   */
  record(incident: Incident & { key: string }, wallClock: number): void;
}
