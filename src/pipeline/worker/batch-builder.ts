import { EVENT_TYPES, LINE_KINDS } from '../../core/events.js';
import { NO_ID, SPAN_FIELDS, type AddedValues, type EventBatch } from '../batch.js';
import type { InputFormat } from '../../components/decode/unwrap.js';
import { BlockPool } from './block-pool.js';

/** Growable columns of one batch of events, reused from batch to batch. */
export class BatchBuilder {
  count = 0;
  private cap = 0;
  types = new Uint8Array(0);
  times = new Float64Array(0);
  lineNos = new Float64Array(0);
  resumes = new Float64Array(0);
  dns = new Int32Array(0);
  ips = new Int32Array(0);
  sessions = new Int32Array(0);
  threads = new Int32Array(0);
  spans = new Int32Array(0);
  stampSecs = new Float64Array(0);
  stampNanos = new Int32Array(0);
  /** Stream inputs record stamps per event. */
  stamped = false;
  lineStarts = new Int32Array(0);
  lineEnds = new Int32Array(0);
  // Small at first, grown by doubling to what the input's chunks need: every input of a
  // replay has a builder from the start, and most of hundreds of files wait, having sent one
  // small chunk (256 KiB and 4,096 events each were 670 KB per input).
  text = Buffer.allocUnsafe(16 * 1024);
  textLen = 0;
  readonly kinds = new Float64Array(LINE_KINDS.length + 1);
  readonly typeCounts = new Float64Array(EVENT_TYPES.length);
  lines = 0;
  skippedBytes = 0;

  constructor() {
    this.grow(128);
  }

  /** Appends an event's line; returns its index (the caller fills the other columns). */
  add(buf: Uint8Array, start: number, end: number): number {
    if (this.count === this.cap) this.grow(this.cap * 2);
    const n = end - start;
    if (this.textLen + n > this.text.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.text.length * 2, this.textLen + n));
      this.text.copy(grown, 0, 0, this.textLen);
      this.text = grown;
    }
    this.text.set(buf.subarray(start, end), this.textLen);
    const i = this.count++;
    this.lineStarts[i] = this.textLen;
    this.lineEnds[i] = this.textLen + n;
    this.textLen += n;
    return i;
  }

  /**
   * The batch: exact-length copies of the columns and text, all in one block (from `pool`:
   * the main thread hands it back once the batch is consumed); the builder is then empty again.
   */
  take(input: number, added: AddedValues, tail: BatchTail, pool: BlockPool = FRESH): EventBatch {
    const n = this.count;
    const stamped = this.stamped ? n : 0;
    const kinds = this.kinds.length;
    const typeCounts = this.typeCounts.length;
    // Widest first, so that every view is aligned.
    const f64 = 3 * n + stamped + kinds + typeCounts;
    const i32 = (6 + SPAN_FIELDS * 2) * n + stamped;
    const block = pool.take(8 * f64 + 4 * i32 + n + this.textLen);
    // Where the next column of each width goes.
    const at = { 8: 0, 4: 8 * f64, 1: 8 * f64 + 4 * i32 };
    const put = <T extends Float64Array | Int32Array | Uint8Array>(make: { new (b: ArrayBuffer, offset: number, length: number): T; readonly BYTES_PER_ELEMENT: number }, src: T, len: number): T => {
      const width = make.BYTES_PER_ELEMENT as 8 | 4 | 1;
      const v = new make(block, at[width], len);
      v.set(src.subarray(0, len) as never);
      at[width] += width * len;
      return v;
    };
    const batch: EventBatch = {
      input,
      count: n,
      times: put(Float64Array, this.times, n),
      lineNos: put(Float64Array, this.lineNos, n),
      resumes: put(Float64Array, this.resumes, n),
      stampSecs: put(Float64Array, this.stampSecs, stamped),
      kinds: put(Float64Array, this.kinds, kinds),
      typeCounts: put(Float64Array, this.typeCounts, typeCounts),
      dns: put(Int32Array, this.dns, n),
      ips: put(Int32Array, this.ips, n),
      sessions: put(Int32Array, this.sessions, n),
      threads: put(Int32Array, this.threads, n),
      spans: put(Int32Array, this.spans, n * SPAN_FIELDS * 2),
      stampNanos: put(Int32Array, this.stampNanos, stamped),
      lineStarts: put(Int32Array, this.lineStarts, n),
      lineEnds: put(Int32Array, this.lineEnds, n),
      types: put(Uint8Array, this.types, n),
      text: put(Uint8Array, this.text, this.textLen),
      added,
      lines: this.lines,
      skippedBytes: this.skippedBytes,
      ...tail,
    };
    this.count = 0;
    this.textLen = 0;
    this.lines = 0;
    this.skippedBytes = 0;
    this.kinds.fill(0);
    this.typeCounts.fill(0);
    return batch;
  }

  private grow(cap: number): void {
    const g = <T extends Uint8Array | Int32Array | Float64Array>(a: T, make: (n: number) => T, per = 1): T => {
      const b = make(cap * per);
      b.set(a.subarray(0, this.count * per) as never);
      return b;
    };
    this.types = g(this.types, (k) => new Uint8Array(k));
    this.times = g(this.times, (k) => new Float64Array(k));
    this.lineNos = g(this.lineNos, (k) => new Float64Array(k));
    this.resumes = g(this.resumes, (k) => new Float64Array(k));
    this.dns = g(this.dns, (k) => new Int32Array(k).fill(NO_ID));
    this.ips = g(this.ips, (k) => new Int32Array(k).fill(NO_ID));
    this.sessions = g(this.sessions, (k) => new Int32Array(k).fill(NO_ID));
    this.threads = g(this.threads, (k) => new Int32Array(k));
    this.spans = g(this.spans, (k) => new Int32Array(k), SPAN_FIELDS * 2);
    this.stampSecs = g(this.stampSecs, (k) => new Float64Array(k));
    this.stampNanos = g(this.stampNanos, (k) => new Int32Array(k));
    this.lineStarts = g(this.lineStarts, (k) => new Int32Array(k));
    this.lineEnds = g(this.lineEnds, (k) => new Int32Array(k));
    this.cap = cap;
  }
}

/** No pool (a parse in the calling thread): every batch gets a block of its own. */
const FRESH = new BlockPool(0);

/** What a batch says about its input after its last event. */
export interface BatchTail {
  bytes: number;
  endResume: number;
  endLineNo: number;
  tailHash: string | null;
  hashOffset: number;
  endStampSecs: number;
  endStampNanos: number;
  final: boolean;
  format: InputFormat | null;
}
