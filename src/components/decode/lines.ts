import { isAscii } from 'node:buffer';

/** Receives each complete line with the byte offset just past its newline. */
export interface LineSink {
  line(text: string, endOffset: number): void;
  /** A line longer than the limit was dropped (its bytes are consumed). */
  oversized(endOffset: number): void;
}

export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

/**
 * Splits a byte stream into lines and knows the exact byte offset after each one, which is
 * what checkpoints store. Pure-ASCII chunks (the usual case) are decoded in one call and split
 * as a string; other chunks are split on the bytes so invalid UTF-8 cannot shift offsets.
 * A line over `maxLineBytes` is never held in memory: it is discarded up to its newline and
 * reported once as oversized.
 */
export class LineSplitter {
  private carry: Buffer[] = [];
  private carryBytes = 0;
  private discarding = false;
  /** Absolute offset of the first byte not yet consumed by a complete line. */
  private consumed: number;
  private received: number;

  constructor(
    private readonly sink: LineSink,
    startOffset = 0,
    private readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES,
  ) {
    this.consumed = startOffset;
    this.received = startOffset;
  }

  /** Offset just past the last complete line handed to the sink. */
  get offset(): number {
    return this.consumed;
  }

  /** Bytes held back because their line has no newline yet. */
  get pendingBytes(): number {
    return this.received - this.consumed;
  }

  write(chunk: Buffer): void {
    const base = this.received;
    this.received += chunk.length;
    let start = 0;
    if (this.carryBytes > 0 || this.discarding) {
      const nl = chunk.indexOf(10);
      if (nl < 0) {
        this.hold(chunk);
        return;
      }
      if (this.discarding) {
        this.discarding = false;
        this.consumed = base + nl + 1;
        this.sink.oversized(this.consumed);
      } else if (this.carryBytes + nl > this.maxLineBytes) {
        this.dropCarry();
        this.consumed = base + nl + 1;
        this.sink.oversized(this.consumed);
      } else {
        this.carry.push(chunk.subarray(0, nl));
        const joined = Buffer.concat(this.carry);
        this.dropCarry();
        this.consumed = base + nl + 1;
        this.sink.line(stripCr(joined.toString('utf8')), this.consumed);
      }
      start = nl + 1;
    }
    const lastNl = chunk.lastIndexOf(10);
    if (lastNl >= start) {
      const body = chunk.subarray(start, lastNl + 1);
      if (isAscii(body)) this.splitAscii(body, base + start);
      else this.splitBytes(body, base + start);
      start = lastNl + 1;
    }
    if (start < chunk.length) this.hold(chunk.subarray(start));
  }

  /**
   * End of input. Returns the unterminated last line, if any: a writer cut off mid-line.
   * Its bytes are not consumed, so a later read of the completed line starts at its beginning.
   * An oversized one is not held, so it comes back as '' (still a cut line to count).
   */
  end(): string | null {
    if (this.discarding) {
      this.discarding = false;
      return '';
    }
    if (this.carryBytes === 0) return null;
    const text = Buffer.concat(this.carry).toString('utf8');
    this.dropCarry();
    return text;
  }

  private hold(bytes: Buffer): void {
    if (this.discarding) return;
    if (this.carryBytes + bytes.length > this.maxLineBytes) {
      this.dropCarry();
      this.discarding = true;
      return;
    }
    // Copy: the caller may reuse its read buffer.
    this.carry.push(Buffer.from(bytes));
    this.carryBytes += bytes.length;
  }

  private dropCarry(): void {
    this.carry = [];
    this.carryBytes = 0;
  }

  private splitAscii(body: Buffer, at: number): void {
    const text = body.toString('latin1');
    const sink = this.sink;
    const max = this.maxLineBytes;
    let pos = 0;
    const len = text.length;
    while (pos < len) {
      const nl = text.indexOf('\n', pos);
      const endOffset = at + nl + 1;
      this.consumed = endOffset;
      if (nl - pos > max) sink.oversized(endOffset);
      else {
        let stop = nl;
        if (stop > pos && text.charCodeAt(stop - 1) === 13) stop--;
        sink.line(text.slice(pos, stop), endOffset);
      }
      pos = nl + 1;
    }
  }

  private splitBytes(body: Buffer, at: number): void {
    const sink = this.sink;
    const max = this.maxLineBytes;
    let pos = 0;
    const len = body.length;
    while (pos < len) {
      const nl = body.indexOf(10, pos);
      const endOffset = at + nl + 1;
      this.consumed = endOffset;
      if (nl - pos > max) sink.oversized(endOffset);
      else {
        let stop = nl;
        if (stop > pos && body[stop - 1] === 13) stop--;
        sink.line(body.toString('utf8', pos, stop), endOffset);
      }
      pos = nl + 1;
    }
  }
}

function stripCr(s: string): string {
  return s.length > 0 && s.charCodeAt(s.length - 1) === 13 ? s.slice(0, -1) : s;
}
