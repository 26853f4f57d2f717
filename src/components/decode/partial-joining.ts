import type { RecordHandler } from './record-decoder.js';
import type { Unwrapper } from './unwrap.js';

/** A record being joined from partial fragments (one per stream). */
class Partial {
  buf: Buffer = Buffer.allocUnsafe(1024);
  len = 0;
  active = false;
  /** Grew past the limit: its bytes are let go, the rest ignored until its end. */
  dropped = false;
  startOffset = 0;

  append(src: Buffer, start: number, end: number, max: number): void {
    if (this.dropped) return;
    const n = end - start;
    if (this.len + n > max) {
      this.dropped = true;
      this.len = 0;
      return;
    }
    if (this.len + n > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.len + n, this.buf.length * 2));
      this.buf.copy(grown, 0, 0, this.len);
      this.buf = grown;
    }
    src.copy(this.buf, this.len, start, end);
    this.len += n;
  }
}

/**
 * Joins a wrapper's partial records (docker splits lines over 16 KiB, CRI marks them `P`) per
 * stream, bounded by the line limit. While a partial record is pending, records of the other
 * stream report the partial's start as their resume offset, so a restart re-reads it.
 */
export abstract class PartialJoining implements Unwrapper {
  stamp: string | null = null;
  private readonly streams = [new Partial(), new Partial()];
  private lineStart = 0;

  constructor(
    protected readonly out: RecordHandler,
    private readonly maxLineBytes: number,
  ) {}

  abstract line(buf: Buffer, start: number, end: number, endOffset: number, lineNo: number): void;

  oversized(endOffset: number, lineNo: number): void {
    this.out.skip('oversized', this.resumeOffset(endOffset), lineNo);
    this.lineStart = endOffset;
  }

  finish(lineNo: number): void {
    const resume = this.resumeOffset(Number.MAX_SAFE_INTEGER);
    for (const p of this.streams) {
      if (!p.active) continue;
      this.out.skip('truncated', resume, lineNo);
      p.active = false;
      p.len = 0;
    }
  }

  /** One unwrapped fragment of `stream` (0 stdout, 1 stderr). */
  protected fragment(stream: number, buf: Buffer, start: number, end: number, complete: boolean, endOffset: number, lineNo: number): void {
    const lineStart = this.lineStart;
    this.lineStart = endOffset;
    const p = this.streams[stream];
    if (!complete) {
      if (!p.active) {
        p.active = true;
        p.dropped = false;
        p.len = 0;
        p.startOffset = lineStart;
      }
      p.append(buf, start, end, this.maxLineBytes);
      return;
    }
    if (p.active) {
      p.append(buf, start, end, this.maxLineBytes);
      p.active = false;
      const resume = this.resumeOffset(endOffset);
      if (p.dropped) this.out.skip('oversized', resume, lineNo);
      else this.out.record(p.buf, 0, p.len, resume, lineNo);
      p.len = 0;
      return;
    }
    this.out.record(buf, start, end, this.resumeOffset(endOffset), lineNo);
  }

  protected malformed(endOffset: number, lineNo: number): void {
    this.lineStart = endOffset;
    this.out.skip('malformed', this.resumeOffset(endOffset), lineNo);
  }

  protected blank(endOffset: number, lineNo: number): void {
    this.lineStart = endOffset;
    this.out.skip('continuation', this.resumeOffset(endOffset), lineNo);
  }

  private resumeOffset(endOffset: number): number {
    let offset = endOffset;
    for (const p of this.streams) if (p.active && p.startOffset < offset) offset = p.startOffset;
    return offset;
  }
}
