import type { Logger } from 'pino';
import type { Runtime } from '../runtime.js';
import { ConfigError } from '../config.js';
import type { BackgroundWorker } from '../../core/runtime.js';
import { startHttpServer, type ExtraRoutes, type ReadyReport, type RunningServer } from '../http/server.js';
import { formatListen, type ListenAddress } from '../../core/listen.js';
import { DaemonMetrics } from '../http/metrics.js';
import type { LiveSource } from '../../core/live-source.js';
import { withTimeout } from '../../core/timeout.js';
import { formatAlerts } from './alert-output.js';
import { LiveIngest, type ChunkMark, type CommitReport } from '../../pipeline/live-ingest.js';
import { deliveryWorker } from './delivery-worker.js';
import { buildSources } from './sources.js';

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
  /** Called when the daemon cannot go on (a failed commit): log, exit non-zero, restart resumes. */
  onFatal(err: unknown): void;
}

/** How long background workers may take to stop before the store closes anyway. */
const WORKER_STOP_MS = 2000;

/**
 * `ouwatch run`: the live sources feed the shared Pipeline through the ingest loop, alerts are
 * printed once their commit returned, and /healthz, /readyz, /metrics are served. `stop()`
 * stops reading, processes and commits every line already read (with the checkpoints), stops
 * the workers and closes the store.
 */
export class Daemon {
  private readonly ingest: LiveIngest;
  private readonly sources: LiveSource[];
  private readonly metrics: DaemonMetrics;
  private readonly out: NodeJS.WritableStream;
  private workers: BackgroundWorker[] = [];
  private server: RunningServer | null = null;
  private stopping: Promise<void> | null = null;
  private lastEventTs: number | null = null;
  private blindWarned = false;

  constructor(private readonly opts: DaemonOptions) {
    const { runtime, log } = opts;
    const s = runtime.config.sources;
    this.out = opts.out ?? process.stdout;
    this.ingest = new LiveIngest({
      pipeline: runtime.pipeline,
      log,
      mergeWindowMs: s.mergeWindowMs,
      commitIntervalMs: s.commitIntervalMs,
      onCommit: (r) => this.onCommit(r),
      onFatal: (err) => opts.onFatal(err),
    });
    this.sources = buildSources(runtime.config, runtime, this.ingest, opts.configFile);
    for (const source of this.sources) this.ingest.attach(source);
    this.metrics = new DaemonMetrics({
      stats: () => runtime.pipeline.stats,
      lastEventTs: () => this.lastEventTs,
      workers: () => this.workers.map((w) => w.stats()),
      sources: () => this.sources.map((x) => x.status()),
    });
  }

  /** Where the HTTP server listens (after start). */
  get address(): ListenAddress | null {
    return this.server?.address ?? null;
  }

  async start(): Promise<void> {
    const { log, runtime } = this.opts;
    this.server = await startHttpServer(this.opts.listen, { ready: () => this.ready(), metrics: () => this.metrics.render() }, log, this.opts.console?.handle);
    log.info({ address: `http://${formatListen(this.server.address)}`, endpoints: ['/healthz', '/readyz', '/metrics'] }, 'listening');
    this.ingest.hold();
    try {
      for (const source of this.sources) await source.start();
    } finally {
      this.ingest.release();
    }
    this.workers = [deliveryWorker(runtime.delivery)];
    for (const w of this.workers) w.start();
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
      this.ingest.commit();
      const rules = runtime.reloadRules();
      log.info({ rules: rules.map((r) => r.id), enabled: rules.filter((r) => r.enabled).length }, 'rules reloaded');
    } catch (err) {
      const why = err instanceof ConfigError ? err.message : (err as Error)?.message ?? String(err);
      log.error({ err: why }, 'rules not reloaded: keeping the previous rules');
    }
  }

  ready(): ReadyReport {
    let db = 'open';
    try {
      this.opts.runtime.db.prepare('SELECT 1').get();
    } catch (err) {
      db = `unavailable: ${(err as Error).message}`;
    }
    const sources = this.sources.map((s) => s.status());
    const ready = this.stopping === null && db === 'open' && sources.every((s) => s.attached);
    return { ready, db: this.stopping === null ? db : 'stopping', sources };
  }

  private onCommit(report: CommitReport): void {
    const raised = report.result.raised;
    if (report.lastEventTs !== null) this.lastEventTs = report.lastEventTs;
    if (raised.length > 0) this.out.write(formatAlerts(raised, this.opts.json));
    this.metrics.recordCommit(report, performance.now());
    const log = this.opts.log;
    if (!this.blindWarned) {
      // Once per run: the condition describes the deployment, not one commit.
      const warning = this.opts.runtime.detection.visibility.warning();
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
    const { log, runtime } = this.opts;
    log.info({ reason }, 'stopping');
    await Promise.all(this.sources.map((s) => s.stop().catch((err: Error) => log.warn({ source: s.name, err: err.message }, 'source did not stop cleanly'))));
    this.ingest.finish();
    await Promise.all(this.workers.map((w) => withTimeout(w.stop(), WORKER_STOP_MS).catch((err: Error) => log.warn({ worker: w.name, err: err.message }, 'worker did not stop cleanly'))));
    await this.server?.close();
    this.opts.console?.close();
    // The workers had their WORKER_STOP_MS: whatever is still in flight stays in the outbox.
    await runtime.close(0);
    log.info({ linesRead: runtime.pipeline.stats.linesRead, alertsRaised: runtime.pipeline.stats.alertsRaised }, 'stopped');
  }
}

/** The last line number committed per input (what the latency benchmark waits for). */
function lastLines(chunks: ChunkMark[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of chunks) out[c.origin] = Math.max(out[c.origin] ?? 0, c.lastLine);
  return out;
}
