import { sha1Hex } from '../../core/identity.js';
import { EVENT_CODE, KIND, SKIP_REASONS, type LineKind } from '../../core/events.js';
import { RecordDecoder, type RecordHandler } from '../../components/decode/record-decoder.js';
import type { InputFormat } from '../../components/decode/unwrap.js';
import { OpenUnisonScanner } from '../../components/parse/scanner.js';
import { normaliseStamp, stampParts } from '../../components/decode/kubelet-time.js';
import { NO_ID, POD_SEPARATOR, SPAN_FIELDS, type EventBatch } from '../batch.js';
import { BatchBuilder } from './batch-builder.js';
import type { BlockPool } from './block-pool.js';
import type { WorkerTables } from './tables.js';

const POD_SEPARATOR_BYTE = POD_SEPARATOR.charCodeAt(0);

/** Bytes of input kept to hash what lies just before a checkpoint. */
const TAIL_BYTES = 4096;

/** Kind codes of lines passed over as unreadable (their bytes are counted as skipped). */
const SKIPPED = new Set<number>(SKIP_REASONS.map((r) => KIND[r]));

export interface InputOptions {
  input: number;
  startOffset: number;
  startLineNo: number;
  timeZone: string;
  maxLineBytes: number;
  format: InputFormat | null;
  /**
   * A stream input (a pod's log through the API, `<stamp> <line>`): its position is the stamp
   * of the last record and how many records carried exactly that stamp; a reconnection asks
   * for the stamp's second again, so the records up to `resumeAfter` are dropped here.
   */
  stream?: { resumeAfter: { stamp: string; count: number } | null };
}

/**
 * One input inside the ingest worker: decodes its bytes into records, scans each record and
 * turns the events into a batch of columns, interning DNs, addresses, sessions and threads in
 * the worker's shared tables. One batch per chunk of bytes.
 */
export class InputParser implements RecordHandler {
  private readonly decoder: RecordDecoder;
  private readonly scanner: OpenUnisonScanner;
  private readonly builder = new BatchBuilder();
  private resume: number;
  private lineNo: number;
  private bytes = 0;
  /** The last TAIL_BYTES bytes received, ending at input offset `recentEnd`. */
  private readonly recent = Buffer.alloc(TAIL_BYTES * 16);
  private recentLen = 0;
  private recentEnd: number;
  /** Stream inputs: the current stamp and the records that carried it; what is still skipped. */
  private readonly stream: boolean;
  private stampText = '';
  private stampSecs = 0;
  private stampNanos = 0;
  private atStamp = 0;
  private skipTo: { stamp: string; count: number; dropped: number } | null;
  /** Where a pod's names and a thread's are joined to be interned (podThreadId). */
  private podThread = Buffer.alloc(256);

  constructor(
    private readonly opts: InputOptions,
    private readonly tables: WorkerTables,
    /** Where its batches' blocks come from (none: a block of their own each). */
    private readonly blocks?: BlockPool,
  ) {
    this.decoder = new RecordDecoder(this, opts.startOffset, opts.startLineNo, opts.maxLineBytes, opts.format, opts.timeZone);
    this.scanner = new OpenUnisonScanner(opts.timeZone);
    this.resume = opts.startOffset;
    this.lineNo = opts.startLineNo;
    this.recentEnd = opts.startOffset;
    this.stream = opts.stream !== undefined;
    this.builder.stamped = this.stream;
    const r = opts.stream?.resumeAfter ?? null;
    this.skipTo = r === null ? null : { ...r, dropped: 0 };
    if (r !== null) {
      this.setStamp(r.stamp, r.count);
      // Until a record comes, the position is the one resumed after (not `count` 0 at its stamp).
      this.resume = r.count;
    }
  }

  /**
   * Stream inputs: whether the record (whose stamp the decoder holds) was already received
   * through an earlier connection; otherwise the position moves to it.
   */
  private streamRecord(): boolean {
    const raw = this.decoder.stamp;
    const stamp = raw === null ? null : normaliseStamp(raw);
    if (stamp === null) return false;
    const s = this.skipTo;
    if (s !== null) {
      if (stamp < s.stamp) return true;
      if (stamp === s.stamp && s.dropped < s.count) {
        s.dropped++;
        return true;
      }
      this.skipTo = null;
    }
    if (stamp === this.stampText) this.atStamp++;
    else this.setStamp(stamp, 1);
    this.lineNo++;
    return false;
  }

  private setStamp(stamp: string, count: number): void {
    const p = stampParts(stamp);
    this.stampText = stamp;
    this.stampSecs = p.secs;
    this.stampNanos = p.nanos;
    this.atStamp = count;
  }

  /** Parses the next bytes of the input and returns the batch they make. */
  chunk(bytes: Buffer): EventBatch {
    this.bytes += bytes.length;
    this.decoder.write(bytes);
    this.remember(bytes);
    return this.take(false);
  }

  /** The input ended: what is left (a cut last line, an unfinished partial record). */
  end(): EventBatch {
    this.decoder.end();
    return this.take(true);
  }

  record(buf: Buffer, start: number, end: number, resume: number, lineNo: number, podAt = -1, podEnd = -1): void {
    if (this.stream) {
      if (this.streamRecord()) return;
      resume = this.atStamp;
      lineNo = this.lineNo;
    }
    const from = this.resume;
    this.resume = resume;
    this.lineNo = lineNo;
    const b = this.builder;
    b.lines++;
    const kind = this.scanner.scan(buf, start, end);
    if (kind !== EVENT_CODE) {
      b.kinds[kind]++;
      this.passOver(kind, resume, from);
      return;
    }
    const f = this.scanner.fields;
    const t = this.tables;
    let ip = NO_ID;
    if (f.ipAt >= 0) {
      ip = t.ipId(buf, f.ipAt, f.ipEnd);
      if (ip < 0) {
        b.kinds[KIND.malformed]++;
        this.passOver(KIND.malformed, resume, from);
        return;
      }
    }
    b.kinds[EVENT_CODE]++;
    b.typeCounts[f.type]++;
    const i = b.add(buf, start, end);
    const base = b.lineStarts[i] - start;
    b.types[i] = f.type;
    b.times[i] = f.ts;
    b.lineNos[i] = lineNo;
    b.resumes[i] = resume;
    b.dns[i] = f.dnAt >= 0 ? t.dnId(buf, f.dnAt, f.dnEnd) : NO_ID;
    b.ips[i] = ip;
    b.sessions[i] = f.sessionAt >= 0 ? t.sessions.id(buf, f.sessionAt, f.sessionEnd) : NO_ID;
    b.threads[i] = podAt < 0 ? t.threads.id(buf, f.threadAt, f.threadEnd) : this.podThreadId(buf, podAt, podEnd, f.threadAt, f.threadEnd);
    if (this.stream) {
      b.stampSecs[i] = this.stampSecs;
      b.stampNanos[i] = this.stampNanos;
    }
    const s = i * SPAN_FIELDS * 2;
    const sp = b.spans;
    span(sp, s, base, f.urlAt, f.urlEnd);
    span(sp, s + 2, base, f.appAt, f.appEnd);
    span(sp, s + 4, base, f.messageAt, f.messageEnd);
    span(sp, s + 6, base, f.levelAt, f.levelEnd);
    span(sp, s + 8, base, f.loggerAt, f.loggerEnd);
  }

  skip(kind: LineKind, resume: number, lineNo: number): void {
    if (this.stream) {
      // A line without a stamp cannot be placed in the stream: counted, position unchanged.
      if (this.decoder.stamp === null) {
        this.builder.lines++;
        this.builder.kinds[KIND[kind]]++;
        return;
      }
      if (this.streamRecord()) return;
      resume = this.atStamp;
      lineNo = this.lineNo;
    }
    this.passOver(KIND[kind], resume);
    this.resume = resume;
    this.lineNo = lineNo;
    this.builder.lines++;
    this.builder.kinds[KIND[kind]]++;
  }

  /** The thread of a line with pod names, interned as `<pod names>\n<thread>` (see POD_SEPARATOR). */
  private podThreadId(buf: Buffer, podAt: number, podEnd: number, threadAt: number, threadEnd: number): number {
    const pod = podEnd - podAt;
    const n = pod + 1 + threadEnd - threadAt;
    if (this.podThread.length < n) this.podThread = Buffer.alloc(Math.max(n, 2 * this.podThread.length));
    buf.copy(this.podThread, 0, podAt, podEnd);
    this.podThread[pod] = POD_SEPARATOR_BYTE;
    buf.copy(this.podThread, pod + 1, threadAt, threadEnd);
    return this.tables.threads.id(this.podThread, 0, n);
  }

  /**
   * Counts the bytes from the last outcome (`from`) to this skipped one as passed over. A
   * stream's positions count records, not bytes: nothing is counted for streams.
   */
  private passOver(kind: number, resume: number, from = this.resume): void {
    if (this.stream || !SKIPPED.has(kind)) return;
    this.builder.skippedBytes += Math.max(0, resume - from);
  }

  private take(final: boolean): EventBatch {
    const hashOffset = this.resume;
    const batch = this.builder.take(this.opts.input, this.tables.takeAdded(), {
      bytes: this.bytes,
      endResume: this.resume,
      endLineNo: this.lineNo,
      tailHash: this.stream ? null : this.tailHash(hashOffset),
      hashOffset,
      endStampSecs: this.stampSecs,
      endStampNanos: this.stampNanos,
      final,
      format: this.decoder.format,
    }, this.blocks);
    this.bytes = 0;
    return batch;
  }

  /** Keeps the last bytes received, to hash what precedes a resume offset. */
  private remember(bytes: Buffer): void {
    const keep = this.recent.length;
    if (bytes.length >= keep) {
      bytes.copy(this.recent, 0, bytes.length - keep);
      this.recentLen = keep;
    } else {
      const shift = Math.max(0, this.recentLen + bytes.length - keep);
      if (shift > 0) this.recent.copy(this.recent, 0, shift, this.recentLen);
      this.recentLen -= shift;
      bytes.copy(this.recent, this.recentLen);
      this.recentLen += bytes.length;
    }
    this.recentEnd += bytes.length;
  }

  private tailHash(offset: number): string | null {
    return tailHashOf(this.recent, this.recentLen, this.recentEnd, offset);
  }
}

/**
 * SHA-1 of the (up to) TAIL_BYTES input bytes before `offset`, from a window of recent bytes
 * `recent[0, len)` that ends at input offset `windowEnd`; null when they are not in the window.
 */
export function tailHashOf(recent: Uint8Array, len: number, windowEnd: number, offset: number): string | null {
  const windowStart = windowEnd - len;
  const from = Math.max(0, offset - TAIL_BYTES);
  if (from < windowStart || offset > windowEnd) return null;
  return sha1Hex(recent.subarray(from - windowStart, offset - windowStart));
}

function span(spans: Int32Array, at: number, base: number, start: number, end: number): void {
  if (start < 0) {
    spans[at] = NO_ID;
    spans[at + 1] = NO_ID;
  } else {
    spans[at] = base + start;
    spans[at + 1] = base + end;
  }
}
