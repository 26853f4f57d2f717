import type { DeliveryCounters, OutboxKind } from '../../core/actions.js';
import { OUTBOX_KINDS } from '../../core/actions.js';
import type { Awaitable, OutboxRepository } from '../../core/ports.js';
import type { Deliverer, DeliveryResult, OutboxItem, OutboxStatus } from '../../core/delivery.js';
import type { Log } from '../../core/log.js';
import { backoffDelay, type BackoffPolicy } from './backoff.js';
import { redactUrls } from '../../core/redact.js';

/**
 * Delivers the outbox: takes due items, hands them to the deliverer of their kind, and
 * records the outcome. A transient failure is retried with exponential backoff and jitter
 * until the item's expiry; an expired or permanently failing item becomes a visible failure
 * (status `failed` with the reason, an error log line, the `failed` counter), never a drop.
 * State lives in the outbox table only, so a restarted process carries on where it stopped.
 */

export interface WorkerOptions extends BackoffPolicy {
  store: OutboxRepository;
  deliverers: Deliverer[];
  log: Log;
  /** How often to look for due items when nothing wakes the worker. */
  pollMs: number;
  /** How long a claimed item is reserved: longer than any delivery can take. */
  leaseMs?: number;
  keepDeliveredDays?: number;
  now?: () => number;
  random?: () => number;
  /** Before each round of the loop: throws when the store cannot be written now (a storage fault). */
  beforeRun?: () => void;
  /** An error of the loop: true when it was taken care of (a storage fault pauses the daemon). */
  onLoopError?: (err: unknown) => boolean;
}

export interface DrainReport {
  delivered: number;
  failed: number;
  /** Items left pending, by kind. */
  pending: Partial<Record<OutboxKind, number>>;
  /** When the earliest pending item is due (epoch ms), or null. */
  nextAttemptAt: number | null;
}

export class OutboxWorker {
  readonly counters: DeliveryCounters = Object.fromEntries(OUTBOX_KINDS.map((k) => [k, { delivered: 0, failed: 0, retrying: 0 }])) as DeliveryCounters;
  private readonly deliverers = new Map<OutboxKind, Deliverer>();
  private readonly now: () => number;
  private running = false;
  private loopDone: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private nudged = false;
  private lastPrune = 0;
  private lastCounts: Array<{ kind: OutboxKind; status: OutboxStatus; n: number }> = [];
  private lastRequeues: Array<{ kind: OutboxKind; n: number }> = [];

  constructor(private readonly o: WorkerOptions) {
    for (const d of o.deliverers) this.deliverers.set(d.kind, d);
    this.now = o.now ?? Date.now;
  }

  /** Runs until `stop()`, delivering items as they fall due. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  /** Stops after the delivery in progress (if any) has finished. */
  async stop(): Promise<void> {
    this.running = false;
    this.interrupt();
    await this.loopDone;
    this.loopDone = null;
  }

  /** Something was queued: look now rather than at the next poll. */
  nudge(): void {
    this.nudged = true;
    this.interrupt();
  }

  /**
   * Pending items by kind (outbox depth for /metrics). Scrapes are synchronous: a synchronous
   * store (SQLite) answers now, an asynchronous one (PostgreSQL) with what the previous scrape read.
   */
  depth(): Record<OutboxKind, number> {
    return depthOf(this.items());
  }

  /** Outbox rows by kind and status (for /metrics). */
  items(): Array<{ kind: OutboxKind; status: OutboxStatus; n: number }> {
    return latest(this.o.store.counts(), this.lastCounts, (v) => (this.lastCounts = v));
  }

  /** Requeues by a person, by kind (for /metrics). */
  requeued(): Partial<Record<OutboxKind, number>> {
    const r = latest(this.o.store.requeueCounts(), this.lastRequeues, (v) => (this.lastRequeues = v));
    return Object.fromEntries(r.map((x) => [x.kind, x.n]));
  }

  /**
   * Delivers every item due now (with `flush`, also items whose first attempt is not due yet,
   * such as an open email digest window). Returns how many items were attempted.
   */
  async runOnce(opts: { flush?: boolean } = {}): Promise<number> {
    const now = this.now();
    const items = await this.o.store.claim(now, now + (this.o.leaseMs ?? 120_000), 500, opts.flush ?? false);
    if (items.length === 0) return 0;
    const groups = new Map<string, OutboxItem[]>();
    for (const it of items) {
      const key = `${it.kind}\0${it.target}`;
      const g = groups.get(key);
      if (g) g.push(it);
      else groups.set(key, [it]);
    }
    // Targets in parallel (a slow webhook does not hold the email back), items of one target in order.
    await Promise.all([...groups.values()].map((g) => this.deliverGroup(g)));
    await this.prune();
    return items.length;
  }

  /**
   * For the end of a replay: delivers what is due, waiting for retries while they fall within
   * `deadlineMs`, then leaves the rest queued (the daemon or the next run delivers it).
   */
  async drain(deadlineMs: number): Promise<DrainReport> {
    const before = this.totals();
    const end = this.now() + deadlineMs;
    await this.runOnce({ flush: true });
    for (;;) {
      const next = await this.o.store.nextDue();
      if (next === null || next > end) break;
      await sleep(Math.max(0, next - this.now()));
      // nothing claimable although due (another process took it): do not spin
      if ((await this.runOnce({ flush: true })) === 0) await sleep(100);
      if (this.now() >= end) break;
    }
    const after = this.totals();
    const pending: DrainReport['pending'] = {};
    for (const [k, n] of Object.entries(depthOf(await this.o.store.counts())) as Array<[OutboxKind, number]>) if (n > 0) pending[k] = n;
    return { delivered: after.delivered - before.delivered, failed: after.failed - before.failed, pending, nextAttemptAt: await this.o.store.nextDue() };
  }

  private async deliverGroup(items: OutboxItem[]): Promise<void> {
    const d = this.deliverers.get(items[0].kind);
    const now = this.now();
    const live: OutboxItem[] = [];
    for (const it of items) {
      if (d === undefined) await this.fail(it, `no ${it.kind} delivery is configured any more (target ${it.target})`, undefined);
      else if (now >= it.expiresAt) await this.fail(it, `expired before delivery (queued ${new Date(it.createdAt).toISOString()}, ${it.attempts - 1} earlier attempts${it.lastError ? `, last error: ${it.lastError}` : ''})`, d);
      else live.push(it);
    }
    if (d === undefined || live.length === 0) return;
    const batches = d.batch ? await this.digests(live) : live.map((it) => [it]);
    for (const batch of batches) {
      let result: DeliveryResult;
      try {
        result = await d.deliver(batch[0].target, batch);
      } catch (err) {
        result = { ok: false, retryable: true, error: `unexpected: ${(err as Error).message}` };
      }
      // one delay for the whole batch: a digest that failed is retried as one digest
      const delay = backoffDelay(Math.max(...batch.map((it) => it.attempts)), this.o, this.o.random);
      for (const it of batch) await this.settle(it, result, d, delay);
    }
  }

  /**
   * A batching sink (the email digest) sends items that went out together before together
   * again, so a retry is the same message (same Message-ID) even when newer items are due by
   * then; items never sent form one new digest, named after its smallest id.
   */
  private async digests(items: OutboxItem[]): Promise<OutboxItem[][]> {
    const earlier = new Map<number, OutboxItem[]>();
    const fresh: OutboxItem[] = [];
    for (const it of items) {
      if (it.batchId === null) fresh.push(it);
      else earlier.set(it.batchId, [...(earlier.get(it.batchId) ?? []), it]);
    }
    if (fresh.length > 0) {
      const batchId = Math.min(...fresh.map((it) => it.id));
      await this.o.store.assignBatch(fresh.map((it) => it.id), batchId);
      for (const it of fresh) it.batchId = batchId;
      earlier.set(batchId, fresh);
    }
    return [...earlier.values()];
  }

  private async settle(it: OutboxItem, r: DeliveryResult, d: Deliverer, delay: number): Promise<void> {
    const now = this.now();
    if (r.ok) {
      await this.o.store.delivered(it.id, now);
      this.counters[it.kind].delivered++;
      return;
    }
    // Whatever a sink or a server said, a URL in it may carry a token: stored and logged redacted.
    const error = redactUrls(r.error ?? 'unknown error');
    if (!r.retryable) return this.fail(it, error, d);
    const next = now + delay;
    if (next >= it.expiresAt) {
      return this.fail(it, `expired after ${it.attempts} attempt${it.attempts === 1 ? '' : 's'} since ${new Date(it.createdAt).toISOString()}: ${error}`, d);
    }
    await this.o.store.retryAt(it.id, next, error);
    this.counters[it.kind].retrying++;
    this.o.log.warn(`${it.kind} delivery to ${it.target} failed (attempt ${it.attempts}), retrying in ${Math.round((next - now) / 1000)} s: ${error}`, { outbox: it.id, alert: it.alertId });
  }

  private async fail(it: OutboxItem, reason: string, d: Deliverer | undefined): Promise<void> {
    const error = redactUrls(reason);
    await this.o.store.failed(it.id, error, this.now());
    this.counters[it.kind].failed++;
    this.o.log.error(`${it.kind} delivery to ${it.target} failed for good: ${error}`, { outbox: it.id, alert: it.alertId });
    try {
      await d?.failed?.(it, error);
    } catch (err) {
      this.o.log.error(`recording the failure of outbox item ${it.id} failed: ${(err as Error).message}`);
    }
  }

  private totals(): { delivered: number; failed: number } {
    let delivered = 0;
    let failed = 0;
    for (const k of OUTBOX_KINDS) {
      delivered += this.counters[k].delivered;
      failed += this.counters[k].failed;
    }
    return { delivered, failed };
  }

  private async prune(): Promise<void> {
    const now = this.now();
    if (now - this.lastPrune < 3_600_000) return;
    this.lastPrune = now;
    await this.o.store.prune(now - (this.o.keepDeliveredDays ?? 7) * 86_400_000);
  }

  private async loop(): Promise<void> {
    while (this.running) {
      this.nudged = false;
      try {
        this.o.beforeRun?.();
        await this.runOnce();
      } catch (err) {
        if (!this.o.onLoopError?.(err)) this.o.log.error(`outbox worker: ${redactUrls((err as Error).message)}`);
      }
      if (!this.running) break;
      if (this.nudged) continue;
      let next: number | null = null;
      try {
        next = await this.o.store.nextDue();
      } catch (err) {
        if (!this.o.onLoopError?.(err)) this.o.log.error(`outbox worker: ${redactUrls((err as Error).message)}`);
      }
      const wait = next === null ? this.o.pollMs : Math.min(this.o.pollMs, Math.max(0, next - this.now()));
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, wait);
      });
      this.wake = null;
    }
  }

  private interrupt(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.wake?.();
  }
}

function depthOf(counts: Array<{ kind: OutboxKind; status: OutboxStatus; n: number }>): Record<OutboxKind, number> {
  const out = Object.fromEntries(OUTBOX_KINDS.map((k) => [k, 0])) as Record<OutboxKind, number>;
  for (const c of counts) if (c.status === 'pending') out[c.kind] = c.n;
  return out;
}

/** A synchronous answer as it is; an asynchronous one recorded for next time, the previous one returned now. */
function latest<T>(v: Awaitable<T>, previous: T, record: (v: T) => void): T {
  if (!(v instanceof Promise)) return v;
  v.then(record, () => undefined);
  return previous;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** One line about what a replay's final delivery did and what it left queued (null: nothing to say). */
export function describeDrain(r: DrainReport, now: number = Date.now()): string | null {
  const left = Object.entries(r.pending).map(([k, n]) => `${n} ${k}`);
  if (r.delivered === 0 && r.failed === 0 && left.length === 0) return null;
  const parts = [`outbox: ${r.delivered} delivered`, `${r.failed} failed`];
  if (left.length) {
    const next = r.nextAttemptAt === null ? '' : `, next attempt in ${Math.max(0, Math.round((r.nextAttemptAt - now) / 1000))} s`;
    parts.push(`${left.join(', ')} still queued${next}: they stay in the outbox and 'ouwatch run' or the next replay delivers them`);
  }
  return parts.join(', ');
}
