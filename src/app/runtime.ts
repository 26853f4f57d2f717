import { networkOfText } from '../components/enrich/address-info.js';
import type { Config } from './config.js';
import type { Log } from '../core/log.js';
import { withTimeout } from '../core/timeout.js';
import { stderrLog } from '../core/log.js';
import { DetectionEngine } from '../components/detect/engine.js';
import { loadRules, type Rule } from '../components/detect/rules.js';
import { History } from '../components/history/history.js';
import { loadOrganisation } from './organisation.js';
import { StoreCommitter, type CommitReport } from '../pipeline/committer.js';
import { Ingest } from '../pipeline/ingest.js';
import { HistoryAndDetection } from '../pipeline/processor.js';
import { IngestWorker } from '../pipeline/worker-client.js';
import type { WorkerHeap } from '../pipeline/worker/ingest-worker.js';
import type { TableCapacity } from '../pipeline/worker/tables.js';
import type { EventBatch } from '../pipeline/batch.js';
import type { Feed } from '../pipeline/feed.js';
import type { Db } from '../store/sqlite/database.js';
import type { AlertOutput, PipelineStore, RetentionStore, WriterLease } from '../core/ports.js';
import type { StorageFault } from '../core/storage-fault.js';
import { holdLease } from './store-access.js';
import { overlayDirOf, rulesDirOf } from './rule-dirs.js';
import { buildDelivery, type Delivery, type DeliveryOptions } from './delivery.js';
import { RunCounters } from './run-counters.js';
import { retentionTickMs } from './retention-schedule.js';
import { openWriterBackend, type StandbyOptions } from './writer-backend.js';

export type { CommitReport };

export function loadConfiguredRules(config: Config): Rule[] {
  return loadRules(rulesDirOf(config), overlayDirOf(config));
}

/** Everything a command needs to ingest logs, built from one validated configuration. */
export interface Runtime {
  config: Config;
  /** The store's path or URL (no password), for messages. */
  storeName: string;
  storeKind: 'sqlite' | 'postgres';
  /** The SQLite connection (tests and SQLite-only tools); throws on a PostgreSQL store. */
  readonly db: Db;
  store: PipelineStore;
  retention: RetentionStore;
  ingest: Ingest;
  history: History;
  detection: DetectionEngine;
  counters: RunCounters;
  /** Response (EndSession), notifications and the outbox worker that delivers both. */
  delivery: Delivery;
  /** Where the run's notes and warnings go (RuntimeOptions.log). */
  log: Log;
  /** This process's writer lease on the store (renewed in every commit and every 10 s). */
  lease: WriterLease;
  /** The StorageFault behind an error of a store operation, or null when it is something else. */
  storageFault(err: unknown): StorageFault | null;
  /** Throws while the store cannot be written (a StorageFault; PostgreSQL: reconnects and takes its lock again). */
  ensureWritable(): Promise<void>;
  /** 'open', or why the store does not answer now (/readyz). */
  storeHealth(): string;
  /**
   * What this command has printed of the committed alerts: a cursor in the order alerts were
   * stored, moved only past what reached stdout (stdout is at least once; see AlertOutput).
   */
  output: AlertOutput;
  /** Adds a listener called after every commit (the daemon prints alerts and records metrics); the pipeline waits for what it returns. */
  onCommit(listener: (report: CommitReport) => void | Promise<void>): void;
  /** Re-reads and validates the rules (swapped in after the next commit); a bad file throws and keeps the old ones. */
  reloadRules(): Rule[];
  /** The ingest worker thread's V8 heap (used, total bytes) as last reported; null before its first batch. */
  ingestHeap(): WorkerHeap | null;
  /** Stops the worker threads and the outbox worker, then closes the db. */
  close(graceMs?: number): Promise<void>;
}

/** How much the pipeline holds in memory; the defaults where a field is absent. */
export interface PipelineLimits {
  /** Distinct values the string tables hold before their ids start over (TABLE_CAPACITY). */
  tables?: TableCapacity;
  /** Users history keeps in memory after a commit (DEFAULT_USERS_HELD). */
  usersHeld?: number;
  /** Log time a held user keeps its addresses in memory for (DEFAULT_ADDRESSES_KEPT_FOR). */
  addressesKeptFor?: number;
  /** Addresses a held user keeps before it lets go of those that never succeeded (MAX_ADDRESSES_HELD). */
  maxAddressesHeld?: number;
  /** Addresses not their own all held users keep together (MAX_UNLEARNT_HELD_IN_ALL). */
  maxUnlearntHeldInAll?: number;
  /** Users changed since the last commit that make a commit due (DEFAULT_COMMIT_AT_BACKLOG). */
  commitAtBacklog?: number;
  /** Users met for the first time since the last commit that make a commit due (DEFAULT_COMMIT_AT_NEW_USERS). */
  commitAtNewUsers?: number;
  /** Sessions and hours of activity begun since the last commit that make a commit due (DEFAULT_COMMIT_AT_HELD_ROWS). */
  commitAtHeldRows?: number;
  /** Chunks of an input read ahead of the merge, at most (IngestOptions.readAhead). */
  readAhead?: number;
}

export interface RuntimeOptions extends Partial<DeliveryOptions> {
  /** The command holding the writer lease (`run`, `replay`), named to a second writer. */
  command?: string;
  /** The lease was taken over by another process (seen by the 10 s renewal): stop writing. */
  onLeaseLost?(err: Error): void;
  /**
   * The store cannot be written (full, read-only): a live run pauses and retries; without it,
   * a failed commit ends the run.
   */
  onStorageFault?(fault: StorageFault): void;
  /** These rules instead of the configured directory's (rule fixtures run one rule alone). */
  rules?: Rule[];
  /** A live holder of the writer lease is waited for (PostgreSQL: the daemon's standby). */
  standby?: StandbyOptions;
  /** Live runs commit at most this often (null: replay, by lines and at the end). */
  commitIntervalMs?: number | null;
  mergeWindowMs?: number;
  /** A commit is due once this many alerts wait for it (tests set it low; DEFAULT_COMMIT_AT_ALERTS otherwise). */
  commitAtAlerts?: number;
  /** Whether the reader of the committed alerts is behind (replay's stdout): commits then hold fewer alerts. */
  outputBehind?(): boolean;
  /** The bounds of the pipeline's memory (tests set them low to cross them with small inputs). */
  limits?: PipelineLimits;
  /** Called after every commit; the pipeline waits for what it returns before the next (backpressure). */
  onCommit?(report: CommitReport): void | Promise<void>;
  onBatch?(batch: EventBatch, feed: Feed): void;
  /** The ingest loop failed (a commit that could not be written, the worker died). */
  onFailure?(err: unknown): void;
}

/**
 * Wires the stages together from the configuration: the one place where `replay` and `run`
 * (and tests) get the same pipeline. What needs start-up validation (rules, response and
 * notification settings) fails here, before any input is read.
 */
export async function createRuntime(config: Config, opts: RuntimeOptions = {}): Promise<Runtime> {
  // Rules are validated before the database is touched: a bad rule file changes nothing.
  const rules = opts.rules ?? loadConfiguredRules(config);
  const log: Log = opts.log ?? stderrLog();
  const live = opts.commitIntervalMs !== undefined && opts.commitIntervalMs !== null;
  const backend = await openWriterBackend(config, { command: opts.command ?? 'ouwatch', log, standby: opts.standby, live });
  const storageFault = (err: unknown) => backend.storageFault(err);
  const writable = backend.checkWritable;
  const held = holdLease(backend.lease, backend.name, backend.grant, {
    log,
    onLost: opts.onLeaseLost,
    onError: (err) => {
      const fault = opts.onStorageFault === undefined ? null : storageFault(err);
      if (fault !== null) opts.onStorageFault!(fault);
      return fault !== null;
    },
    // SQLite: a renewal would fail on an immutable file (and could kill the process through
    // the -shm mapping): skipped while the files cannot be written. PostgreSQL: a renewal on a
    // lost connection fails, which pauses the daemon.
    writable: writable === undefined ? undefined : () => tryCheck(writable),
  });
  const closeStore = () => backend.close(() => held.release());
  try {
    const store = backend.store;
    await store.releaseBenignVerdicts();
    const organisation = await loadOrganisation(store, config.detect);
    const detection = new DetectionEngine(rules, config.detect, organisation);
    const statusVersion = await detection.loadFrom(store);
    const history = new History(store, (ip) => networkOfText(ip, config.detect.networks), organisation, opts.limits);
    const delivery = buildDelivery(backend.delivery, config, {
      log,
      now: opts.now,
      random: opts.random,
      // The worker reads the db every second: an immutable -shm must stop it before it does.
      beforeRun: opts.onStorageFault === undefined ? undefined : writable,
      onLoopError: (err) => {
        const fault = opts.onStorageFault === undefined ? null : storageFault(err);
        if (fault !== null) opts.onStorageFault!(fault);
        return fault !== null;
      },
    });
    const worker = new IngestWorker({
      timeZone: config.parse.timeZone,
      maxLineBytes: config.parse.maxLineBytes,
      networkBits: config.detect.networks,
      tableCapacity: opts.limits?.tables,
    });
    const counters = new RunCounters(() => history.usersSeen);
    const listeners: Array<(r: CommitReport) => void | Promise<void>> = opts.onCommit ? [opts.onCommit] : [];
    const committer = new StoreCommitter({
      store,
      history,
      detection,
      // Renewing the lease inside every commit fences it: a process that lost it cannot commit.
      hooks: delivery.hooks,
      beforeCommit: writable,
      // Users a batch still waiting in the merge refers to stay too, however old their ids.
      minLiveDnId: (): number => Math.min(worker.tables.oldestLiveDnId, ingest.oldestWaitingDnId),
      namesInFlight: (dn: string): boolean => ingest.namesInFlight(dn),
      statusVersion,
      onCommit: async (r) => {
        counters.committed(r);
        for (const l of listeners) await l(r);
      },
    });
    const ingest = new Ingest({
      worker,
      processor: new HistoryAndDetection(history, detection, () => committer.noticeChanges()),
      committer,
      mergeWindowMs: opts.mergeWindowMs ?? config.sources.mergeWindowMs,
      commitEveryLines: config.store.commitEvery,
      commitAtAlerts: opts.commitAtAlerts,
      outputBehind: opts.outputBehind,
      commitAtBacklog: opts.limits?.commitAtBacklog,
      commitAtNewUsers: opts.limits?.commitAtNewUsers,
      commitAtHeldRows: opts.limits?.commitAtHeldRows,
      readAhead: opts.limits?.readAhead,
      commitIntervalMs: opts.commitIntervalMs ?? null,
      // Commits at each retention interval of log time: replay and daemon prune at the same log times.
      logTimeTickMs: retentionTickMs(config),
      onBatch: (b, f) => {
        counters.batch(b);
        opts.onBatch?.(b, f);
      },
      onFailure: opts.onFailure,
      storageFault: opts.onStorageFault === undefined ? undefined : { classify: storageFault, onFault: opts.onStorageFault },
    });
    return {
      config,
      storeName: backend.name,
      storeKind: backend.kind,
      get db(): Db {
        if (backend.db === null) throw new Error(`runtime.db is a SQLite connection; ${backend.name} is a PostgreSQL store`);
        return backend.db;
      },
      store,
      retention: backend.retention,
      ingest,
      history,
      detection,
      counters,
      delivery,
      log,
      lease: backend.lease,
      output: backend.output(opts.command ?? 'ouwatch'),
      storageFault,
      ensureWritable: () => backend.ensureWritable(),
      storeHealth: () => backend.health(),
      onCommit: (l) => listeners.push(l),
      ingestHeap: () => worker.heap,
      reloadRules: () => {
        const next = loadConfiguredRules(config);
        detection.replaceRules(next);
        return next;
      },
      close: async (graceMs?: number) => {
        await worker.release();
        await (graceMs === undefined ? delivery.close() : withTimeout(delivery.close(), graceMs)).catch(() => undefined);
        held.stop();
        await closeStore();
      },
    };
  } catch (err) {
    held.stop();
    await closeStore();
    throw err;
  }
}

function tryCheck(check: () => void): boolean {
  try {
    check();
    return true;
  } catch {
    return false;
  }
}
