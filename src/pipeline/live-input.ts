import type { RecordQueue, StreamDecoder } from '../components/decode/stream-decoder.js';
import type { Event } from '../core/events.js';
import type { Pipeline } from './pipeline.js';

/** What a live input hands its records to: the pipeline (tests may pass a recorder). */
export type RecordConsumer = Pick<Pipeline, 'process' | 'skip'>;

/**
 * A live stream of decoded records (one file identity, or one connection to a pod's log).
 * The merger releases records from all live inputs in log-time order; an input's position
 * only moves when a record is consumed, so anything still queued at a crash is read again.
 */
export interface LiveInput {
  /** Evidence origin (`file`, or `namespace/pod/container`). */
  readonly origin: string;
  readonly queue: RecordQueue;
  /** True once nothing more will be queued; the merger forgets it when drained. */
  readonly finished: boolean;
  /** Log4j timestamp key of the head record, null when it has none (stack trace, skip). */
  headKey(): string | null;
  /** When the head record's bytes arrived (performance.now()). */
  headArrival(): number;
  /** Processes the head record; returns the line number it was given. */
  consumeHead(sink: RecordConsumer): ConsumedRecord;
}

export interface ConsumedRecord {
  lineNo: number;
  event: Event | null;
}

/**
 * When each record's bytes arrived, kept per chunk (not per line): records with index below
 * `ends[k]` arrived at `times[k]`. Heads are looked up in increasing order.
 */
export class ArrivalMarks {
  private ends: number[] = [];
  private times: number[] = [];
  private at = 0;

  mark(end: number, time: number): void {
    const n = this.ends.length;
    if (n > 0 && this.ends[n - 1] >= end) return;
    this.ends.push(end);
    this.times.push(time);
  }

  arrivalOf(index: number): number {
    while (this.at < this.ends.length - 1 && this.ends[this.at] <= index) this.at++;
    return this.times[this.at] ?? performance.now();
  }

  /** The first `n` records were dropped from the queue: indices move down by `n`. */
  shift(n: number): void {
    let drop = 0;
    while (drop < this.ends.length - 1 && this.ends[drop] <= n) drop++;
    this.ends = this.ends.slice(drop).map((e) => e - n);
    this.times = this.times.slice(drop);
    this.at = Math.max(0, this.at - drop);
  }
}

/**
 * Drops consumed records from the front of a queue that never empties completely (a steady
 * stream held back by the merge window), so its arrays stay bounded. Returns how many.
 */
function dropConsumed(q: RecordQueue): number {
  const n = q.head;
  q.texts = q.texts.slice(n);
  q.reasons = q.reasons.slice(n);
  q.lineNos = q.lineNos.slice(n);
  q.resumes = q.resumes.slice(n);
  q.head = 0;
  return n;
}

/** Shared bookkeeping of a live input fed by a StreamDecoder. */
export abstract class DecodedLiveInput implements LiveInput {
  finished = false;
  private readonly marks = new ArrivalMarks();

  constructor(
    readonly origin: string,
    protected readonly decoder: StreamDecoder,
  ) {}

  get queue(): RecordQueue {
    return this.decoder.queue;
  }

  abstract headKey(): string | null;
  abstract consumeHead(sink: RecordConsumer): ConsumedRecord;

  headArrival(): number {
    return this.marks.arrivalOf(this.queue.head);
  }

  /** Bytes that arrived at `time` (performance.now()). */
  protected decode(chunk: Buffer, time: number): void {
    const q = this.queue;
    if (q.head >= 1024 && q.head * 2 >= q.texts.length) this.marks.shift(dropConsumed(q));
    this.decoder.write(chunk);
    this.marks.mark(q.texts.length, time);
  }

  /** Nothing more will be queued. A partial last line stays unconsumed (read again later). */
  finish(): void {
    this.finished = true;
  }
}
