import type { LineKind } from '../../core/events.js';
import { detectFormat } from './detect-format.js';
import { isJsonLogRecord } from './docker-json.js';
import { JsonDocuments } from './json-documents.js';
import { SNIFF_BYTES, sniffShape } from './json-sniff.js';
import { DEFAULT_MAX_LINE_BYTES, LineReader, newlinesIn, type LineHandler } from './line-reader.js';
import { unwrapperFor, type InputFormat, type LineFormat, type Unwrapper } from './unwrap.js';
import { WallClock } from './wall-clock.js';
import { isLog4jStart } from './wrapper-fields.js';

/**
 * Receives unwrapped log4j lines as bytes. `resume` is where a restarted reader must begin
 * so that this record is not read again and nothing after it is missed; `lineNo` is the
 * physical line (of the input) the record ended on. `podAt`..`podEnd` (in `buf`), when given,
 * are the names an output that interleaves several pods' lines put before this one (stern's
 * `<pod> <container>`, kubectl's `pod/<pod>/<container>`): thread names repeat from pod to pod.
 */
export interface RecordHandler {
  record(buf: Buffer, start: number, end: number, resume: number, lineNo: number, podAt?: number, podEnd?: number): void;
  /** A line that is not a record: bad input (malformed, oversized, truncated...) or a blank line. */
  skip(kind: LineKind, resume: number, lineNo: number): void;
}

/**
 * Bytes of one input -> log4j records: splits lines (exact offsets, oversize guard),
 * recognises the wrapper (plain, docker json-file, CRI, `kubectl logs --timestamps` or `--prefix`, stern) from the
 * first line that shows one (lines no wrapper claims and that start no log4j event, before it,
 * are read as they are) and unwraps it. Blank lines before the first record are not records.
 * An input that starts with JSON is first looked at (up to its first value, at most 64 KiB)
 * to tell NDJSON lines (docker, Loki) from JSON documents (Elasticsearch/OpenSearch exports,
 * log4j2 JSON layouts), which `JsonDocuments` reads as a stream instead of lines; lines
 * rebuilt from JSON events are written in `timeZone`.
 */
export class RecordDecoder implements LineHandler {
  private readonly reader: LineReader;
  private unwrapper: Unwrapper | null;
  private lineFormat: LineFormat | null;
  /** The wrapper the first JSON value showed (docker, Loki), used from the first non-blank line. */
  private sniffed: LineFormat | null = null;
  /** Lines read as they are while none showed the wrapper (see `line`). */
  private undecided = 0;
  /** The input's first bytes while its shape is not decided (null once it is). */
  private head: Buffer | null;
  private documents: JsonDocuments | null = null;
  /** Physical lines read so far in this input (numbering continues from the checkpoint). */
  lineNo: number;

  constructor(
    private readonly out: RecordHandler,
    private readonly startOffset = 0,
    startLineNo = 0,
    private readonly maxLineBytes?: number,
    format: InputFormat | null = null,
    private readonly timeZone = 'UTC',
  ) {
    this.reader = new LineReader(this, startOffset, maxLineBytes);
    this.lineNo = startLineNo;
    const given = format === null || !isLineFormat(format) ? null : format;
    this.lineFormat = given;
    this.unwrapper = given === null ? null : unwrapperFor(given, out, maxLineBytes);
    this.head = given === null ? Buffer.alloc(0) : null;
  }

  get format(): InputFormat | null {
    return this.documents !== null ? this.documents.format : this.lineFormat;
  }

  write(chunk: Buffer): void {
    if (this.documents !== null) return this.documents.write(chunk);
    if (this.head !== null) return this.look(chunk, false);
    this.reader.write(chunk);
  }

  /** Offset just past the last complete line (or JSON record). */
  get offset(): number {
    return this.documents !== null ? this.documents.offset : this.reader.offset;
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
    if (this.head !== null) this.look(Buffer.alloc(0), true);
    if (this.documents !== null) return this.documents.end();
    const pending = this.reader.end();
    if (pending > 0) this.out.skip('truncated', this.reader.offset, this.lineNo);
    this.unwrapper?.finish(this.lineNo);
    return pending;
  }

  line(buf: Buffer, start: number, end: number, endOffset: number): void {
    this.lineNo++;
    if (this.unwrapper === null) {
      if (isBlank(buf, start, end)) return this.out.skip('continuation', endOffset, this.lineNo);
      let format = this.undecided >= MAX_UNDECIDED_LINES ? 'plain' : (this.sniffed ?? detectFormat(buf, start, end));
      // A line that starts with `{` but is no JSON log record (a JSON value OpenUnison printed
      // in a plain log, binary noise) claims nothing: taken for docker, it made every line of
      // a plain log malformed.
      if ((format === 'docker' || format === 'loki') && !isJsonLogRecord(buf, start, end)) format = 'plain';
      // A line no wrapper claims and that starts no log4j event (stern's notices of the pods it
      // follows, a stack trace or the JVM's banner before the first event) does not decide: it
      // is read as it is, as plain text would be, and a later line decides (within a bound).
      if (format === 'plain' && !startsLog4jEvent(buf, start, end) && this.undecided < MAX_UNDECIDED_LINES) {
        this.undecided++;
        this.lineFormat = 'plain';
        return this.out.record(buf, start, end, endOffset, this.lineNo);
      }
      this.lineFormat = format;
      this.unwrapper = unwrapperFor(format, this.out, this.maxLineBytes);
    }
    this.unwrapper.line(buf, start, end, endOffset, this.lineNo);
  }

  oversized(endOffset: number): void {
    this.lineNo++;
    if (this.unwrapper === null) this.out.skip('oversized', endOffset, this.lineNo);
    else this.unwrapper.oversized(endOffset, this.lineNo);
  }

  /** Holds the first bytes until their shape is known, then hands them to the right reader. */
  private look(chunk: Buffer, eof: boolean): void {
    const head = this.head!.length === 0 ? chunk : Buffer.concat([this.head!, chunk]);
    const shape = sniffShape(head, this.startOffset, eof);
    if (shape === null) {
      this.head = Buffer.from(head); // the caller may reuse its chunk
      return;
    }
    this.head = null;
    if (shape.kind === 'documents') {
      const clock = new WallClock(this.timeZone);
      // A response's envelope before its records' `[` is passed over (json-sniff.ts): reading starts on that `[`'s line.
      const skip = shape.skip ?? 0;
      const lineNo = skip === 0 ? this.lineNo : this.lineNo + newlinesIn(head, 0, skip) + 1;
      const max = this.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
      this.documents = new JsonDocuments(this.out, this.startOffset + skip, lineNo, max, clock, shape.resume);
      // In pieces no larger than a record may be: the reader checks a record's size at the end
      // of each write, and the head held while its shape was undecided can be 64 KiB and more.
      const rest = skip === 0 ? head : head.subarray(skip);
      const piece = Math.max(1, Math.min(max, SNIFF_BYTES));
      for (let at = 0; at < rest.length; at += piece) this.documents.write(rest.subarray(at, at + piece));
      return;
    }
    this.sniffed = shape.wrapper;
    this.reader.write(head);
  }
}

/** Lines read before the wrapper is decided at most: past them, the input is plain text. */
const MAX_UNDECIDED_LINES = 1000;

/** Whether the line starts like a log4j event (after any indentation). */
function startsLog4jEvent(buf: Buffer, start: number, end: number): boolean {
  let p = start;
  while (p < end && (buf[p] === 32 || buf[p] === 9)) p++;
  return isLog4jStart(buf, p, end);
}

const LINE_FORMATS: readonly string[] = ['plain', 'docker', 'cri', 'kubectl', 'kubectl-prefix', 'stern', 'loki'] satisfies LineFormat[];
function isLineFormat(f: InputFormat): f is LineFormat {
  return LINE_FORMATS.includes(f);
}

function isBlank(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}
