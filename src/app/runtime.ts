import { fileURLToPath } from 'node:url';
import type { Config } from './config.js';
import { DetectionEngine } from '../components/detect/engine.js';
import { loadRules, type Rule } from '../components/detect/rules.js';
import { buildDelivery, type Delivery, type DeliveryOptions } from './delivery.js';
import { Pipeline, type CommitHook } from '../pipeline/pipeline.js';
import { AlertStore } from '../store/sqlite/alerts.js';
import { openWriter, type Db } from '../store/sqlite/database.js';
import { storageFaultOf, writeProblem } from '../store/sqlite/storage-fault.js';
import { stderrLog } from '../core/log.js';
import type { WriterLease } from '../core/ports.js';
import type { StorageFault } from '../core/storage-fault.js';
import { withTimeout } from '../core/timeout.js';
import { holdLease } from './store-access.js';

/** The rules shipped with ouwatch (used when neither --rules nor the config names a directory). */
export const BUNDLED_RULES_DIR = fileURLToPath(new URL('../../rules', import.meta.url));

/** Everything a command needs to run the pipeline, built from one validated configuration. */
export interface Runtime {
  config: Config;
  db: Db;
  pipeline: Pipeline;
  /** The detection stage (rules, alerts, the address-visibility warning). */
  detection: DetectionEngine;
  /**
   * Re-reads and validates the rules directory and swaps the new rules in (after the next
   * commit if events are pending). A bad file throws ConfigError and keeps the old rules.
   */
  reloadRules(): Rule[];
  /** Response (EndSession), notifications and the outbox worker that delivers both. */
  delivery: Delivery;
  /** This process's writer lease on the store (renewed in every commit and every 10 s). */
  lease: WriterLease;
  /** The StorageFault behind an error of a store operation, or null when it is something else. */
  storageFault(err: unknown): StorageFault | null;
  /**
   * Throws a StorageFault when the store's files cannot be written now (read-only, immutable):
   * checked before each commit, so an immutable -shm file pauses the daemon instead of killing it.
   */
  checkWritable(): void;
  /**
   * For a daemon pausing on a storage fault: stops the outbox worker and the lease renewal and
   * closes the db without letting the lease go (the paused daemon is still the writer). While
   * the db's files cannot be written the connection is left open, untouched (closing it would
   * write to them); call again once they can be, before opening the store anew.
   */
  suspend(graceMs: number): Promise<void>;
  /**
   * Stops the outbox worker, then closes the db. With `graceMs`, a delivery still in flight
   * after that long is abandoned (it stays leased in the outbox and is retried after the
   * lease, by the next run): a hung SMTP or API server must not hold a shutdown.
   */
  close(graceMs?: number): Promise<void>;
}

/** The rules directory a configuration names, or the bundled one. */
export function rulesDirOf(config: Config): string {
  return config.detect.rulesDir ?? BUNDLED_RULES_DIR;
}

export interface AssembleOptions extends DeliveryOptions {
  /** The command holding the writer lease (`run`, `replay`), named to a second writer. */
  command: string;
  /** The lease was taken over by another process (seen by the 10 s renewal): stop writing. */
  onLeaseLost(err: Error): void;
  /**
   * A storage fault seen outside the commit path (the outbox worker, the lease renewal): the
   * daemon pauses. Without it, those are logged and the next commit reports the fault.
   */
  onStorageFault(fault: StorageFault): void;
}

/**
 * Wires the stages together from the configuration: the one place where `replay` and `run`
 * (and tests) get the same pipeline. Stages that need start-up validation (rules, response,
 * notification settings) fail here, before any input is read.
 */
export function assemble(config: Config, opts: Partial<AssembleOptions> = {}): Runtime {
  // Rules are validated before the database is touched: a bad rule file changes nothing.
  const rules = loadRules(rulesDirOf(config));
  const path = config.store.path;
  const log = opts.log ?? stderrLog();
  const { db, lease, grant } = openWriter(path, opts.command ?? 'ouwatch');
  const onFault = opts.onStorageFault;
  const faultHandled = (err: unknown): boolean => {
    const fault = onFault === undefined ? null : storageFaultOf(err, path);
    if (fault === null) return false;
    onFault!(fault);
    return true;
  };
  const checkWritable = () => {
    const problem = writeProblem(path);
    if (problem !== null) throw problem;
  };
  const held = holdLease(lease, path, grant, { log, onLost: opts.onLeaseLost, onError: faultHandled, writable: () => writeProblem(path) === null });
  let dbOpen = true;
  const closeDb = (release: boolean) => {
    // Closing checkpoints the WAL through the -shm mapping: with an immutable -shm that
    // would kill the process (SIGBUS). Left open, SQLite recovers it at the next open.
    if (!dbOpen || writeProblem(path) !== null) return;
    if (release) held.release();
    db.close();
    dbOpen = false;
  };
  try {
    const detection = new DetectionEngine(db, rules, { maxEvidence: config.detect.maxEvidence });
    const alerts = new AlertStore(db);
    // The breaker's own alert goes into the alerts table like any other (inside the commit).
    const storeAlert = opts.storeAlert ?? ((a) => (alerts.insert(a, Date.now()), a));
    const delivery = buildDelivery(db, config, {
      log,
      now: opts.now,
      storeAlert,
      random: opts.random,
      // The worker reads the db every second: an immutable -shm must stop it before it does.
      beforeRun: onFault === undefined ? undefined : checkWritable,
      onLoopError: faultHandled,
    });
    // Order matters: detection.persist() stores the alerts, then respond sets their response, then notify.
    // Renewing the lease inside every commit fences it: a process that lost it cannot commit.
    const hooks: CommitHook[] = [...delivery.hooks, () => lease.heartbeat()];
    const pipeline = new Pipeline({ db, timeZone: config.parse.timeZone, detection, onCommit: hooks });
    return {
      config,
      db,
      pipeline,
      detection,
      reloadRules: () => {
        const next = loadRules(rulesDirOf(config));
        detection.replaceRules(next);
        return next;
      },
      delivery,
      lease,
      storageFault: (err) => storageFaultOf(err, path),
      checkWritable,
      suspend: async (graceMs: number) => {
        await withTimeout(delivery.close(), graceMs).catch(() => undefined);
        held.stop();
        closeDb(false);
      },
      close: async (graceMs?: number) => {
        await (graceMs === undefined ? delivery.close() : withTimeout(delivery.close(), graceMs));
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
