/** Receives each complete line as bytes, without its `\n` (and a `\r` before it). */
export interface LineHandler {
  /** `buf[start, end)` is the line; `endOffset` is the input offset just past its newline. */
  line(buf: Buffer, start: number, end: number, endOffset: number): void;
  /** A line longer than the limit was dropped (its bytes are consumed, never held whole). */
  oversized(endOffset: number): void;
}

export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

/** Newlines in `buf[from, to)`: how many lines a reader moves on (or back) between two offsets. */
export function newlinesIn(buf: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = buf.indexOf(10, from); i >= 0 && i < to; i = buf.indexOf(10, i + 1)) n++;
  return n;
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];

/**
 * Splits a byte stream into lines and knows the exact input offset after each one, which is
 * what checkpoints store. Lines inside a chunk are handed over as ranges of that chunk (no
 * copy, no decoding); only a line that spans two chunks is assembled in a carry buffer. A
 * line over `maxLineBytes` is discarded up to its newline and reported once as oversized.
 * A UTF-8 byte order mark at the input's first byte is not text and is dropped.
 */
export class LineReader {
  private carry: Buffer = Buffer.allocUnsafe(0);
  private carryLen = 0;
  private discarding = false;
  /** Input offset of the first byte not yet part of a complete line. */
  private consumed: number;
  private received: number;
  /** Bytes of a byte order mark matched at the input's start so far (-1: decided). */
  private bomMatched: number;

  constructor(
    private readonly handler: LineHandler,
    startOffset = 0,
    private readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES,
  ) {
    this.consumed = startOffset;
    this.received = startOffset;
    this.bomMatched = startOffset === 0 ? 0 : -1;
  }

  /** Offset just past the last complete line handed over. */
  get offset(): number {
    return this.consumed;
  }

  /** Bytes held because their line has no newline yet. */
  get pendingBytes(): number {
    return this.received - this.consumed;
  }

  write(chunk: Buffer): void {
    const base = this.received;
    let start = this.bomMatched < 0 ? 0 : this.skipByteOrderMark(chunk);
    this.received += chunk.length;
    const h = this.handler;
    if (this.carryLen > 0 || this.discarding) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) {
        this.hold(chunk, start, chunk.length);
        return;
      }
      const endOffset = base + nl + 1;
      if (this.discarding) {
        this.discarding = false;
        this.consumed = endOffset;
        h.oversized(endOffset);
      } else if (this.carryLen + (nl - start) > this.maxLineBytes) {
        this.carryLen = 0;
        this.consumed = endOffset;
        h.oversized(endOffset);
      } else {
        this.hold(chunk, start, nl);
        const len = this.carryLen;
        this.carryLen = 0;
        this.consumed = endOffset;
        h.line(this.carry, 0, len > 0 && this.carry[len - 1] === 13 ? len - 1 : len, endOffset);
      }
      start = nl + 1;
    }
    const max = this.maxLineBytes;
    let pos = start;
    const len = chunk.length;
    while (pos < len) {
      const nl = chunk.indexOf(10, pos);
      if (nl < 0) break;
      const endOffset = base + nl + 1;
      this.consumed = endOffset;
      if (nl - pos > max) h.oversized(endOffset);
      else h.line(chunk, pos, nl > pos && chunk[nl - 1] === 13 ? nl - 1 : nl, endOffset);
      pos = nl + 1;
    }
    if (pos < len) this.hold(chunk, pos, len);
  }

  /**
   * End of input. Returns the unterminated last line's length in bytes (0 when there is
   * none): a writer cut off mid-line. Its bytes are not consumed, so a later read of the
   * completed line starts at its beginning.
   */
  end(): number {
    const pending = this.received - this.consumed;
    this.carryLen = 0;
    this.discarding = false;
    return pending;
  }

  /**
   * How many bytes at the start of `chunk` complete a byte order mark at the input's start
   * (the mark may come in pieces: its first bytes are held like text until it is complete).
   */
  private skipByteOrderMark(chunk: Buffer): number {
    let k = 0;
    while (k < chunk.length && this.bomMatched + k < 3 && chunk[k] === UTF8_BOM[this.bomMatched + k]) k++;
    if (this.bomMatched + k === 3) {
      this.bomMatched = -1;
      this.carryLen = 0; // the mark's first bytes, held from earlier chunks
      return k;
    }
    this.bomMatched = k === chunk.length ? this.bomMatched + k : -1;
    return 0;
  }

  private hold(chunk: Buffer, from: number, to: number): void {
    if (this.discarding) return;
    const n = to - from;
    if (this.carryLen + n > this.maxLineBytes) {
      this.carryLen = 0;
      this.discarding = true;
      return;
    }
    if (this.carryLen + n > this.carry.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.carryLen + n, this.carry.length * 2, 4096));
      this.carry.copy(grown, 0, 0, this.carryLen);
      this.carry = grown;
    }
    chunk.copy(this.carry, this.carryLen, from, to);
    this.carryLen += n;
  }
}
