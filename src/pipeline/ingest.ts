import type { IngestContext, InputRegistration } from '../core/inputs.js';
import type { LogEvent } from '../core/log-event.js';
import { namedBy, oldestDnIdOf, type EventBatch } from './batch.js';
import { BatchPreparation } from './batch-preparation.js';
import { CommitPolicy, type CommitPolicyOptions, type Committer } from './commit-policy.js';
import { DrainScheduler } from './drain-scheduler.js';
import { EventView } from './event-view.js';
import { Feed, type FeedOwner } from './feed.js';
import { heapIsSmall } from './heap-room.js';
import { LoopClock } from './loop-clock.js';
import { MergeHead } from './merge-head.js';
import { StorageFaultHold, type StorageFaultHandler } from './storage-fault-hold.js';
import type { IngestWorker } from './worker-client.js';

/** History and detection: what the pipeline feeds events to, in merged log-time order. */
export interface EventProcessor {
  /** A batch arrived, before any of its events is processed: load what its events need. */
  prepare(batch: EventBatch): Promise<void> | void;
  event(e: LogEvent): void;
  /** Every finite input was consumed (a replay's end): what waits for later events is settled now. */
  endOfInput?(): void;
  /** Events processed since the last commit (a commit is due once there are some). */
  readonly pending: number;
  /** Entries held in memory only until the next commit (users changed since it): a commit lets them go. */
  readonly backlog: number;
  /** Users met for the first time since the last commit (part of the backlog; none of them is stored yet). */
  readonly newUsers: number;
  /** Rows begun since the last commit that it adds to (sessions, hours of activity), held in memory until it. */
  readonly heldRows: number;
  /** Alerts raised or repeated since the last commit, held in memory until it. */
  readonly heldAlerts: number;
}

export interface IngestOptions extends CommitPolicyOptions {
  worker: IngestWorker;
  processor: EventProcessor;
  committer: Committer;
  /** Live inputs: how long an event may wait for a quieter input before going out of order. */
  mergeWindowMs: number;
  /** Called when a batch's lines are consumed (progress, metrics). */
  onBatch?(batch: EventBatch, feed: Feed): void;
  /** The loop stopped on a failure (a commit that could not be written, the worker died). */
  onFailure?(err: unknown): void;
  /** Whether the main thread's heap is small enough for finite inputs to read further ahead (default: heap-room.ts). */
  heapIsSmall?(): boolean;
  /**
   * Chunks of an input (a MiB each at most) parsed or being parsed ahead of the merge, at most
   * (default: feed.ts's, up to 8). Fewer keep fewer users named by batches in flight, whom
   * memory does not trim (address-trim.ts).
   */
  readAhead?: number;
  /**
   * Live runs: a commit that fails because the store cannot be written pauses the loop instead
   * (nothing more is processed, so sources stop reading through backpressure) until
   * `resumeAfterFault()` succeeds.
   */
  storageFault?: StorageFaultHandler;
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
  private readonly commits: CommitPolicy;
  private readonly drains = new DrainScheduler(() => this.drain());
  private readonly fault: StorageFaultHold;
  private readonly preparation: BatchPreparation;
  private readonly head = new MergeHead();
  /** The merge's waits for quiet live inputs count the loop's free time, not wall time (loop-clock.ts). */
  private readonly clock = new LoopClock();
  private held = false;
  private failure: unknown = null;
  /** Log times of the oldest and newest event processed in this run (±Infinity before the first): retention's bounds. */
  earliestProcessed = Number.POSITIVE_INFINITY;
  newestProcessed = Number.NEGATIVE_INFINITY;
  private stopping = false;
  /** FeedOwner.readAheadLimit: at least one chunk, or no input would ever be read. */
  readonly readAheadLimit: number;

  constructor(private readonly opts: IngestOptions) {
    this.readAheadLimit = Math.max(1, opts.readAhead ?? Infinity);
    this.view = new EventView(opts.worker.tables);
    this.commits = new CommitPolicy(opts.processor, opts.committer, opts);
    this.fault = new StorageFaultHold(opts.storageFault);
    this.preparation = new BatchPreparation(opts.processor, this.fault, () => this.schedule(), (err) => this.fail(err));
  }

  open(reg: InputRegistration): Feed {
    const id = this.opts.worker.open(reg.startOffset, reg.startLineNo, reg.format ?? null, reg.stream);
    const feed = new Feed(id, reg, this);
    if (reg.live) this.clock.start();
    // An input opened while no other is (a replay of one file, the common case) is the one the
    // merge takes first: it reads ahead fully at once. Waiting for the merge to take its first
    // event would send its second chunk only after the first batch was processed (the source
    // reads between drains), the worker idle meanwhile. At worst (the first of many files is
    // not the earliest) one input holds four chunks instead of one.
    if (!reg.live && this.feeds.every((f) => f.done)) feed.warm();
    feed.onBatchDone = (b, arrival) => {
      this.commits.consumed(b.lines, arrival);
      this.opts.onBatch?.(b, feed);
      // Its events are processed: the worker builds the next batches in its memory.
      this.opts.worker.recycle(b);
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

  /** Which log-time boundaries need their commit (`CommitPolicy.tickWanted`; all by default). */
  wantTicks(wanted: () => boolean): void {
    this.commits.tickWanted = wanted;
  }

  /** The smallest DN id a batch arrived and not yet consumed refers to (Infinity: none waits). */
  get oldestWaitingDnId(): number {
    let min = this.preparation.oldestQueuedDnId;
    for (const f of this.feeds) min = oldestDnIdOf(f.batches, min);
    return min;
  }

  /** Whether a batch arrived and not yet consumed names `dn`. */
  namesInFlight(dn: string): boolean {
    if (namedBy(this.preparation.waiting, dn)) return true;
    for (const f of this.feeds) if (namedBy(f.batches, dn)) return true;
    return false;
  }

  /** Inputs opened in this run, in order. */
  get inputs(): readonly Feed[] {
    return this.feeds;
  }

  send(feed: Feed, chunk: Buffer, arrival: number): void {
    this.preparation.track(feed, this.opts.worker.write(feed.id, chunk), arrival);
  }

  sendEnd(feed: Feed): void {
    this.preparation.track(feed, this.opts.worker.end(feed.id), performance.now());
  }

  abandon(feed: Feed): void {
    this.opts.worker.close(feed.id);
    this.schedule();
  }

  wake(): void {
    this.schedule();
  }

  lendBuffer(bytes: number): Buffer {
    return this.opts.worker.lendBuffer(bytes);
  }

  roomToReadAhead(): boolean {
    return (this.opts.heapIsSmall ?? heapIsSmall)();
  }

  /**
   * Resolves once every finite input is consumed and committed (replay). Rejects with the
   * first failure (a worker error, a failed commit).
   */
  async finish(): Promise<void> {
    this.schedule();
    while (this.failure === null && !(this.feeds.every((f) => f.done) && this.drains.running === null)) {
      // Woken after each drain: by a batch arriving, an input ending, or a failure.
      await this.drains.idle();
    }
    if (this.failure !== null) throw this.failure;
    const processor = this.opts.processor;
    if (processor.endOfInput !== undefined) await this.drains.exclusive(async () => processor.endOfInput!());
    await this.commitNow();
    if (this.failure !== null) throw this.failure;
  }

  /**
   * Stops a live run: every input is treated as ended (nothing is waited for any more), what
   * was parsed is processed and committed. Bytes still in flight are read again after a restart.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.drains.stopTimer();
    while (this.feeds.some((f) => f.inFlight > 0)) await new Promise((r) => setTimeout(r, 5));
    // In the loop's turn, like the commit after it: beside a drain whose commit is being
    // written, what this drain processed would be marked stored by that commit.
    await this.drains.exclusive(() => this.drain());
    await this.commitNow();
    this.clock.stop();
  }

  /**
   * Commits what was processed now (rules reload, shutdown). `force` commits even when nothing
   * was: the commit listeners run between two commits (the daemon's retention on a quiet log).
   */
  commitNow(force = false): Promise<void> {
    // In a drain's place: nothing is processed while this commit is written and its listeners run.
    return this.drains.exclusive(() => this.commits.commit(this.feeds, force));
  }

  private fail(err: unknown): void {
    if (this.failure === null) {
      this.failure = err;
      this.opts.onFailure?.(err);
    }
    this.drains.wakeIdle();
  }

  private schedule(): void {
    this.drains.schedule();
  }

  private async drain(): Promise<void> {
    if (this.failure !== null || this.fault.held) return;
    try {
      for (;;) {
        const progressed = this.release();
        await this.maybeCommit();
        if (!progressed) break;
      }
      for (let i = this.feeds.length - 1; i >= 0; i--) if (this.feeds[i].done && !this.feeds[i].dirty && this.feeds[i].live) this.feeds.splice(i, 1);
    } catch (err) {
      const fault = this.fault.classify(err);
      if (fault !== null) this.fault.hold(fault);
      else this.fail(err);
    }
  }

  /**
   * After a storage fault: writes everything processed since the last good commit (throws while
   * the store still cannot be written), then lets the loop go on.
   */
  async resumeAfterFault(): Promise<void> {
    if (!this.fault.held) return;
    await this.commitNow();
    this.fault.release();
    this.schedule();
  }

  /**
   * Commits if one is due, else times a drain for when the interval makes one due. Directly,
   * not through `commitNow`: that would wait for the drain in progress, its caller (with a
   * store whose commit really waits, PostgreSQL, batches arrive during a commit and the loop
   * commits again before it ends).
   */
  private async maybeCommit(): Promise<void> {
    const due = this.commits.dueIn();
    if (due === null) return;
    if (due === 0) return this.commits.commit(this.feeds);
    this.drains.wakeAt(due);
  }

  /**
   * Processes every event that may go now, in log-time order across inputs. Returns whether
   * anything was processed, or a log-time interval's commit is due. Ties go to the input opened first.
   */
  private release(): boolean {
    if (this.held) return false;
    const clock = this.clock;
    const feeds = this.feeds;
    const window = this.opts.mergeWindowMs;
    let progressed = false;
    const head = this.head;
    for (;;) {
      head.look(feeds, clock, this.stopping);
      const best = head.best;
      const second = head.second;
      if (best === null || head.waitFinite) return progressed;
      if (head.waitUnread !== Number.POSITIVE_INFINITY) {
        this.drains.wakeAt(head.waitUnread);
        return progressed;
      }
      if (head.waitLive) {
        const held = clock.since(best.headArrival());
        if (held < window) {
          this.drains.wakeAt(window - held);
          return progressed;
        }
      }
      progressed = true;
      // The input that comes next reads ahead now (rotated files: the next one), so that the
      // merge does not wait for its second chunk when it gets there.
      head.runnerUp?.warm();
      // Consume a run of the best input's events up to the runner-up's key.
      const b = best.batches[0];
      const tieOk = head.bestTakesTies(feeds);
      const processor = this.opts.processor;
      const view = this.view;
      let i = best.index;
      const n = b.count;
      let tick = this.commits.tickBefore(b.times[i]);
      while (i < n) {
        const k = b.times[i];
        if (k > second || (k === second && !tieOk)) break;
        if (k >= tick) {
          // A log-time interval ends here: the loop commits before this event (true: go on after it).
          if (this.commits.reachedTick(k)) return true;
          tick = this.commits.tickBefore(k);
        }
        processor.event(view.at(b, i, best.id, best.origin));
        best.advance();
        i++;
        if (k > this.newestProcessed) this.newestProcessed = k;
        if (k < this.earliestProcessed) this.earliestProcessed = k;
      }
    }
  }
}
