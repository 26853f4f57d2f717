import type { SkipReason } from '../../core/events.js';
import { DEFAULT_MAX_LINE_BYTES, LineSplitter, type LineSink } from './lines.js';
import { createDecoder, detectFormat, type Decoder, type InputFormat, type RecordSink } from './wrappers.js';

/**
 * Records decoded from one input and not yet processed, as parallel arrays (one allocation
 * per chunk rather than per line). `text` is null for a skipped line, with its reason.
 */
export class RecordQueue {
  texts: (string | null)[] = [];
  reasons: (SkipReason | null)[] = [];
  lineNos: number[] = [];
  resumes: number[] = [];
  head = 0;

  get size(): number {
    return this.texts.length - this.head;
  }

  push(text: string | null, reason: SkipReason | null, lineNo: number, resume: number): void {
    this.texts.push(text);
    this.reasons.push(reason);
    this.lineNos.push(lineNo);
    this.resumes.push(resume);
  }

  /** Forgets consumed records once the queue is drained. */
  compact(): void {
    if (this.head > 0 && this.head === this.texts.length) {
      this.texts = [];
      this.reasons = [];
      this.lineNos = [];
      this.resumes = [];
      this.head = 0;
    }
  }
}

/**
 * Bytes of one input -> log4j records: splits lines (exact byte offsets, oversize guard),
 * recognises the wrapper (plain, docker json-file, CRI) from the first non-empty line and
 * unwraps it. Records land in `queue` with the offset a restarted reader resumes from.
 */
export class StreamDecoder implements LineSink, RecordSink {
  readonly queue = new RecordQueue();
  private readonly splitter: LineSplitter;
  private decoder: Decoder | null;
  format: InputFormat | null;
  /** Physical lines read so far in this input (numbering continues from the checkpoint). */
  lineNo: number;
  /** Reading from the input's first byte: a UTF-8 byte order mark there is not text. */
  private atStart: boolean;

  constructor(
    startOffset = 0,
    startLineNo = 0,
    private readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES,
    format: InputFormat | null = null,
  ) {
    this.splitter = new LineSplitter(this, startOffset, maxLineBytes);
    this.lineNo = startLineNo;
    this.atStart = startOffset === 0;
    this.format = format;
    this.decoder = format === null ? null : createDecoder(format, this, maxLineBytes);
  }

  write(chunk: Buffer): void {
    this.splitter.write(chunk);
  }

  /** Bytes received but not yet part of a complete line. */
  get pendingBytes(): number {
    return this.splitter.pendingBytes;
  }

  /** End of input: an unterminated last line is skipped as truncated and left unconsumed. */
  end(): void {
    const tail = this.splitter.end();
    // Not consumed, so not numbered either: the checkpoint's line number must match its offset.
    if (tail !== null) this.skip('truncated', this.splitter.offset);
    this.decoder?.finish();
  }

  line(text: string, endOffset: number): void {
    this.lineNo++;
    if (this.atStart) {
      // Files saved by Windows tools may begin with a BOM; left in, the first header would not parse.
      this.atStart = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.decoder === null) {
      if (text.trim().length === 0) return this.record(text, endOffset);
      this.format = detectFormat(text);
      this.decoder = createDecoder(this.format, this, this.maxLineBytes);
    }
    this.decoder.line(text, endOffset);
  }

  oversized(endOffset: number): void {
    this.lineNo++;
    this.atStart = false;
    if (this.decoder === null) this.skip('oversized', endOffset);
    else this.decoder.oversized(endOffset);
  }

  record(text: string, resumeOffset: number): void {
    this.queue.push(text, null, this.lineNo, resumeOffset);
  }

  skip(reason: SkipReason, resumeOffset: number): void {
    this.queue.push(null, reason, this.lineNo, resumeOffset);
  }
}
