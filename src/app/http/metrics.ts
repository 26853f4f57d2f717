import client from 'prom-client';
import type { RunStats, SourceStatus, WorkerStats } from '../../core/runtime.js';
import { EVENT_TYPES, SKIP_REASONS } from '../../core/events.js';
import type { CommitReport } from '../../pipeline/committer.js';
import type { WorkerHeap } from '../../pipeline/worker/ingest-worker.js';

/** What the metrics read at scrape time. */
export interface MetricsSources {
  stats(): RunStats;
  /** Log time (epoch ms) of the newest event processed, null before the first. */
  lastEventTs(): number | null;
  workers(): WorkerStats[];
  sources(): SourceStatus[];
  /** The ingest worker thread's V8 heap (outside this thread's `process.memoryUsage()`), null before it reported. */
  ingestHeap?(): WorkerHeap | null;
  /** Addresses history let go from memory and read back from the store so far (History.addressMemory). */
  addressMemory?(): { letGo: number; readBack: number };
  /** Open alerts detection holds to count repeats on, and those let go early to stay within `detect.maxOpenAlerts`. */
  openAlerts?(): { held: number; letGoEarly: number };
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2.5, 5, 10, 30];

/**
 * The daemon's Prometheus metrics (prom-client, own registry). Counters kept by the pipeline
 * and the workers are cumulative numbers read at scrape time; commit results (alerts, latency)
 * are recorded as they happen.
 */
export class DaemonMetrics {
  readonly registry = new client.Registry();
  private readonly alerts: client.Counter<'rule' | 'severity'>;
  private readonly repeats: client.Counter<'rule' | 'severity'>;
  private readonly tailToCommit: client.Histogram;
  private readonly tailToAlert: client.Histogram;
  private readonly commitDuration: client.Histogram;

  constructor(from: MetricsSources) {
    const registers = [this.registry];
    client.collectDefaultMetrics({ register: this.registry, prefix: 'ouwatch_' });

    const lines = new Totals();
    new client.Counter({
      name: 'ouwatch_lines_read_total',
      help: 'Log lines read from every source (events, other lines, skipped lines)',
      registers,
      collect() {
        lines.sync(this, {}, from.stats().linesRead);
      },
    });
    const events = new Totals();
    new client.Counter({
      name: 'ouwatch_events_total',
      help: 'OpenUnison events parsed, by type',
      labelNames: ['type'],
      registers,
      collect() {
        const ev = from.stats().events;
        for (const t of EVENT_TYPES) events.sync(this, { type: t }, ev[t] ?? 0);
      },
    });
    const skipped = new Totals();
    new client.Counter({
      name: 'ouwatch_lines_skipped_total',
      help: 'Lines counted and skipped, by reason (malformed, binary, oversized, unknown-word, truncated)',
      labelNames: ['reason'],
      registers,
      collect() {
        const k = from.stats().lineKinds;
        for (const r of SKIP_REASONS) skipped.sync(this, { reason: r }, k[r] ?? 0);
      },
    });
    const skippedBytes = new Totals();
    new client.Counter({
      name: 'ouwatch_skipped_bytes_total',
      help: 'Bytes of input passed over as unreadable (the skipped lines, or broken JSON up to where reading could go on)',
      registers,
      collect() {
        skippedBytes.sync(this, {}, from.stats().skippedBytes);
      },
    });
    this.alerts = new client.Counter({ name: 'ouwatch_alerts_total', help: 'Alerts raised, by rule and severity', labelNames: ['rule', 'severity'], registers });
    this.repeats = new client.Counter({
      name: 'ouwatch_alert_repeats_total',
      help: 'Repeats of an open alert (same rule, DN and IP within its suppression window), by rule and severity',
      labelNames: ['rule', 'severity'],
      registers,
    });
    const actions = new Totals();
    new client.Counter({
      name: 'ouwatch_actions_total',
      help: 'Response actions (EndSession, oidc-session deletion), by result',
      labelNames: ['result'],
      registers,
      collect() {
        for (const w of from.workers()) for (const [result, n] of Object.entries(w.actions ?? {})) actions.sync(this, { result }, n);
      },
    });
    const addresses = new Totals();
    new client.Counter({
      name: 'ouwatch_history_addresses_total',
      help: "Users' addresses let go from memory (last seen over eight days before the user's latest event) and read back from the store for a batch that named them",
      labelNames: ['event'],
      registers,
      collect() {
        const m = from.addressMemory?.();
        if (m === undefined) return;
        addresses.sync(this, { event: 'let_go' }, m.letGo);
        addresses.sync(this, { event: 'read_back' }, m.readBack);
      },
    });
    new client.Gauge({
      name: 'ouwatch_open_alerts',
      help: 'Open alerts held in memory to count repeats on (at most detect.maxOpenAlerts)',
      registers,
      collect() {
        const o = from.openAlerts?.();
        if (o !== undefined) this.set(o.held);
      },
    });
    const letGoEarly = new Totals();
    new client.Counter({
      name: 'ouwatch_open_alerts_let_go_total',
      help: 'Open alerts let go from memory before their suppression window closed, to stay within detect.maxOpenAlerts (a later finding of theirs raises a new alert)',
      registers,
      collect() {
        const o = from.openAlerts?.();
        if (o !== undefined) letGoEarly.sync(this, {}, o.letGoEarly);
      },
    });
    const notifications = new Totals();
    new client.Counter({
      name: 'ouwatch_notifications_total',
      help: 'Notifications (email, webhook, JSONL), by channel and result',
      labelNames: ['channel', 'result'],
      registers,
      collect() {
        for (const w of from.workers()) {
          for (const [channel, byResult] of Object.entries(w.notifications ?? {})) {
            for (const [result, n] of Object.entries(byResult)) notifications.sync(this, { channel, result }, n);
          }
        }
      },
    });
    new client.Gauge({
      name: 'ouwatch_ingest_worker_heap_bytes',
      help: "The ingest worker thread's V8 heap, used and total, as of its last report (at most a second old while lines arrive); the nodejs_heap_ metrics are the main thread's",
      labelNames: ['state'],
      registers,
      collect() {
        const heap = from.ingestHeap?.() ?? null;
        if (heap === null) return;
        this.set({ state: 'used' }, heap.used);
        this.set({ state: 'total' }, heap.total);
      },
    });
    new client.Gauge({
      name: 'ouwatch_outbox_depth',
      help: 'Actions and notifications waiting in the outbox',
      registers,
      collect() {
        this.set(from.workers().reduce((n, w) => n + (w.outboxDepth ?? 0), 0));
      },
    });
    new client.Gauge({
      name: 'ouwatch_outbox_items',
      help: 'Outbox rows by kind and status: pending, delivered (kept outbox.keepDeliveredDays), failed (until requeued with ouwatch outbox retry)',
      labelNames: ['kind', 'status'],
      registers,
      collect() {
        this.reset();
        for (const w of from.workers()) for (const r of w.outboxItems ?? []) this.inc({ kind: r.kind, status: r.status }, r.n);
      },
    });
    const requeued = new Totals();
    new client.Counter({
      name: 'ouwatch_outbox_requeued_total',
      help: 'Failed outbox items requeued by a person (ouwatch outbox retry), by kind',
      labelNames: ['kind'],
      registers,
      collect() {
        for (const w of from.workers()) for (const [kind, n] of Object.entries(w.outboxRequeued ?? {})) requeued.sync(this, { kind }, n);
      },
    });
    new client.Gauge({
      name: 'ouwatch_log_lag_seconds',
      help: 'Now minus the log time of the newest event processed (grows when reading falls behind, or when OpenUnison is quiet)',
      registers,
      collect() {
        const ts = from.lastEventTs();
        if (ts !== null) this.set((Date.now() - ts) / 1000);
      },
    });
    const lost = new Totals();
    new client.Counter({
      name: 'ouwatch_bytes_lost_total',
      help: 'Log bytes written but gone before they were read (lines lost), by source and reason: truncated (copytruncate rotation, a file emptied in place) or deleted',
      labelNames: ['source', 'reason'],
      registers,
      collect() {
        for (const s of from.sources()) for (const [reason, n] of Object.entries(s.lostBytes ?? {})) lost.sync(this, { source: s.name, reason }, n ?? 0);
      },
    });
    new client.Gauge({
      name: 'ouwatch_source_attached',
      help: '1 when the source follows its logs (a tailed file, every running pod), else 0',
      labelNames: ['source'],
      registers,
      collect() {
        for (const s of from.sources()) this.set({ source: s.name }, s.attached ? 1 : 0);
      },
    });
    this.tailToCommit = new client.Histogram({
      name: 'ouwatch_tail_to_commit_seconds',
      help: 'From reading a chunk of log lines to committing the state they produced (one observation per chunk read)',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.tailToAlert = new client.Histogram({
      name: 'ouwatch_tail_to_alert_seconds',
      help: 'From reading the line that raised an alert to the alert being committed and emitted',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.commitDuration = new client.Histogram({
      name: 'ouwatch_commit_duration_seconds',
      help: 'Duration of one commit transaction',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
  }

  /** Records what one commit wrote: alerts by rule and severity, latencies. */
  recordCommit(report: CommitReport, emittedAt = report.committedAt): void {
    for (const a of report.raised) this.alerts.inc({ rule: a.rule, severity: a.severity });
    for (const a of report.updated) this.repeats.inc({ rule: a.rule, severity: a.severity });
    for (const t of report.arrivals) this.tailToCommit.observe(Math.max(0, report.committedAt - t) / 1000);
    this.commitDuration.observe(report.durationMs / 1000);
    // An alert's line arrived with one of this commit's batches: the earliest is the bound.
    if (report.raised.length > 0 && report.arrivals.length > 0) {
      let first = report.arrivals[0];
      for (const t of report.arrivals) if (t < first) first = t;
      for (let k = 0; k < report.raised.length; k++) this.tailToAlert.observe(Math.max(0, emittedAt - first) / 1000);
    }
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** Turns cumulative totals into counter increments (counters only go up). */
class Totals {
  private readonly seen = new Map<string, number>();

  sync<L extends string>(counter: client.Counter<L>, labels: Partial<Record<L, string>>, total: number): void {
    const key = JSON.stringify(labels);
    const before = this.seen.get(key) ?? 0;
    if (total > before) counter.inc(labels, total - before);
    else if (!this.seen.has(key)) counter.inc(labels, 0);
    this.seen.set(key, Math.max(before, total));
  }
}
