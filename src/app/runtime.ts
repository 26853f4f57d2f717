import { dirname, join } from 'node:path';
import { networkOfText } from '../components/enrich/address-info.js';
import { fileURLToPath } from 'node:url';
import type { Config } from './config.js';
import type { Log } from '../core/log.js';
import { withTimeout } from '../core/timeout.js';
import { stderrLog } from '../core/log.js';
import { DetectionEngine } from '../components/detect/engine.js';
import { loadRules, type Rule } from '../components/detect/rules.js';
import { History } from '../components/history/history.js';
import { StoreCommitter, type CommitReport } from '../pipeline/committer.js';
import { Ingest } from '../pipeline/ingest.js';
import { HistoryAndDetection } from '../pipeline/processor.js';
import { IngestWorker } from '../pipeline/worker-client.js';
import type { EventBatch } from '../pipeline/batch.js';
import type { Feed } from '../pipeline/feed.js';
import { openWriter, type Db } from '../store/sqlite/database.js';
import { storageFaultOf, writeProblem } from '../store/sqlite/storage-fault.js';
import type { WriterLease } from '../core/ports.js';
import type { StorageFault } from '../core/storage-fault.js';
import { holdLease } from './store-access.js';
import { SqlitePipelineStore } from '../store/sqlite/pipeline-store.js';
import { AlertStore } from '../store/sqlite/alerts.js';
import { OutputCursor } from '../store/sqlite/output-cursor.js';
import type { StoredAlert } from '../core/alerts.js';
import { buildDelivery, type Delivery, type DeliveryOptions } from './delivery.js';
import { RunCounters } from './run-counters.js';

export type { CommitReport };

/** The rules shipped with ouwatch (used when neither --rules nor the config names a directory). */
export const BUNDLED_RULES_DIR = fileURLToPath(new URL('../../rules', import.meta.url));

/** The rules directory a configuration names, or the bundled one. */
export function rulesDirOf(config: Config): string {
  return config.detect.rulesDir ?? BUNDLED_RULES_DIR;
}

/** The overlay directory (`rules.d`): the config's, or `rules.d` beside a rules directory of one's own. */
export function overlayDirOf(config: Config): string | null {
  if (config.detect.overlayDir !== undefined) return config.detect.overlayDir;
  return config.detect.rulesDir === undefined ? null : join(dirname(config.detect.rulesDir), 'rules.d');
}

export function loadConfiguredRules(config: Config): Rule[] {
  return loadRules(rulesDirOf(config), overlayDirOf(config));
}

/** Everything a command needs to ingest logs, built from one validated configuration. */
export interface Runtime {
  config: Config;
  db: Db;
  store: SqlitePipelineStore;
  ingest: Ingest;
  history: History;
  detection: DetectionEngine;
  counters: RunCounters;
  /** Response (EndSession), notifications and the outbox worker that delivers both. */
  delivery: Delivery;
  /** This process's writer lease on the store (renewed in every commit and every 10 s). */
  lease: WriterLease;
  /** The StorageFault behind an error of a store operation, or null when it is something else. */
  storageFault(err: unknown): StorageFault | null;
  /** Throws a StorageFault when the store's files cannot be written now (checked before each commit). */
  checkWritable(): void;
  /**
   * The committed alerts a previous run of this command did not get to print, and a way to
   * record that what was committed is printed (stdout is at least once; see OutputCursor).
   */
  output: { unprinted(): StoredAlert[]; printedAll(): void };
  /** Adds a listener called after every commit (the daemon prints alerts and records metrics). */
  onCommit(listener: (report: CommitReport) => void): void;
  /** Re-reads and validates the rules (swapped in after the next commit); a bad file throws and keeps the old ones. */
  reloadRules(): Rule[];
  /** Stops the worker threads and the outbox worker, then closes the db. */
  close(graceMs?: number): Promise<void>;
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
  /** Live runs commit at most this often (null: replay, by lines and at the end). */
  commitIntervalMs?: number | null;
  mergeWindowMs?: number;
  onCommit?(report: CommitReport): void;
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
  const path = config.store.path;
  const log: Log = opts.log ?? stderrLog();
  const { db, lease, grant } = openWriter(path, opts.command ?? 'ouwatch');
  const storageFault = (err: unknown) => storageFaultOf(err, path);
  const checkWritable = () => {
    const problem = writeProblem(path);
    if (problem !== null) throw problem;
  };
  const held = holdLease(lease, path, grant, {
    log,
    onLost: opts.onLeaseLost,
    onError: (err) => {
      const fault = opts.onStorageFault === undefined ? null : storageFault(err);
      if (fault !== null) opts.onStorageFault!(fault);
      return fault !== null;
    },
    writable: () => writeProblem(path) === null,
  });
  const closeDb = (release: boolean) => {
    // Closing checkpoints the WAL through the -shm mapping: with an immutable -shm that would
    // kill the process (SIGBUS). Left open, SQLite recovers it at the next open.
    if (writeProblem(path) !== null) return;
    if (release) held.release();
    if (db.open) db.close();
  };
  try {
    const store = new SqlitePipelineStore(db);
    const detection = new DetectionEngine(rules, config.detect);
    store.releaseBenignVerdicts();
    const loaded = await store.loadDetection();
    detection.load(loaded.state, loaded.openAlerts, loaded.openIncidents);
    const history = new History(store, (ip) => networkOfText(ip, config.detect.networks));
    const alerts = new AlertStore(db);
    // The breaker's own alert goes into the alerts table like any other (inside the commit).
    const storeAlert = opts.storeAlert ?? ((a) => (alerts.insert(a, Date.now()), a));
    const delivery = buildDelivery(db, config, {
      log,
      now: opts.now,
      storeAlert,
      random: opts.random,
      // The worker reads the db every second: an immutable -shm must stop it before it does.
      beforeRun: opts.onStorageFault === undefined ? undefined : checkWritable,
      onLoopError: (err) => {
        const fault = opts.onStorageFault === undefined ? null : storageFault(err);
        if (fault !== null) opts.onStorageFault!(fault);
        return fault !== null;
      },
    });
    const worker = new IngestWorker({ timeZone: config.parse.timeZone, maxLineBytes: config.parse.maxLineBytes, networkBits: config.detect.networks });
    const counters = new RunCounters();
    const listeners: Array<(r: CommitReport) => void> = opts.onCommit ? [opts.onCommit] : [];
    const committer = new StoreCommitter({
      store,
      history,
      detection,
      // Renewing the lease inside every commit fences it: a process that lost it cannot commit.
      hooks: [...delivery.hooks, () => lease.heartbeat()],
      beforeCommit: checkWritable,
      minLiveDnId: () => worker.tables.oldestLiveDnId,
      statusVersion: loaded.statusVersion,
      onCommit: (r) => {
        counters.committed(r, history.usersSeen);
        for (const l of listeners) l(r);
      },
    });
    const ingest = new Ingest({
      worker,
      processor: new HistoryAndDetection(history, detection, () => committer.noticeChanges()),
      committer,
      mergeWindowMs: opts.mergeWindowMs ?? config.sources.mergeWindowMs,
      commitEveryLines: config.store.commitEvery,
      commitIntervalMs: opts.commitIntervalMs ?? null,
      onBatch: (b, f) => {
        counters.batch(b);
        opts.onBatch?.(b, f);
      },
      onFailure: opts.onFailure,
      storageFault: opts.onStorageFault === undefined ? undefined : { classify: storageFault, onFault: opts.onStorageFault },
    });
    return {
      config,
      db,
      store,
      ingest,
      history,
      detection,
      counters,
      delivery,
      lease,
      output: new OutputCursor(db, opts.command ?? 'ouwatch'),
      storageFault,
      checkWritable,
      onCommit: (l) => listeners.push(l),
      reloadRules: () => {
        const next = loadConfiguredRules(config);
        detection.replaceRules(next);
        return next;
      },
      close: async (graceMs?: number) => {
        await worker.terminate();
        await (graceMs === undefined ? delivery.close() : withTimeout(delivery.close(), graceMs)).catch(() => undefined);
        held.stop();
        closeDb(true);
      },
    };
  } catch (err) {
    held.stop();
    closeDb(true);
    throw err;
  }
}
