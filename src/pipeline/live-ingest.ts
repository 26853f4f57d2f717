import type { Logger } from 'pino';
import type { CommitResult, Pipeline } from './pipeline.js';
import type { LiveInput, RecordConsumer } from './live-input.js';
import { LiveMerger } from './live-merge.js';
import type { LiveContext, LiveSource } from '../core/live-source.js';
import type { StorageFault } from '../core/storage-fault.js';

/** Lines of one input consumed in a batch that arrived together (one chunk read). */
export interface ChunkMark {
  origin: string;
  firstLine: number;
  lastLine: number;
  /** When the chunk's bytes were read (performance.now()). */
  arrival: number;
}

/** What one commit wrote, for alert output, metrics and logs. */
export interface CommitReport {
  result: CommitResult;
  /** Records consumed since the previous commit. */
  lines: number;
  chunks: ChunkMark[];
  /** When the commit returned (performance.now()). */
  committedAt: number;
  durationMs: number;
  /** Log time (epoch ms) of the newest event consumed so far, null before the first. */
  lastEventTs: number | null;
}

export interface IngestOptions {
  pipeline: Pipeline;
  log: Logger;
  mergeWindowMs: number;
  commitIntervalMs: number;
  /** Commit at once when this many records are pending (bounded memory while catching up). */
  maxBatch?: number;
  /** Called after every successful commit. */
  onCommit(report: CommitReport): void;
  /** A commit failed: state in memory is no longer trustworthy (the caller exits; a restart resumes exactly). */
  onFatal(err: unknown): void;
  /**
   * The storage seam. `check` runs before each commit and throws a StorageFault when the store
   * cannot be written now; `fault` recognises one in a failed commit's error. A storage fault
   * stops this loop for good (nothing more is consumed: what was consumed and not committed is
   * read again from the last checkpoints by the next loop) and goes to `onStorageFault`
   * instead of `onFatal`: the daemon pauses, and resumes with a new loop once it can write.
   */
  storage?: { check(): void; fault(err: unknown): StorageFault | null };
  onStorageFault?(fault: StorageFault): void;
  /** Where records go (the pipeline; tests may wrap it). */
  consumer?: RecordConsumer;
}

/**
 * The daemon's loop over the shared Pipeline: sources queue records, a drain releases them in
 * time order into `pipeline.process`/`skip`, and `pipeline.commit` runs at most every
 * `commitIntervalMs` while lines arrive (at once after a quiet spell), so an alert is out
 * within a poll interval plus a commit interval of its line being written.
 */
export class LiveIngest implements LiveContext {
  readonly merger: LiveMerger;
  readonly log: Logger;
  private readonly sources: LiveSource[] = [];
  private readonly consumer: RecordConsumer;
  private readonly maxBatch: number;
  private drainQueued = false;
  private commitTimer: NodeJS.Timeout | null = null;
  private holdTimer: NodeJS.Timeout | null = null;
  private lastCommit = -Infinity;
  private chunks: ChunkMark[] = [];
  private lines = 0;
  private lastEventTs: number | null = null;
  private closed = false;
  private held = false;

  constructor(private readonly opts: IngestOptions) {
    this.merger = new LiveMerger(opts.mergeWindowMs);
    this.log = opts.log;
    this.consumer = opts.consumer ?? opts.pipeline;
    this.maxBatch = opts.maxBatch ?? 100_000;
  }

  attach(source: LiveSource): void {
    this.sources.push(source);
  }

  add(input: LiveInput): void {
    this.merger.add(input);
    this.wake();
  }

  /**
   * While sources start, nothing is released: inputs found together at start-up (replicas'
   * files, pods) are then merged from their first lines instead of in the order they opened.
   */
  hold(): void {
    this.held = true;
  }

  release(): void {
    this.held = false;
    this.wake();
  }

  wake(): void {
    if (this.drainQueued || this.closed || this.held) return;
    this.drainQueued = true;
    setImmediate(() => {
      this.drainQueued = false;
      if (!this.closed) this.guard(() => this.drain());
    });
  }

  /** Releases what may go, and commits now or schedules the next commit. */
  drain(): void {
    const now = performance.now();
    const wait = this.merger.drain(now, (input) => this.consume(input));
    for (const s of this.sources) s.afterDrain?.();
    if (this.opts.pipeline.pending > 0) {
      const since = now - this.lastCommit;
      if (since >= this.opts.commitIntervalMs || this.opts.pipeline.pending >= this.maxBatch) this.commit();
      else if (this.commitTimer === null) {
        this.commitTimer = setTimeout(() => {
          this.commitTimer = null;
          this.guard(() => this.drain());
        }, this.opts.commitIntervalMs - since);
      }
    }
    if (wait !== null && this.holdTimer === null && !this.closed) {
      this.holdTimer = setTimeout(() => {
        this.holdTimer = null;
        this.guard(() => this.drain());
      }, Math.max(1, Math.ceil(wait)));
    }
  }

  /** Writes everything consumed so far in one transaction. */
  commit(): CommitReport | null {
    if (this.commitTimer) clearTimeout(this.commitTimer);
    this.commitTimer = null;
    if (this.opts.pipeline.pending === 0) return null;
    this.opts.storage?.check();
    const started = performance.now();
    const result = this.opts.pipeline.commit();
    const committedAt = performance.now();
    this.lastCommit = committedAt;
    for (const s of this.sources) s.afterCommit?.();
    const report: CommitReport = {
      result,
      lines: this.lines,
      chunks: this.chunks,
      committedAt,
      durationMs: committedAt - started,
      lastEventTs: this.lastEventTs,
    };
    this.chunks = [];
    this.lines = 0;
    this.opts.onCommit(report);
    return report;
  }

  /**
   * Shutdown, after the sources stopped: every input is finished, so nothing waits for
   * ordering any more; the last records read are processed and committed with their checkpoints.
   */
  finish(): void {
    this.closed = true;
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = null;
    const now = performance.now();
    this.merger.drain(now, (input) => this.consume(input));
    this.commit();
  }

  private consume(input: LiveInput): void {
    const arrival = input.headArrival();
    const { lineNo, event } = input.consumeHead(this.consumer);
    this.lines++;
    if (event !== null) this.lastEventTs = event.ts;
    const last = this.chunks.length > 0 ? this.chunks[this.chunks.length - 1] : null;
    if (last !== null && last.origin === input.origin && last.arrival === arrival) last.lastLine = lineNo;
    else this.chunks.push({ origin: input.origin, firstLine: lineNo, lastLine: lineNo, arrival });
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.closed = true;
      if (this.holdTimer) clearTimeout(this.holdTimer);
      if (this.commitTimer) clearTimeout(this.commitTimer);
      const fault = this.opts.storage?.fault(err) ?? null;
      if (fault !== null && this.opts.onStorageFault) this.opts.onStorageFault(fault);
      else this.opts.onFatal(err);
    }
  }

  /** Whether the loop stopped (finished, or after a fatal error or a storage fault). */
  get stopped(): boolean {
    return this.closed;
  }
}
