import type { Logger } from 'pino';
import type { Runtime } from '../runtime.js';
import { ConfigError } from '../config.js';
import type { BackgroundWorker, RunStats, WorkerStats } from '../../core/runtime.js';
import { startHttpServer, type ReadyReport, type RunningServer } from '../http/server.js';
import { formatListen, type ListenAddress } from '../../core/listen.js';
import { DaemonMetrics } from '../http/metrics.js';
import type { LiveSource } from '../../core/live-source.js';
import { StorageFault } from '../../core/storage-fault.js';
import { withTimeout } from '../../core/timeout.js';
import { formatAlerts } from './alert-output.js';
import { LiveIngest, type ChunkMark, type CommitReport } from '../../pipeline/live-ingest.js';
import { deliveryWorker } from './delivery-worker.js';
import { buildSources } from './sources.js';
import { StoragePause } from './storage-pause.js';
import { addRunStats, addWorkerStats, emptyRunStats } from './session-stats.js';
import { applyRetention, retentionEvery } from '../retention.js';
import { fromPino } from '../../core/log.js';

export interface DaemonOptions {
  runtime: Runtime;
  /**
   * Opens the store and assembles the stages again, for resuming after a storage fault (the
   * daemon then starts over from its last commit, as a restart would). Without it, a storage
   * fault is fatal.
   */
  reopen?: () => Runtime;
  listen: ListenAddress;
  /** Alerts as NDJSON on stdout (else one readable line each). */
  json: boolean;
  log: Logger;
  /** Named in configuration errors. */
  configFile: string;
  out?: NodeJS.WritableStream;
  /** Called when the daemon cannot go on (a failed commit): log, exit non-zero, restart resumes. */
  onFatal(err: unknown): void;
}

/** How long background workers may take to stop before the store closes anyway. */
const WORKER_STOP_MS = 2000;

/** One runtime's reading: its ingest loop, sources and workers (a new one after a storage pause). */
interface Session {
  runtime: Runtime;
  ingest: LiveIngest;
  sources: LiveSource[];
  workers: BackgroundWorker[];
  /** The pipeline's counters as of its last commit (what a resumed session does not count again). */
  committed: RunStats;
}

/**
 * `ouwatch run`: the live sources feed the shared Pipeline through the ingest loop, alerts are
 * printed once their commit returned, and /healthz, /readyz, /metrics are served. `stop()`
 * stops reading, processes and commits every line already read (with the checkpoints), stops
 * the workers and closes the store. A storage fault pauses reading (StoragePause) until the
 * store can be written again.
 */
export class Daemon {
  private session: Session;
  private readonly metrics: DaemonMetrics;
  private readonly out: NodeJS.WritableStream;
  private readonly pause: StoragePause;
  private server: RunningServer | null = null;
  private stopping: Promise<void> | null = null;
  private lastEventTs: number | null = null;
  private blindWarned = false;
  /** Between a pause's suspend and the next session: the current session counts nothing. */
  private suspended = false;
  private retentionTimer: NodeJS.Timeout | null = null;
  /** Counters of sessions before a storage pause, as of their last commit. */
  private earlierStats: RunStats = emptyRunStats();
  private earlierWorkers: WorkerStats = {};

  constructor(private readonly opts: DaemonOptions) {
    this.out = opts.out ?? process.stdout;
    this.session = this.newSession(opts.runtime);
    this.metrics = new DaemonMetrics({
      stats: () => this.stats(),
      lastEventTs: () => this.lastEventTs,
      workers: () => [addWorkerStats(this.earlierWorkers, this.session.workers.map((w) => w.stats()))],
      sources: () => (this.pause.paused ? [] : this.session.sources.map((x) => x.status())),
    });
    this.pause = new StoragePause({
      log: opts.log,
      suspend: () => this.suspend(),
      resume: () => this.resume(),
      classify: (err) => (err instanceof StorageFault ? err : this.session.runtime.storageFault(err)),
      fatal: (err) => opts.onFatal(err),
    });
  }

  /** Where the HTTP server listens (after start). */
  get address(): ListenAddress | null {
    return this.server?.address ?? null;
  }

  async start(): Promise<void> {
    const { log } = this.opts;
    this.server = await startHttpServer(this.opts.listen, { ready: () => this.ready(), metrics: () => this.metrics.render() }, log);
    log.info({ address: `http://${formatListen(this.server.address)}`, endpoints: ['/healthz', '/readyz', '/metrics'] }, 'listening');
    await this.startSession();
    log.info({ sources: this.session.sources.map((x) => x.name), db: this.session.runtime.config.store.path, workers: this.session.workers.map((w) => w.name) }, 'ouwatch run started');
    const every = retentionEvery(this.session.runtime.config);
    this.scheduleRetention(Math.min(every, 60_000));
  }

  /** store.retention, applied between two commits every `store.retention.every`. */
  private scheduleRetention(delayMs: number): void {
    this.retentionTimer = setTimeout(() => {
      this.retain();
      if (this.stopping === null) this.scheduleRetention(retentionEvery(this.session.runtime.config));
    }, delayMs);
    this.retentionTimer.unref();
  }

  private retain(): void {
    const { runtime, ingest } = this.session;
    if (this.stopping !== null || this.pause.paused || ingest.stopped) return;
    try {
      ingest.commit();
      applyRetention(runtime, fromPino(this.opts.log));
    } catch (err) {
      const fault = runtime.storageFault(err);
      if (fault !== null) return this.storageFault(fault);
      this.opts.log.error({ err: (err as Error).message }, 'retention not applied');
    }
  }

  /** Stops reading, flushes and checkpoints, stops workers, closes the server and the store. Idempotent. */
  stop(reason: string): Promise<void> {
    this.stopping ??= this.shutdown(reason);
    return this.stopping;
  }

  /** A storage fault seen outside the ingest loop (the outbox worker, the lease renewal). */
  storageFault(fault: StorageFault): void {
    if (this.stopping !== null) return;
    if (this.opts.reopen === undefined) return this.opts.onFatal(fault);
    this.pause.enter(fault);
  }

  /** SIGHUP: reload the rules between two commits; a bad rule file keeps the old rules. */
  async reloadRules(): Promise<void> {
    const { log } = this.opts;
    if (this.stopping || this.pause.paused) return;
    const runtime = this.session.runtime;
    try {
      this.session.ingest.commit();
      const rules = runtime.reloadRules();
      log.info({ rules: rules.map((r) => r.id), enabled: rules.filter((r) => r.enabled).length }, 'rules reloaded');
    } catch (err) {
      const fault = runtime.storageFault(err);
      if (fault !== null) return this.storageFault(fault);
      const why = err instanceof ConfigError ? err.message : (err as Error)?.message ?? String(err);
      log.error({ err: why }, 'rules not reloaded: keeping the previous rules');
    }
  }

  ready(): ReadyReport {
    const paused = this.pause.report();
    if (paused !== null) return { ready: false, db: `paused: ${paused.reason}`, storage: paused, sources: [] };
    let db = 'open';
    try {
      this.session.runtime.db.prepare('SELECT 1').get();
    } catch (err) {
      db = `unavailable: ${(err as Error).message}`;
    }
    const sources = this.session.sources.map((s) => s.status());
    const ready = this.stopping === null && db === 'open' && sources.every((s) => s.attached);
    return { ready, db: this.stopping === null ? db : 'stopping', sources };
  }

  private newSession(runtime: Runtime): Session {
    const s = runtime.config.sources;
    const ingest = new LiveIngest({
      pipeline: runtime.pipeline,
      log: this.opts.log,
      mergeWindowMs: s.mergeWindowMs,
      commitIntervalMs: s.commitIntervalMs,
      onCommit: (r) => this.onCommit(r),
      onFatal: (err) => this.opts.onFatal(err),
      storage: { check: () => runtime.checkWritable(), fault: (err) => runtime.storageFault(err) },
      onStorageFault: (fault) => this.storageFault(fault),
    });
    const sources = buildSources(runtime.config, runtime, ingest, this.opts.configFile);
    for (const source of sources) ingest.attach(source);
    return { runtime, ingest, sources, workers: [], committed: emptyRunStats() };
  }

  private async startSession(): Promise<void> {
    const s = this.session;
    s.ingest.hold();
    try {
      for (const source of s.sources) await source.start();
    } finally {
      s.ingest.release();
    }
    s.workers = [deliveryWorker(s.runtime.delivery)];
    for (const w of s.workers) w.start();
  }

  /** The pause: stop reading and writing; keep what was committed (and count only that). */
  private async suspend(): Promise<void> {
    const s = this.session;
    const log = this.opts.log;
    await Promise.all(s.sources.map((x) => x.stop().catch((err: Error) => log.warn({ source: x.name, err: err.message }, 'source did not stop cleanly'))));
    await Promise.all(s.workers.map((w) => withTimeout(w.stop(), WORKER_STOP_MS)));
    this.earlierWorkers = addWorkerStats(this.earlierWorkers, s.workers.map((w) => w.stats()));
    s.workers = [];
    this.earlierStats = addRunStats(this.earlierStats, s.committed);
    s.committed = emptyRunStats();
    this.suspended = true;
    await s.runtime.suspend(WORKER_STOP_MS);
  }

  /** Opens the store anew (throws while it cannot be written) and reads on from the last commit. */
  private async resume(): Promise<void> {
    const reopen = this.opts.reopen!;
    const old = this.session.runtime;
    old.checkWritable();
    await old.suspend(0); // closes the connection left open while the files could not be written
    const runtime = reopen();
    try {
      runtime.lease.heartbeat(); // a write: the store takes writes again
    } catch (err) {
      await runtime.close(0);
      throw err;
    }
    this.session = this.newSession(runtime);
    this.suspended = false;
    await this.startSession();
  }

  /** Counters of the whole run: earlier sessions (as committed) and the current one. */
  private stats(): RunStats {
    return this.suspended ? this.earlierStats : addRunStats(this.earlierStats, this.session.runtime.pipeline.stats);
  }

  private onCommit(report: CommitReport): void {
    const raised = report.result.raised;
    const runtime = this.session.runtime;
    this.session.committed = structuredClone(runtime.pipeline.stats);
    if (report.lastEventTs !== null) this.lastEventTs = report.lastEventTs;
    if (raised.length > 0) this.out.write(formatAlerts(raised, this.opts.json));
    this.metrics.recordCommit(report, performance.now());
    const log = this.opts.log;
    if (!this.blindWarned) {
      // Once per run: the condition describes the deployment, not one commit.
      const warning = runtime.detection.visibility.warning();
      if (warning !== null) {
        this.blindWarned = true;
        log.warn(warning);
      }
    }
    if (log.isLevelEnabled('debug')) {
      log.debug({ lines: report.lines, ms: Math.round(report.durationMs * 100) / 100, upTo: lastLines(report.chunks), alerts: raised.length }, 'committed');
    }
  }

  private async shutdown(reason: string): Promise<void> {
    const { log } = this.opts;
    log.info({ reason }, 'stopping');
    if (this.retentionTimer) clearTimeout(this.retentionTimer);
    const wasPaused = this.pause.paused;
    await this.pause.cancel();
    const s = this.session;
    await Promise.all(s.sources.map((x) => x.stop().catch((err: Error) => log.warn({ source: x.name, err: err.message }, 'source did not stop cleanly'))));
    if (!wasPaused && !s.ingest.stopped) {
      try {
        s.ingest.finish();
      } catch (err) {
        const fault = s.runtime.storageFault(err);
        if (fault === null) throw err;
        log.error({ db: fault.store }, `the last lines read could not be committed (they are read again at the next start): ${fault.reason}`);
      }
    }
    await Promise.all(s.workers.map((w) => withTimeout(w.stop(), WORKER_STOP_MS).catch((err: Error) => log.warn({ worker: w.name, err: err.message }, 'worker did not stop cleanly'))));
    await this.server?.close();
    // The workers had their WORKER_STOP_MS: whatever is still in flight stays in the outbox.
    await s.runtime.close(0);
    const stats = this.stats();
    log.info({ linesRead: stats.linesRead, alertsRaised: stats.alertsRaised }, 'stopped');
  }
}

/** The last line number committed per input (what the latency benchmark waits for). */
function lastLines(chunks: ChunkMark[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of chunks) out[c.origin] = Math.max(out[c.origin] ?? 0, c.lastLine);
  return out;
}
