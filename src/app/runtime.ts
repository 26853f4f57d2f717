import { dirname, join } from 'node:path';
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
import { openDatabase, type Db } from '../store/sqlite/database.js';
import { SqlitePipelineStore } from '../store/sqlite/pipeline-store.js';
import { AlertStore } from '../store/sqlite/alerts.js';
import { buildDelivery, type Delivery, type DeliveryOptions } from './delivery.js';
import { RunCounters } from './run-counters.js';

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
  /** Adds a listener called after every commit (the daemon prints alerts and records metrics). */
  onCommit(listener: (report: CommitReport) => void): void;
  /** Re-reads and validates the rules (swapped in after the next commit); a bad file throws and keeps the old ones. */
  reloadRules(): Rule[];
  /** Stops the worker threads and the outbox worker, then closes the db. */
  close(graceMs?: number): Promise<void>;
}

export interface RuntimeOptions extends Partial<DeliveryOptions> {
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
  const db = openDatabase(config.store.path);
  try {
    const store = new SqlitePipelineStore(db);
    const detection = new DetectionEngine(rules, config.detect);
    const loaded = await store.loadDetection();
    detection.load(loaded.state, loaded.openAlerts, loaded.openIncidents);
    const history = new History(store);
    const alerts = new AlertStore(db);
    const log: Log = opts.log ?? stderrLog();
    // The breaker's own alert goes into the alerts table like any other (inside the commit).
    const storeAlert = opts.storeAlert ?? ((a) => (alerts.insert(a, Date.now()), a));
    const delivery = buildDelivery(db, config, { log, now: opts.now, storeAlert, random: opts.random });
    const worker = new IngestWorker({ timeZone: config.parse.timeZone, maxLineBytes: config.parse.maxLineBytes, networkBits: config.detect.networks });
    const counters = new RunCounters();
    const listeners: Array<(r: CommitReport) => void> = opts.onCommit ? [opts.onCommit] : [];
    const committer = new StoreCommitter({
      store,
      history,
      detection,
      hooks: delivery.hooks,
      minLiveDnId: () => worker.tables.oldestLiveDnId,
      statusVersion: loaded.statusVersion,
      onCommit: (r) => {
        counters.committed(r, history.usersSeen);
        for (const l of listeners) l(r);
      },
    });
    const ingest = new Ingest({
      worker,
      processor: new HistoryAndDetection(history, detection),
      committer,
      mergeWindowMs: opts.mergeWindowMs ?? config.sources.mergeWindowMs,
      commitEveryLines: config.store.commitEvery,
      commitIntervalMs: opts.commitIntervalMs ?? null,
      onBatch: (b, f) => {
        counters.batch(b);
        opts.onBatch?.(b, f);
      },
      onFailure: opts.onFailure,
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
      onCommit: (l) => listeners.push(l),
      reloadRules: () => {
        const next = loadConfiguredRules(config);
        detection.replaceRules(next);
        return next;
      },
      close: async (graceMs?: number) => {
        await worker.terminate();
        await (graceMs === undefined ? delivery.close() : withTimeout(delivery.close(), graceMs));
        db.close();
      },
    };
  } catch (err) {
    db.close();
    throw err;
  }
}
