import { StringDecoder } from 'node:string_decoder';
import { jsonParser, type Token } from 'stream-json/core/parser.js';
import type { DocumentFormat } from './export-record.js';
import { RecordEmitter } from './json-emitter.js';
import { RecordTokens } from './json-records.js';
import { StringBytes } from './json-strings.js';
import type { RecordHandler } from './record-decoder.js';
import type { WallClock } from './wall-clock.js';

const enum Mode {
  /** Bytes go to the parser. */
  Parse,
  /** A value over the size limit: its bytes are passed over up to its end. */
  Skip,
  /** Started inside an array and left it: passing over the rest of its document. */
  Drain,
  /** Broken JSON: passing over bytes up to a line that starts a new value. */
  Resync,
}

/** Token depths after the closers that can end a record (a top-level value, an element of a top-level array, a hit). */
const CUT_DEPTH = [true, true, false, true];

/**
 * JSON exports as a stream of records: Elasticsearch/OpenSearch `_search` responses and scroll
 * dumps (one or several documents, pretty or not, of any size), NDJSON of hits, log4j2 JSON
 * layouts (one event per line, pretty-printed events, or a complete array). stream-json's
 * parser tokenises the text and `RecordTokens` picks the records out; a byte-level framer
 * beside it tracks nesting and strings, because checkpoints need byte offsets and the parser
 * gives none. The parser is fed up to each closer that can end a record, so a record is known
 * complete exactly at its last byte: its resume offset is just past that byte, and its line
 * number is the physical line of that byte.
 *
 * A restart at such an offset may begin inside an array (the rest of a response's hits): the
 * first byte is then `,` or `]`, and the decoder parses the array's remaining elements as
 * records, then passes over the rest of that document up to the next top-level value.
 *
 * Memory stays that of one record: a record larger than the line limit is passed over at the
 * byte level (skipped as oversized) and a new parser is put back into the record's context.
 * Broken JSON is skipped up to the next line that starts with `{` or `[` (malformed).
 */
export class JsonDocuments {
  private parse = newParser();
  private text = new StringDecoder('utf8');
  private readonly emit: RecordEmitter;
  private readonly tokens: RecordTokens;
  /** Input offset just past the last byte written. */
  private received: number;
  private depth = 0;
  private readonly str = new StringBytes();
  private stringAt = 0;
  /** Offsets of the openers of the containers open at each depth. */
  private readonly openAt: number[] = [];
  /** The physical line of the byte being read. */
  private line: number;
  private mode = Mode.Parse;
  private skipDepth = 0;
  /** Drain: the last significant byte closed a container (a value after it is a new document). */
  private afterCloser = false;
  /** Started inside an array, not yet left. */
  private inResumedArray: boolean;
  /** Resync: the previous byte was a newline, at `resyncAt` on line `resyncLine`. */
  private atLineStart = false;
  private resyncAt = 0;
  private resyncLine = 0;

  constructor(
    out: RecordHandler,
    startOffset: number,
    startLineNo: number,
    private readonly maxRecordBytes: number,
    clock: WallClock,
    /** The input resumes inside an array (its first byte is `,` or `]`). */
    resumedInArray: boolean,
  ) {
    this.emit = new RecordEmitter(out, clock, startOffset);
    this.tokens = new RecordTokens(this.emit);
    this.received = startOffset;
    // A restart begins right after a record's last byte, on the line that byte was on.
    this.line = startOffset === 0 ? 1 : Math.max(startLineNo, 1);
    this.inResumedArray = resumedInArray;
    if (resumedInArray) {
      this.depth = 1;
      this.openAt[1] = startOffset;
      this.feedText('[null ', true);
    }
  }

  /** Offset just past the last record or skip handed on. */
  get offset(): number {
    return this.emit.lastResume;
  }

  /** What the records are (known from the first one). */
  get format(): DocumentFormat | null {
    return this.emit.format;
  }

  write(chunk: Buffer): void {
    const base = this.received;
    this.received += chunk.length;
    let i = base === 0 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf ? 3 : 0;
    while (i < chunk.length) i = this.scan(chunk, base, i);
  }

  /** End of input: a value cut off by the end is truncated; returns the bytes not consumed. */
  end(): number {
    if (this.mode === Mode.Drain || (this.mode === Mode.Parse && this.depth === 0 && !this.str.inside)) return 0;
    const resume = this.mode === Mode.Resync && this.atLineStart ? this.resyncAt : this.emit.lastResume;
    this.emit.skip(this.mode === Mode.Resync ? 'malformed' : 'truncated', resume, this.line);
    return this.received - resume;
  }

  /**
   * Reads `chunk` from `i` to its end (or to where reading restarts after broken JSON, whose
   * index it returns).
   */
  private scan(chunk: Buffer, base: number, i: number): number {
    const n = chunk.length;
    let feedFrom = i;
    while (i < n) {
      if (this.mode === Mode.Resync) {
        const at = this.findResync(chunk, base, i);
        if (at < 0) return n;
        i = feedFrom = at;
        continue;
      }
      if (this.str.inside) {
        i = this.str.skip(chunk, i);
        if (!this.str.inside && this.mode === Mode.Skip && this.depth === this.skipDepth) {
          this.endSkip(base + i);
          feedFrom = i;
        }
        continue;
      }
      const c = chunk[i];
      switch (c) {
        case 34: // "
          this.str.inside = true;
          this.stringAt = base + i;
          this.afterCloser = false;
          break;
        case 10:
          this.line++;
          break;
        case 123: // {
        case 91: // [
          if (this.mode === Mode.Drain && this.afterCloser) {
            // A value right after a closed container is a new top-level value.
            this.mode = Mode.Parse;
            this.depth = 0;
            feedFrom = i;
          }
          this.depth++;
          if (this.depth < 8) this.openAt[this.depth] = base + i;
          this.afterCloser = false;
          break;
        case 125: // }
        case 93: // ]
          this.depth--;
          this.afterCloser = true;
          if (this.mode === Mode.Parse) {
            if (this.depth < 0) this.startResync();
            else if (CUT_DEPTH[this.depth]) {
              this.feed(chunk, feedFrom, i + 1, base + i + 1);
              feedFrom = i + 1;
              if (this.inResumedArray && this.depth === 0 && this.mode === Mode.Parse) {
                this.inResumedArray = false;
                this.mode = Mode.Drain;
              }
            }
          } else if (this.mode === Mode.Skip && this.depth === this.skipDepth) {
            this.endSkip(base + i + 1);
            feedFrom = i + 1;
          }
          break;
        case 32:
        case 9:
        case 13:
          break;
        default:
          this.afterCloser = false;
      }
      i++;
    }
    if (this.mode !== Mode.Parse || this.overLimit()) return n;
    // The rest of the chunk goes to the parser now, so no bytes are held here.
    this.feed(chunk, feedFrom, n, this.emit.lastResume);
    if (!this.resyncing()) return n;
    // Broken JSON in that rest: look for a new start inside it, counting its lines again.
    for (let p = chunk.indexOf(10, feedFrom); p >= 0; p = chunk.indexOf(10, p + 1)) this.line--;
    const at = this.findResync(chunk, base, feedFrom);
    return at < 0 ? n : at;
  }

  /**
   * Resync: finds a newline followed by `{` or `[`, counting lines; returns the index of that
   * byte (parsing starts again there), or -1 when the chunk ends first.
   */
  private findResync(chunk: Buffer, base: number, i: number): number {
    const n = chunk.length;
    while (i < n) {
      if (this.atLineStart) {
        this.atLineStart = false;
        const c = chunk[i];
        if (c === 123 || c === 91) {
          this.finishResync();
          return i;
        }
      }
      const nl = chunk.indexOf(10, i);
      if (nl < 0) return -1;
      this.resyncAt = base + nl;
      this.resyncLine = this.line;
      this.line++;
      this.atLineStart = true;
      i = nl + 1;
    }
    return -1;
  }

  /** Parses `chunk[from, to)`; outcomes resume at `resume`. */
  private feed(chunk: Buffer, from: number, to: number, resume: number): void {
    if (to <= from) return;
    this.emit.resume = resume;
    this.emit.line = this.line;
    this.feedText(this.text.write(chunk.subarray(from, to)), false);
  }

  private feedText(text: string, synthetic: boolean): void {
    let out;
    try {
      out = this.parse(text);
    } catch {
      this.startResync();
      return;
    }
    if (typeof out === 'symbol') return;
    this.tokens.synthetic = synthetic;
    const tokens: Token[] = out.values;
    for (let k = 0; k < tokens.length; k++) this.tokens.consume(tokens[k]);
    this.tokens.synthetic = false;
  }

  /**
   * At the end of a chunk: whether the record being read (or a string outside any record) has
   * grown past the limit; if so its bytes are passed over from now on.
   */
  private overLimit(): boolean {
    const rd = this.tokens.recordDepth;
    if (rd > 0 && this.received - this.openAt[rd] > this.maxRecordBytes) {
      this.startSkip(rd - 1);
      return true;
    }
    if (this.str.inside && this.received - this.stringAt > this.maxRecordBytes) {
      // A giant string outside a record: its whole top-level value is passed over.
      this.startSkip(rd > 0 ? rd - 1 : 0);
      return true;
    }
    return false;
  }

  private startSkip(depth: number): void {
    this.mode = Mode.Skip;
    this.skipDepth = depth;
  }

  /** The skipped value ended at `offset`: a new parser, put back in the value's context. */
  private endSkip(offset: number): void {
    this.emit.skip('oversized', offset, this.line);
    const context = this.skipDepth === 0 ? '' : this.tokens.context();
    this.restart();
    if (context !== '') this.feedText(context, true);
  }

  /** Whether broken JSON is being passed over (a method: feeding changes the mode). */
  private resyncing(): boolean {
    return this.mode === Mode.Resync;
  }

  private startResync(): void {
    this.mode = Mode.Resync;
    this.atLineStart = false;
  }

  private finishResync(): void {
    this.emit.skip('malformed', this.resyncAt, this.resyncLine);
    this.line = this.resyncLine + 1;
    this.inResumedArray = false;
    this.depth = 0;
    this.str.reset();
    this.restart();
  }

  private restart(): void {
    this.parse = newParser();
    this.text = new StringDecoder('utf8');
    this.tokens.reset();
    this.mode = Mode.Parse;
  }

}

function newParser() {
  return jsonParser({ jsonStreaming: true, streamValues: false });
}
