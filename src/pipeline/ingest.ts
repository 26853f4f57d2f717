import type { IngestContext, InputRegistration } from '../core/inputs.js';
import type { LogEvent } from '../core/log-event.js';
import type { EventBatch } from './batch.js';
import { EventView } from './event-view.js';
import { Feed, type FeedOwner } from './feed.js';
import type { IngestWorker } from './worker-client.js';

/**
 * Users changed since the last commit that make a commit due (they stay in memory until then).
 * As many as history keeps anyway (its soft limit): each commit inserts into B-trees keyed by
 * DN, and fewer, larger commits rewrite fewer pages (1,000,000 new users: a fifth less time
 * than at 10,000; the peak memory is the same, set by the heap V8 grows ahead of the garbage).
 */
export const DEFAULT_COMMIT_AT_BACKLOG = 40_000;

/**
 * Alerts raised or repeated since the last commit that make a commit due. An alert storm
 * otherwise holds every alert of a commit's million lines in memory (the storm corpus raises
 * about 40,000 per million lines), and a replay prints nothing until that commit lands.
 */
export const DEFAULT_COMMIT_AT_ALERTS = 40_000;

/** History and detection: what the pipeline feeds events to, in merged log-time order. */
export interface EventProcessor {
  /** A batch arrived, before any of its events is processed: load what its events need. */
  prepare(batch: EventBatch): Promise<void> | void;
  event(e: LogEvent): void;
  /** Events processed since the last commit (a commit is due once there are some). */
  readonly pending: number;
  /** Entries held in memory only until the next commit (users changed since it): a commit lets them go. */
  readonly backlog: number;
  /** Alerts raised or repeated since the last commit, held in memory until it. */
  readonly heldAlerts: number;
}

/** What a commit covers besides the processor's changes: the inputs' positions and when their bytes arrived. */
export interface CommitScope {
  feeds: Feed[];
  /** Lines consumed since the last commit. */
  lines: number;
  /** When the bytes of each batch consumed since the last commit arrived (performance.now()). */
  arrivals: number[];
}

/** Writes what was processed, with the positions of the inputs it came from, in one transaction. */
export interface Committer {
  commit(scope: CommitScope): Promise<void>;
}

export interface IngestOptions {
  worker: IngestWorker;
  processor: EventProcessor;
  committer: Committer;
  /** Live inputs: how long an event may wait for a quieter input before going out of order. */
  mergeWindowMs: number;
  /** Commit after this many lines (bounded memory and bounded rework after a crash). */
  commitEveryLines: number;
  /**
   * Commit once the processor holds this much for the next commit (users changed since the
   * last): many distinct users between commits would otherwise all stay in memory.
   */
  commitAtBacklog?: number;
  /** Commit once the processor holds this many alerts for the next commit (DEFAULT_COMMIT_AT_ALERTS). */
  commitAtAlerts?: number;
  /** Live runs: commit at most this often while lines arrive (null: only by lines and at the end). */
  commitIntervalMs: number | null;
  /** Called when a batch's lines are consumed (progress, metrics). */
  onBatch?(batch: EventBatch, feed: Feed): void;
  /** The loop stopped on a failure (a commit that could not be written, the worker died). */
  onFailure?(err: unknown): void;
  /**
   * Live runs: a commit that fails because the store cannot be written pauses the loop instead
   * (nothing more is processed, so sources stop reading through backpressure) until
   * `resumeAfterFault()` succeeds.
   */
  storageFault?: { classify(err: unknown): Error | null; onFault(fault: Error): void };
}

/**
 * The one ingest loop, for finite inputs (replay) and endless ones (the daemon's followed
 * files and pod streams) alike: sources push bytes, the worker parses them, and events of
 * all inputs are processed in log-time order. A finite input that has nothing parsed yet is
 * waited for; a live one holds the others back at most `mergeWindowMs`. Commits carry every
 * input's position with the state it produced.
 */
export class Ingest implements IngestContext, FeedOwner {
  private readonly feeds: Feed[] = [];
  private readonly view: EventView;
  private draining: Promise<void> | null = null;
  private held = false;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private lastCommit = performance.now();
  private linesSinceCommit = 0;
  private arrivals: number[] = [];
  private failure: unknown = null;
  private stopping = false;
  /** A storage fault holds the loop: nothing is processed until a commit succeeds again. */
  private faulted = false;
  /** Batches whose preparation met a storage fault, waiting for the loop to resume. */
  private faultWaiters: Array<() => void> = [];
  private idleWaiters: Array<() => void> = [];
  /** Arrival order of batches: the processor prepares them one at a time, in order. */
  private preparing: Promise<void> = Promise.resolve();

  constructor(private readonly opts: IngestOptions) {
    this.view = new EventView(opts.worker.tables);
  }

  open(reg: InputRegistration): Feed {
    const id = this.opts.worker.open(reg.startOffset, reg.startLineNo, reg.format ?? null, reg.stream);
    const feed = new Feed(id, reg, this);
    feed.onBatchDone = (b, arrival) => {
      this.linesSinceCommit += b.lines;
      this.arrivals.push(arrival);
      this.opts.onBatch?.(b, feed);
    };
    this.feeds.push(feed);
    return feed;
  }

  /**
   * Processes nothing until `resume()`: the daemon holds the loop while its sources open the
   * files and streams found at start, so their backlogs are merged by time rather than read
   * one after another.
   */
  hold(): void {
    this.held = true;
  }

  resume(): void {
    if (!this.held) return;
    this.held = false;
    this.schedule();
  }

  /** The smallest DN id a batch not yet consumed refers to (Infinity: none waits). */
  get oldestWaitingDnId(): number {
    let min = Infinity;
    for (const f of this.feeds) for (const b of f.batches) if (b.pinned !== undefined && b.pinned.minDnId < min) min = b.pinned.minDnId;
    return min;
  }

  /** Inputs opened in this run, in order. */
  get inputs(): readonly Feed[] {
    return this.feeds;
  }

  send(feed: Feed, chunk: Buffer, arrival: number): void {
    this.track(feed, this.opts.worker.write(feed.id, chunk), arrival);
  }

  sendEnd(feed: Feed): void {
    this.track(feed, this.opts.worker.end(feed.id), performance.now());
  }

  abandon(feed: Feed): void {
    this.opts.worker.close(feed.id);
    this.schedule();
  }

  wake(): void {
    this.schedule();
  }

  /**
   * Resolves once every finite input is consumed and committed (replay). Rejects with the
   * first failure (a worker error, a failed commit).
   */
  async finish(): Promise<void> {
    this.schedule();
    while (this.failure === null && !(this.feeds.every((f) => f.done) && this.draining === null)) {
      // Woken after each drain: by a batch arriving, an input ending, or a failure.
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
    if (this.failure !== null) throw this.failure;
    await this.commitNow();
    if (this.failure !== null) throw this.failure;
  }

  /**
   * Stops a live run: every input is treated as ended (nothing is waited for any more), what
   * was parsed is processed and committed. Bytes still in flight are read again after a restart.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    while (this.feeds.some((f) => f.inFlight > 0)) await new Promise((r) => setTimeout(r, 5));
    await this.drain();
    await this.commitNow();
  }

  /**
   * Commits what was processed now (rules reload, shutdown). `force` commits even when nothing
   * was: the commit listeners run between two commits (the daemon's retention on a quiet log).
   */
  async commitNow(force = false): Promise<void> {
    if (this.draining) await this.draining;
    await this.commitProcessed(force);
  }

  /**
   * The commit itself. The drain loop calls this one: `commitNow` would wait for the drain in
   * progress, its caller (with a store whose commit really waits, PostgreSQL, batches arrive
   * during a commit and the loop commits again before it ends).
   */
  private async commitProcessed(force = false): Promise<void> {
    const touched = this.feeds.filter((f) => f.dirty);
    if (!force && this.opts.processor.pending === 0 && touched.length === 0) return;
    await this.opts.committer.commit({ feeds: touched, lines: this.linesSinceCommit, arrivals: this.arrivals });
    for (const f of touched) f.markCommitted();
    this.linesSinceCommit = 0;
    this.arrivals = [];
    this.lastCommit = performance.now();
  }

  private track(feed: Feed, reply: Promise<EventBatch>, arrival: number): void {
    reply.then(
      (batch) => {
        // Prepared in arrival order (the processor may read the store for new DNs).
        this.preparing = this.preparing.then(async () => {
          await this.prepare(batch);
          feed.arrive(batch, arrival);
          this.schedule();
        }).catch((err: unknown) => this.fail(err));
      },
      (err: unknown) => this.fail(err),
    );
  }

  private fail(err: unknown): void {
    if (this.failure === null) {
      this.failure = err;
      this.opts.onFailure?.(err);
    }
    this.wakeIdle();
  }

  private schedule(): void {
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.drain().finally(() => {
      this.draining = null;
      if (this.again) {
        this.again = false;
        this.schedule();
      } else this.wakeIdle();
    });
  }

  private wakeIdle(): void {
    const ws = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of ws) w();
  }

  private async drain(): Promise<void> {
    if (this.failure !== null || this.faulted) return;
    try {
      for (;;) {
        const progressed = this.release(performance.now());
        await this.maybeCommit();
        if (!progressed) break;
      }
      for (let i = this.feeds.length - 1; i >= 0; i--) if (this.feeds[i].done && !this.feeds[i].dirty && this.feeds[i].live) this.feeds.splice(i, 1);
    } catch (err) {
      const fault = this.opts.storageFault?.classify(err) ?? null;
      if (fault !== null) {
        this.faulted = true;
        this.opts.storageFault!.onFault(fault);
      } else this.fail(err);
    }
  }

  /**
   * After a storage fault: writes everything processed since the last good commit (throws while
   * the store still cannot be written), then lets the loop go on.
   */
  async resumeAfterFault(): Promise<void> {
    if (!this.faulted) return;
    await this.commitNow();
    this.faulted = false;
    const waiting = this.faultWaiters;
    this.faultWaiters = [];
    for (const w of waiting) w();
    this.schedule();
  }

  /**
   * Prepares a batch (the processor reads the store for its new DNs and analysts' changes). A
   * store that cannot be read now (a database server that went away) holds the loop as a
   * failed commit does, and the batch is prepared again once `resumeAfterFault()` succeeded.
   */
  private async prepare(batch: EventBatch): Promise<void> {
    for (;;) {
      try {
        await this.opts.processor.prepare(batch);
        return;
      } catch (err) {
        const fault = this.opts.storageFault?.classify(err) ?? null;
        if (fault === null) throw err;
        if (!this.faulted) {
          this.faulted = true;
          this.opts.storageFault!.onFault(fault);
        }
        await new Promise<void>((resolve) => this.faultWaiters.push(resolve));
      }
    }
  }

  private async maybeCommit(): Promise<void> {
    const pending = this.opts.processor.pending > 0 || this.linesSinceCommit > 0;
    if (!pending) return;
    if (this.linesSinceCommit >= this.opts.commitEveryLines) return this.commitProcessed();
    if (this.opts.processor.backlog >= (this.opts.commitAtBacklog ?? DEFAULT_COMMIT_AT_BACKLOG)) return this.commitProcessed();
    if (this.opts.processor.heldAlerts >= (this.opts.commitAtAlerts ?? DEFAULT_COMMIT_AT_ALERTS)) return this.commitProcessed();
    const interval = this.opts.commitIntervalMs;
    if (interval === null) return;
    const since = performance.now() - this.lastCommit;
    if (since >= interval) return this.commitProcessed();
    this.wakeAt(interval - since);
  }

  private wakeAt(ms: number): void {
    if (this.timer !== null || this.stopping) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.schedule();
    }, Math.max(1, Math.ceil(ms)));
  }

  /**
   * Processes every event that may go now, in log-time order across inputs. Returns whether
   * anything was processed. Ties go to the input opened first.
   */
  private release(now: number): boolean {
    if (this.held) return false;
    const feeds = this.feeds;
    const window = this.opts.mergeWindowMs;
    let progressed = false;
    for (;;) {
      let best: Feed | null = null;
      let bestKey = 0;
      let second = Number.POSITIVE_INFINITY;
      let runnerUp: Feed | null = null;
      let waitFinite = false;
      let waitLive = false;
      let waitUnread = Number.POSITIVE_INFINITY;
      for (const f of feeds) {
        if (f.available()) {
          const k = f.headKey();
          if (best === null || k < bestKey) {
            if (best !== null) {
              second = bestKey;
              runnerUp = best;
            }
            best = f;
            bestKey = k;
          } else if (k < second) {
            second = k;
            runnerUp = f;
          }
        } else if (!f.done && !this.stopping) {
          // Bytes already sent for parsing are waited for, live or not: they arrived, and
          // their events may come first (the first batch also waits for the address tables).
          // So are bytes a live source knows it has not read yet (a backlog being read, a
          // rotated file's rest), for a bounded time: only a quiet input gets just the window.
          if (f.live && f.inFlight === 0) {
            const unread = f.unreadWait(now);
            if (unread > 0) waitUnread = Math.min(waitUnread, unread);
            else waitLive = true;
          } else waitFinite = true;
        }
      }
      if (best === null || waitFinite) return progressed;
      if (waitUnread !== Number.POSITIVE_INFINITY) {
        this.wakeAt(waitUnread);
        return progressed;
      }
      if (waitLive) {
        const held = now - best.headArrival();
        if (held < window) {
          this.wakeAt(window - held);
          return progressed;
        }
      }
      progressed = true;
      // The input that comes next reads ahead now (rotated files: the next one), so that the
      // merge does not wait for its second chunk when it gets there.
      runnerUp?.warm();
      // Consume a run of the best input's events up to the runner-up's key.
      const b = best.batches[0];
      const tieOk = second === Number.POSITIVE_INFINITY || feeds.indexOf(best) < this.indexOfKey(second, best);
      const processor = this.opts.processor;
      const view = this.view;
      let i = best.index;
      const n = b.count;
      while (i < n) {
        const k = b.times[i];
        if (k > second || (k === second && !tieOk)) break;
        processor.event(view.at(b, i, best.id, best.origin));
        best.advance();
        i++;
      }
    }
  }

  /** Index of the first feed (other than `except`) whose head has key `key`. */
  private indexOfKey(key: number, except: Feed): number {
    for (let i = 0; i < this.feeds.length; i++) {
      const f = this.feeds[i];
      if (f !== except && f.available() && f.headKey() === key) return i;
    }
    return Number.POSITIVE_INFINITY;
  }
}
