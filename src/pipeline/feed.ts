import type { InputChannel, InputPosition, InputRegistration } from '../core/inputs.js';
import { formatStamp } from '../components/decode/kubelet-time.js';
import { MAX_BATCH_BYTES, type EventBatch } from './batch.js';
import type { FreeTime } from './loop-clock.js';

/** Chunks of one input sent to the worker or parsed and waiting, beyond which the source waits. */
const READ_AHEAD = 4;
/**
 * The same for a finite input while the main thread's heap is small (FeedOwner.roomToReadAhead):
 * the worker parses more while the main thread works, and the main thread waits less for it
 * (benign 1 M lines 0.945x the time, 5 pairs, at 232 against 213 MiB; storm 0.934x). Those
 * MiB would matter only to the replays whose heap is large anyway (many users, long storms),
 * and those keep four.
 */
const READ_AHEAD_SMALL_HEAP = 8;
/**
 * The same for a finite input the merge has not taken an event from yet: its first chunk
 * tells the merge when it begins, and a replay of hundreds of rotated files (most of them
 * later than the one being read) would otherwise hold four chunks of each in memory at once.
 */
const READ_AHEAD_WAITING = 1;
/**
 * How long the merge waits for a source that said it has unread bytes and then delivered
 * nothing: past it, a stuck source (a disk that stopped answering) no longer holds the others.
 * Counted in time the event loop was free to run (loop-clock.ts): the source reads only then.
 */
export const UNREAD_PATIENCE_MS = 2_000;

/** Called by a feed when its state changed (a batch arrived, an input ended). */
export interface FeedOwner {
  send(feed: Feed, chunk: Buffer, arrival: number): void;
  sendEnd(feed: Feed): void;
  abandon(feed: Feed): void;
  /** The merge may go on without waiting for this feed's source any more. */
  wake(feed: Feed): void;
  /** Whether finite inputs may read READ_AHEAD_SMALL_HEAP chunks ahead now (memory is plentiful). */
  roomToReadAhead(): boolean;
  /** Chunks any input may read ahead, whatever the heap (IngestOptions.readAhead). */
  readonly readAheadLimit: number;
  /** A buffer whose memory a chunk pushed in it takes to the worker uncopied (InputChannel.lendBuffer). */
  lendBuffer(bytes: number): Buffer;
}

/**
 * One input inside the ingest pipeline: the source's side (`InputChannel`: push bytes, wait
 * while the pipeline is behind) and the merge's side (the parsed batches waiting, the event
 * to consume next, the position after what was consumed).
 */
export class Feed implements InputChannel {
  /** Parsed batches not yet fully consumed; the head one is consumed from `index`. */
  readonly batches: EventBatch[] = [];
  /** When each waiting batch's bytes arrived (performance.now()), for latency figures. */
  readonly arrivals: number[] = [];
  index = 0;
  /** Chunks sent to the worker whose batch has not arrived. */
  inFlight = 0;
  /** `end()` was called: no more bytes. */
  ended = false;
  /** The final batch arrived: once consumed, this input is done. */
  finished = false;
  closed = false;
  /** The merge took, or is about to take, events of this input: it reads ahead fully (READ_AHEAD_WAITING until then). */
  private started = false;
  /** The position after the last consumed record (for streams, `offset` counts records at the stamp). */
  position: InputPosition;
  private stampSecs = -1;
  private stampNanos = 0;
  /** Streams: the position after the last record parsed (arrived), consumed or not. */
  private arrivedStamp: { secs: number; nanos: number; count: number; lineNo: number } | null = null;
  /** Changed since the last commit. */
  dirty = false;
  committed: InputPosition | null = null;
  /** Lines consumed since the start of this run. */
  linesRead = 0;
  bytesRead = 0;
  /** Bytes consumed since the start of this run that were passed over as unreadable. */
  skippedBytes = 0;
  format: string | null = null;
  private waiters: Array<(ok: boolean) => void> = [];
  /** The source has unread bytes: when it last said so or delivered some (performance.now()), else null. */
  private unreadAt: number | null = null;

  constructor(
    readonly id: number,
    readonly reg: InputRegistration,
    private readonly owner: FeedOwner,
  ) {
    this.position = { offset: reg.startOffset, lineNo: reg.startLineNo, tailHash: null, hashOffset: reg.startOffset, stamp: null };
  }

  get origin(): string {
    return this.reg.origin;
  }

  get live(): boolean {
    return this.reg.live;
  }

  get settled(): boolean {
    return this.inFlight === 0;
  }

  get full(): boolean {
    return this.inFlight + this.batches.length >= this.readAhead;
  }

  private get readAhead(): number {
    return Math.min(this.usualReadAhead, this.owner.readAheadLimit);
  }

  private get usualReadAhead(): number {
    if (this.reg.live) return READ_AHEAD;
    if (!this.started) return READ_AHEAD_WAITING;
    return this.owner.roomToReadAhead() ? READ_AHEAD_SMALL_HEAP : READ_AHEAD;
  }

  current(): InputPosition {
    const p = { ...this.position };
    if (this.reg.stream !== undefined) p.stamp = this.stampSecs < 0 ? null : formatStamp(this.stampSecs, this.stampNanos);
    return p;
  }

  received(): { stamp: string; count: number; lineNo: number } | null {
    const a = this.arrivedStamp;
    if (a !== null) return { stamp: formatStamp(a.secs, a.nanos), count: a.count, lineNo: a.lineNo };
    const r = this.reg.stream?.resumeAfter ?? null;
    return r === null ? null : { ...r, lineNo: this.reg.startLineNo };
  }

  /** No larger than one batch's bytes: a chunk pushed is split past that, and a part would take the whole buffer with it. */
  lendBuffer(bytes: number): Buffer {
    return this.owner.lendBuffer(Math.min(bytes, MAX_BATCH_BYTES));
  }

  push(chunk: Buffer, arrival = performance.now()): void {
    if (this.closed || this.ended) return;
    if (this.unreadAt !== null) this.unreadAt = arrival;
    // Sources read 1 MiB at a time or less; a larger chunk is split rather than trusted (the
    // main thread's tables are sized for what one batch can bring: MainTables).
    let at = 0;
    do {
      this.inFlight++;
      this.owner.send(this, chunk.subarray(at, at + MAX_BATCH_BYTES), arrival);
      at += MAX_BATCH_BYTES;
    } while (at < chunk.length);
  }

  unread(known: boolean): void {
    if (this.closed || this.ended) return;
    if (known) this.unreadAt = performance.now();
    else if (this.unreadAt !== null) {
      this.unreadAt = null;
      this.owner.wake(this);
    }
  }

  /**
   * How much longer the merge should wait for this input's unread bytes (ms), 0 when it
   * should not: the source read to the end, or delivered nothing for `UNREAD_PATIENCE_MS` of
   * the event loop's free time.
   */
  unreadWait(free: FreeTime): number {
    if (this.unreadAt === null || this.ended || this.closed) return 0;
    return Math.max(0, UNREAD_PATIENCE_MS - free.since(this.unreadAt));
  }

  ready(): Promise<boolean> {
    if (this.closed || this.ended) return Promise.resolve(false);
    if (!this.full) return Promise.resolve(true);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  end(): void {
    if (this.closed || this.ended) return;
    this.ended = true;
    this.inFlight++;
    this.owner.sendEnd(this);
    this.wakeSource();
  }

  abandon(): void {
    if (this.closed) return;
    this.closed = true;
    this.owner.abandon(this);
    this.wakeSource();
  }

  /** A parsed batch arrived (in the order its bytes were pushed). */
  arrive(batch: EventBatch, arrival: number): void {
    this.inFlight--;
    if (this.closed) return;
    this.batches.push(batch);
    this.arrivals.push(arrival);
    if (this.reg.stream !== undefined && batch.endStampSecs > 0) {
      this.arrivedStamp = { secs: batch.endStampSecs, nanos: batch.endStampNanos, count: batch.endResume, lineNo: batch.endLineNo };
    }
    if (batch.format !== null) this.format = batch.format;
    if (batch.final) this.finished = true;
  }

  /** Events available to consume without waiting. */
  available(): boolean {
    while (this.batches.length > 0 && this.index >= this.batches[0].count) this.finishHead();
    return this.batches.length > 0;
  }

  headKey(): number {
    return this.batches[0].times[this.index];
  }

  headArrival(): number {
    return this.arrivals[0];
  }

  /** Consumes the head event: its position becomes the input's. */
  advance(): void {
    const b = this.batches[0];
    const i = this.index++;
    if (!this.started) this.warm();
    const p = this.position;
    p.offset = b.resumes[i];
    p.lineNo = b.lineNos[i];
    if (b.stampSecs.length > 0) {
      this.stampSecs = b.stampSecs[i];
      this.stampNanos = b.stampNanos[i];
    }
    this.dirty = true;
  }

  /** The merge takes (or is about to take) events of this input: it reads ahead fully. */
  warm(): void {
    if (this.started) return;
    this.started = true;
    this.wakeSource();
  }

  /** Consumed everything: nothing of this input waits any more. */
  get done(): boolean {
    return this.closed || (this.finished && this.inFlight === 0 && this.batches.length === 0);
  }

  /** After a commit that stored `position`. */
  markCommitted(): void {
    this.committed = this.current();
    this.dirty = false;
  }

  /** The head batch is consumed: its end position (after trailing non-events) is the input's. */
  private finishHead(): void {
    const b = this.batches.shift()!;
    const arrival = this.arrivals.shift()!;
    this.index = 0;
    const p = this.position;
    p.offset = b.endResume;
    p.lineNo = b.endLineNo;
    if (b.tailHash !== null) {
      p.tailHash = b.tailHash;
      p.hashOffset = b.hashOffset;
    }
    if (this.reg.stream !== undefined && b.endStampSecs > 0) {
      this.stampSecs = b.endStampSecs;
      this.stampNanos = b.endStampNanos;
    }
    this.linesRead += b.lines;
    this.bytesRead += b.bytes;
    this.skippedBytes += b.skippedBytes;
    this.dirty = true;
    this.onBatchDone?.(b, arrival);
    this.wakeSource();
  }

  /** Set by the pipeline: counts a consumed batch's lines. */
  onBatchDone: ((b: EventBatch, arrival: number) => void) | null = null;

  private wakeSource(): void {
    if (this.waiters.length === 0) return;
    const open = !this.closed && !this.ended;
    if (open && this.full) return;
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w(open);
  }
}
