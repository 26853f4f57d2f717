import type { LineKind } from '../../core/events.js';
import { LineReader, type LineHandler } from './line-reader.js';
import { detectFormat, unwrapperFor, type InputFormat, type Unwrapper } from './unwrap.js';

/**
 * Receives unwrapped log4j lines as bytes. `resume` is where a restarted reader must begin
 * so that this record is not read again and nothing after it is missed; `lineNo` is the
 * physical line (of the input) the record ended on.
 */
export interface RecordHandler {
  record(buf: Buffer, start: number, end: number, resume: number, lineNo: number): void;
  /** A line that is not a record: bad input (malformed, oversized, truncated...) or a blank line. */
  skip(kind: LineKind, resume: number, lineNo: number): void;
}

/**
 * Bytes of one input -> log4j records: splits lines (exact offsets, oversize guard),
 * recognises the wrapper (plain, docker json-file, CRI, `kubectl logs --timestamps`) from the
 * first non-empty line and unwraps it. Blank lines before the first record are not records.
 */
export class RecordDecoder implements LineHandler {
  private readonly reader: LineReader;
  private unwrapper: Unwrapper | null;
  format: InputFormat | null;
  /** Physical lines read so far in this input (numbering continues from the checkpoint). */
  lineNo: number;

  constructor(
    private readonly out: RecordHandler,
    startOffset = 0,
    startLineNo = 0,
    private readonly maxLineBytes?: number,
    format: InputFormat | null = null,
  ) {
    this.reader = new LineReader(this, startOffset, maxLineBytes);
    this.lineNo = startLineNo;
    this.format = format;
    this.unwrapper = format === null ? null : unwrapperFor(format, out, maxLineBytes);
  }

  write(chunk: Buffer): void {
    this.reader.write(chunk);
  }

  /** Offset just past the last complete line. */
  get offset(): number {
    return this.reader.offset;
  }

  /** The kubelet's time stamp of the last record (kubectl/CRI wrappers), for stream positions. */
  get stamp(): string | null {
    return this.unwrapper?.stamp ?? null;
  }

  /**
   * End of input: an unterminated last line is skipped as truncated and not consumed (not
   * numbered either: the checkpoint's line number must match its offset), and a wrapper's
   * partial record that never completed is skipped as truncated. Returns the bytes not consumed.
   */
  end(): number {
    const pending = this.reader.end();
    if (pending > 0) this.out.skip('truncated', this.reader.offset, this.lineNo);
    this.unwrapper?.finish(this.lineNo);
    return pending;
  }

  line(buf: Buffer, start: number, end: number, endOffset: number): void {
    this.lineNo++;
    if (this.unwrapper === null) {
      if (isBlank(buf, start, end)) return this.out.skip('continuation', endOffset, this.lineNo);
      this.format = detectFormat(buf, start, end);
      this.unwrapper = unwrapperFor(this.format, this.out, this.maxLineBytes);
    }
    this.unwrapper.line(buf, start, end, endOffset, this.lineNo);
  }

  oversized(endOffset: number): void {
    this.lineNo++;
    if (this.unwrapper === null) this.out.skip('oversized', endOffset, this.lineNo);
    else this.unwrapper.oversized(endOffset, this.lineNo);
  }
}

function isBlank(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}
