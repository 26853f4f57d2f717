import type { Logger } from 'pino';
import type { Runtime } from '../runtime.js';
import { ConfigError } from '../../core/config-file.js';
import type { BackgroundWorker } from '../../core/runtime.js';
import type { LiveSource } from '../../core/live-source.js';
import type { CommitReport } from '../../pipeline/committer.js';
import { startHttpServer, type ExtraRoutes, type ReadyReport, type RunningServer } from '../http/server.js';
import { formatListen, type ListenAddress } from '../../core/listen.js';
import { DaemonMetrics } from '../http/metrics.js';
import { withTimeout } from '../../core/timeout.js';
import { CommittedAlertPrinter } from './alert-output.js';
import { confirmationWatch } from './confirmation-watch.js';
import { deliveryWorker } from './delivery-worker.js';
import { buildSources } from './sources.js';
import { StoragePause } from './storage-pause.js';
import { RetentionSchedule, retentionEvery } from '../retention-schedule.js';
import { fromPino } from '../../core/log.js';
import { noEventWarning } from '../no-event-warning.js';
import type { StorageFault } from '../../core/storage-fault.js';

export interface DaemonOptions {
  runtime: Runtime;
  listen: ListenAddress;
  /** Alerts as NDJSON on stdout (else one readable line each). */
  json: boolean;
  log: Logger;
  /** Named in configuration errors. */
  configFile: string;
  out?: NodeJS.WritableStream;
  /** The console, served beside the endpoints (`run --listen`), closed with the server. */
  console?: { handle: ExtraRoutes; close(): void } | null;
  /** Called when the daemon cannot go on: log, exit non-zero, restart resumes. */
  onFatal(err: unknown): void;
  /** These sources instead of the configuration's (shared reading: the lines other readers staged). */
  sources?: LiveSource[];
  /**
   * At stop, leave what was read and not committed (default: process and commit it). Shared
   * reading sets it: the staged lines stay in the store, and the next holder reads them again
   * in log-time order, where processing them now would take the live inputs as ended.
   */
  discardOnStop?: boolean;
}

/** How long background workers may take to stop before the store closes anyway. */
const WORKER_STOP_MS = 2000;
/**
 * Lines read without one OpenUnison event after which the daemon says so, once: past what a
 * starting OpenUnison logs before its first request (its configuration, some thousands of
 * lines), so that a wrong input or a layout ouwatch does not read does not watch in silence.
 */
const NO_EVENT_WARNING_LINES = 20_000;

/**
 * `ouwatch run`: the live sources feed the runtime's ingest pipeline (the same one replay
 * uses, committing about every `commitIntervalMs`), alerts are printed once their commit
 * returned, and /healthz, /readyz, /metrics are served. `stop()` stops reading, processes and
 * commits every line already read (with the positions), stops the workers and closes the store.
 */
export class Daemon {
  private readonly sources: LiveSource[];
  private readonly metrics: DaemonMetrics;
  private readonly printer: CommittedAlertPrinter;
  private workers: BackgroundWorker[] = [];
  private server: RunningServer | null = null;
  private stopping: Promise<void> | null = null;
  private blindWarned = false;
  private noEventWarned = false;
  private readonly pause: StoragePause;
  private readonly retention: RetentionSchedule;
  private retentionTimer: NodeJS.Timeout | null = null;
  private timedCommit: Promise<void> | null = null;

  constructor(private readonly opts: DaemonOptions) {
    const { runtime } = opts;
    this.pause = new StoragePause({
      log: opts.log,
      // Processing already stopped (the ingest loop holds on a failed commit; sources stop
      // through backpressure); the outbox worker, which reads the store too, stops as well.
      suspend: async () => {
        await Promise.all(this.workers.map((w) => withTimeout(w.stop(), WORKER_STOP_MS).catch(() => undefined)));
      },
      resume: async () => {
        await runtime.ensureWritable();
        await runtime.ingest.resumeAfterFault();
        for (const w of this.workers) w.start();
      },
      classify: (err) => runtime.storageFault(err) ?? (err instanceof Error && err.name === 'StorageFault' ? (err as StorageFault) : null),
      fatal: (err) => opts.onFatal(err),
    });
    this.printer = new CommittedAlertPrinter({ out: opts.out ?? process.stdout, store: runtime.output, json: opts.json, log: fromPino(opts.log) });
    this.retention = new RetentionSchedule(runtime, fromPino(opts.log), { wallClock: true, announce: true });
    runtime.ingest.wantTicks(() => this.retention.wanted());
    this.sources = opts.sources ?? buildSources(runtime.config, runtime, opts.log, opts.configFile);
    this.metrics = new DaemonMetrics({
      stats: () => runtime.counters,
      lastEventTs: () => runtime.counters.lastEventTs,
      workers: () => this.workers.map((w) => w.stats()),
      sources: () => this.sources.map((x) => x.status()),
      ingestHeap: () => runtime.ingestHeap(),
      addressMemory: () => runtime.history.addressMemory,
      openAlerts: () => runtime.detection.openAlerts,
    });
  }

  /**
   * No line read so far was an OpenUnison event: says so, naming the layout when the first
   * bytes of a followed file show OpenUnison's event words in one ouwatch does not read (as
   * replay does). Not awaited: reading the heads must not hold the pipeline.
   */
  private async warnNoEvents(report: CommitReport): Promise<void> {
    const paths = [...new Set(report.feeds.flatMap((f) => (f.reg.identity.kind === 'file' ? [f.reg.identity.path] : [])))];
    const warning = await noEventWarning(this.opts.runtime.counters, paths, "is this OpenUnison's log, in its own layout? (a custom log4j2.xml: docs/openunison.md)");
    if (warning !== null) this.opts.log.warn(warning);
  }

  /** Called by the runtime after every commit; the pipeline waits for what it returns (a retention pass). */
  committed(report: CommitReport): Promise<void> {
    const raised = report.raised;
    if (raised.length > 0) this.printer.wake();
    this.metrics.recordCommit(report, performance.now());
    const log = this.opts.log;
    const counters = this.opts.runtime.counters;
    if (!this.noEventWarned && counters.linesRead >= NO_EVENT_WARNING_LINES) {
      // Once per run, like the next: the input is wrong or unreadable, not this commit.
      this.noEventWarned = true;
      void this.warnNoEvents(report);
    }
    if (!this.blindWarned) {
      // Once per run: the condition describes the deployment, not one commit.
      const warning = this.opts.runtime.detection.visibility.warning();
      if (warning !== null) {
        this.blindWarned = true;
        log.warn(warning);
      }
    }
    if (log.isLevelEnabled('debug')) {
      const upTo: Record<string, number> = {};
      for (const f of report.feeds) upTo[f.origin] = Math.max(upTo[f.origin] ?? 0, f.position.lineNo);
      log.debug({ lines: report.lines, ms: Math.round(report.durationMs * 100) / 100, upTo, alerts: raised.length, incidents: report.opened.length }, 'committed');
    }
    return this.retention.committed(report);
  }

  async start(): Promise<void> {
    const { log, runtime } = this.opts;
    // From the cursor on: alerts committed by a run that was stopped or killed before printing them first.
    await this.printer.start();
    this.server = await startHttpServer(this.opts.listen, { ready: () => this.ready(), metrics: () => this.metrics.render() }, log, this.opts.console?.handle);
    log.info({ address: `http://${formatListen(this.server.address)}`, endpoints: ['/healthz', '/readyz', '/metrics'] }, 'listening');
    // Nothing is processed until every source has opened what it found at start: two
    // replicas' backlogs are then merged by log time, not read one after the other.
    runtime.ingest.hold();
    try {
      for (const source of this.sources) await source.start();
    } finally {
      runtime.ingest.resume();
    }
    this.workers = [deliveryWorker(runtime.delivery), confirmationWatch(runtime.delivery.actions, fromPino(log))];
    for (const w of this.workers) w.start();
    // Retention runs right after a commit; a quiet log makes none, so one is made when it is due.
    this.retentionTimer = setInterval(() => this.retentionDue(), retentionEvery(runtime.config));
    this.retentionTimer.unref();
    log.info({ sources: this.sources.map((x) => x.name), db: runtime.config.store.path, workers: this.workers.map((w) => w.name) }, 'ouwatch run started');
  }

  /** Stops reading, flushes and checkpoints, stops workers, closes the server and the store. Idempotent. */
  stop(reason: string): Promise<void> {
    this.stopping ??= this.shutdown(reason);
    return this.stopping;
  }

  /** SIGHUP: reload the rules between two commits; a bad rule file keeps the old rules. */
  async reloadRules(): Promise<void> {
    const { log, runtime } = this.opts;
    if (this.stopping) return;
    try {
      await runtime.ingest.commitNow();
      const rules = runtime.reloadRules();
      log.info({ rules: rules.map((r) => r.id), enabled: rules.filter((r) => r.enabled).length }, 'rules reloaded');
    } catch (err) {
      const why = err instanceof ConfigError ? err.message : ((err as Error)?.message ?? String(err));
      log.error({ err: why }, 'rules not reloaded: keeping the previous rules');
    }
  }

  /** The timer's turn: a commit (empty if nothing was processed), after which retention runs. */
  private retentionDue(): void {
    // One timed commit at a time: a pass slower than the timer's interval would otherwise
    // have commits (and passes) pile up behind it and hold the lines read meanwhile.
    if (this.stopping !== null || this.pause.report() !== null || this.timedCommit !== null) return;
    this.timedCommit = this.opts.runtime.ingest
      .commitNow(true)
      .catch((err: Error) => this.opts.log.warn({ err: err.message }, 'retention not applied this time'))
      .finally(() => (this.timedCommit = null));
  }

  /** The store cannot be written: pause reading and retry with backoff (see StoragePause). */
  storageFault(fault: StorageFault): void {
    if (this.stopping !== null) return;
    this.pause.enter(fault);
  }

  ready(): ReadyReport {
    const paused = this.pause.report();
    if (paused !== null) return { ready: false, db: `paused: ${paused.reason}`, storage: paused, sources: this.sources.map((s) => s.status()) };
    const db = this.opts.runtime.storeHealth();
    const sources = this.sources.map((s) => s.status());
    const ready = this.stopping === null && db === 'open' && sources.every((s) => s.attached);
    return { ready, db: this.stopping === null ? db : 'stopping', sources };
  }

  private async shutdown(reason: string): Promise<void> {
    const { log, runtime } = this.opts;
    log.info({ reason }, 'stopping');
    if (this.retentionTimer !== null) clearInterval(this.retentionTimer);
    this.retention.stop();
    await this.pause.cancel();
    await Promise.all(this.sources.map((s) => s.stop().catch((err: Error) => log.warn({ source: s.name, err: err.message }, 'source did not stop cleanly'))));
    if (!this.opts.discardOnStop) await runtime.ingest.stop();
    await Promise.all([
      ...this.workers.map((w) => withTimeout(w.stop(), WORKER_STOP_MS).catch((err: Error) => log.warn({ worker: w.name, err: err.message }, 'worker did not stop cleanly'))),
      this.printer.close(WORKER_STOP_MS).then((caughtUp) => {
        if (!caughtUp) log.info('stdout has not taken every alert: the rest are printed at the next start');
      }),
    ]);
    await this.server?.close();
    this.opts.console?.close();
    // The workers had their WORKER_STOP_MS: whatever is still in flight stays in the outbox.
    await runtime.close(0);
    log.info({ linesRead: runtime.counters.linesRead, alertsRaised: runtime.counters.alertsRaised }, 'stopped');
  }
}
