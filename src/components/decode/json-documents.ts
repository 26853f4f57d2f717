import { StringDecoder } from 'node:string_decoder';
import { jsonParser, type Token } from 'stream-json/core/parser.js';
import type { DocumentFormat } from './export-record.js';
import { RecordEmitter } from './json-emitter.js';
import { RecordTokens } from './json-records.js';
import { StringBytes } from './json-strings.js';
import { ArrayResync } from './element-resync.js';
import { hitsKeyBefore, isSpace, recordAt } from './native-record.js';
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
 * Broken JSON is skipped (malformed) up to the next line that starts with `{` or `[`, or,
 * inside an array of records, up to its next element that is a whole record (element-resync.ts).
 *
 * Most records never reach the parser: one that lies whole in a chunk right after the record
 * before it is parsed by `JSON.parse` (native-record.ts), and the cuts inside it are held back
 * until its end; when that fails the parser is fed the same pieces it would have had.
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
  /**
   * Input offset at which the parser was left just after a record (or before the first
   * value), with nothing fed since, and the depth of that record; -1 when it is not. From there
   * the next record, if all in one chunk, may be parsed natively (native-record.ts).
   */
  private cleanAt: number;
  private cleanDepth: number;
  /** Passing over broken JSON inside an array of records (element-resync.ts). */
  private readonly arrays: ArrayResync;
  /** Input offset of the last `{` opened as the `hits` object of a top-level object (a search response's). */
  private hitsObjectAt = -1;
  /** Inside such a record: the cuts the parser would have been fed at (index in the chunk, line). */
  private readonly cuts: number[] = [];
  /** After feedCuts: the index just past the last cut fed. */
  private cutsEnd = 0;

  constructor(
    out: RecordHandler,
    startOffset: number,
    startLineNo: number,
    private readonly maxRecordBytes: number,
    clock: WallClock,
    /** The input resumes inside an array (its first byte is `,` or `]`). */
    resumedInArray: boolean,
    /** Parse records natively where that cannot change the outcome (off: stream-json reads every byte, for tests). */
    private readonly native = true,
  ) {
    this.emit = new RecordEmitter(out, clock, startOffset);
    this.tokens = new RecordTokens(this.emit);
    this.arrays = new ArrayResync(maxRecordBytes, (v) => this.emit.holdsLine(v));
    this.received = startOffset;
    // A restart begins right after a record's last byte, on the line that byte was on.
    this.line = startOffset === 0 ? 1 : Math.max(startLineNo, 1);
    this.inResumedArray = resumedInArray;
    if (resumedInArray) {
      this.depth = 1;
      this.openAt[1] = startOffset;
      this.feedText('[null ', true);
    }
    this.cleanAt = startOffset;
    this.cleanDepth = resumedInArray ? 1 : 0;
  }

  /** Records parsed by the fast path (the rest went through stream-json). */
  nativeRecords = 0;

  /** Bytes scanned looking for the next record after broken JSON (bounded per chunk). */
  get resyncScanned(): number {
    return this.arrays.scanned;
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
    let base = this.received;
    this.received += chunk.length;
    let i = base === 0 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf ? 3 : 0;
    const recent = this.mode === Mode.Resync ? this.arrays.withTail(chunk) : null;
    if (recent !== null && recent.tailLength > 0) {
      // The next record may have begun in the last chunks' tail: look for it across them.
      const at = this.resyncAtElement(recent.bytes, base - recent.tailLength, 0, recent.lookTo, recent.tailLength);
      if (at >= 0) {
        chunk = recent.bytes;
        base -= recent.tailLength;
        i = at;
      }
    }
    while (i < chunk.length) i = this.scan(chunk, base, i);
    if (this.mode === Mode.Resync) this.arrays.keepTail(recent?.bytes ?? chunk);
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
    /** The next newline at or after the string being passed over (-1: none in this chunk; -2: not looked for yet). */
    let newline = -2;
    while (i < n) {
      if (this.mode === Mode.Resync) {
        const at = this.findResync(chunk, base, i);
        if (at < 0) return n;
        i = feedFrom = at;
        continue;
      }
      if (this.str.inside) {
        const from = i;
        i = this.str.skip(chunk, i);
        if (this.mode === Mode.Parse) {
          if (newline !== -1 && newline < from) newline = chunk.indexOf(10, from);
          // A JSON string holds no raw newline: a record cut short (a writer that died, a
          // shipper's size limit) ends there, and the next line may start the next record.
          if (newline >= 0 && newline < i) return this.brokenAtNewline(chunk, base, feedFrom, newline);
        }
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
          if (this.native && base + feedFrom === this.cleanAt && this.notRecord(chunk, i, c)) {
            // Not a record the fast path can read (an array, a search response whose hits are the records): the parser reads it.
            const failed = this.feedCuts(chunk, base, feedFrom);
            if (failed >= 0) return failed;
            feedFrom = this.cutsEnd;
            this.cleanAt = -1;
          }
          if (c === 123) {
            if (this.depth === 2 && hitsKeyBefore(chunk, i)) this.hitsObjectAt = base + i;
          } else if (this.mode === Mode.Parse && this.opensRecords(chunk, feedFrom, i)) {
            // The parser reads up to the array's `[` by itself: should its first record be
            // broken, it knows the array it was in and reading goes on at the next record.
            this.feed(chunk, feedFrom, i + 1, this.emit.lastResume);
            feedFrom = i + 1;
          }
          break;
        case 125: // }
        case 93: // ]
          this.depth--;
          this.afterCloser = true;
          if (this.mode === Mode.Parse) {
            if (this.native && base + feedFrom === this.cleanAt) {
              // A record the fast path may read whole: its cuts wait for its end.
              if (this.depth > this.cleanDepth) {
                if (CUT_DEPTH[this.depth]) this.cuts.push(i, this.line);
                break;
              }
              if (c === 125 && this.nativeRecord(chunk, base, feedFrom, i)) {
                feedFrom = i + 1;
                break;
              }
              const failed = this.feedCuts(chunk, base, feedFrom);
              if (failed >= 0) return failed;
              feedFrom = this.cutsEnd;
            }
            if (this.depth < 0) this.startResync();
            else if (CUT_DEPTH[this.depth]) {
              this.feed(chunk, feedFrom, i + 1, base + i + 1);
              feedFrom = i + 1;
              if (this.inResumedArray && this.depth === 0 && this.mode === Mode.Parse) {
                this.inResumedArray = false;
                this.mode = Mode.Drain;
              }
              const between = this.mode === Mode.Parse && this.tokens.betweenRecords(this.depth);
              this.cleanAt = between ? base + i + 1 : -1;
              this.cleanDepth = this.depth;
              if (between && this.depth > 0) this.arrays.noteArray(this.depth, this.tokens);
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
    if (this.cuts.length > 0) {
      const failed = this.feedCuts(chunk, base, feedFrom);
      if (failed >= 0) return failed;
      feedFrom = this.cutsEnd;
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
   * A string ran into a newline: broken JSON. What the parser would have read before the
   * string is fed (the cuts the fast path held back), then bytes are passed over from that
   * newline as after any broken piece. Returns where the scan goes on.
   */
  private brokenAtNewline(chunk: Buffer, base: number, feedFrom: number, newline: number): number {
    const failed = this.feedCuts(chunk, base, feedFrom);
    if (failed >= 0) return failed;
    this.str.reset();
    this.startResync();
    return newline;
  }

  /**
   * Resync: finds a newline followed by `{` or `[`, or, inside an array of records, the next
   * element that is a complete record (element-resync.ts), counting lines; returns the index
   * where parsing starts again, or -1 when the chunk ends first.
   */
  private findResync(chunk: Buffer, base: number, i: number): number {
    const n = chunk.length;
    if (this.arrays.takeFresh()) {
      // The broken piece itself may hold whole records after the damage (a stray `]` is only
      // noticed at the next cut): look there first, from the last record handed on.
      const from = Math.max(0, this.emit.lastResume - base);
      if (from < i) {
        const at = this.resyncAtElement(chunk, base, from, i, i);
        if (at >= 0) return at;
      }
    }
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
      const at = this.resyncAtElement(chunk, base, i, nl < 0 ? n : nl);
      if (at >= 0) return at;
      if (nl < 0) return -1;
      this.resyncAt = base + nl;
      this.resyncLine = this.line;
      this.line++;
      this.atLineStart = true;
      i = nl + 1;
    }
    return -1;
  }

  /**
   * The record closed at `chunk[close]`, parsed natively when it lies in this chunk right after
   * the previous record at its depth (the caller checked that nothing was fed since): handed on,
   * and the parser never sees its bytes (it stays just after a record). False: the parser must
   * read it.
   */
  private nativeRecord(chunk: Buffer, base: number, feedFrom: number, close: number): boolean {
    if (this.depth !== this.cleanDepth) return false;
    const open = this.openAt[this.depth + 1] - base;
    if (open < feedFrom) return false;
    const value = recordAt(chunk, feedFrom, open, close, this.depth > 0);
    if (value === null) return false;
    this.cuts.length = 0;
    this.nativeRecords++;
    this.emit.resume = this.cleanAt = base + close + 1;
    this.emit.line = this.line;
    this.emit.record(value);
    return true;
  }

  /**
   * Whether the `[` at `chunk[open]` (depth counted) opens an array of records: a top-level
   * array, or a search response's `hits.hits` (a `hits` array inside the `hits` object of a
   * top-level object: outside any record, so no cut of the fast path is pending).
   */
  private opensRecords(chunk: Buffer, feedFrom: number, open: number): boolean {
    // Nothing else before a top-level `[`: an outcome of those bytes would resume before the array.
    if (this.depth === 1) return onlySpace(chunk, feedFrom, open);
    return this.depth === 3 && this.hitsObjectAt === this.openAt[2] && hitsKeyBefore(chunk, open);
  }

  /** Opening a value the fast path would give up on at its end: a top-level array, or the `hits` object of a search response. */
  private notRecord(chunk: Buffer, open: number, c: number): boolean {
    if (this.cleanDepth !== 0) return false;
    return (this.depth === 1 && c === 91) || (this.depth === 2 && c === 123 && hitsKeyBefore(chunk, open));
  }

  /**
   * The fast path gave up on a record: the parser reads the bytes it held back in the pieces
   * it would have read them in (up to each cut, with that cut's line), so that it decides
   * exactly as without the fast path. Returns -1, with `cutsEnd` just past the last cut; or,
   * when a piece is broken JSON, the index just past its cut, where the scan starts again
   * (passing over bytes up to a new value, as after any broken piece).
   */
  private feedCuts(chunk: Buffer, base: number, from: number): number {
    const cuts = this.cuts;
    const line = this.line;
    for (let k = 0; k < cuts.length; k += 2) {
      const at = cuts[k];
      this.line = cuts[k + 1];
      this.feed(chunk, from, at + 1, base + at + 1);
      from = at + 1;
      if (this.mode !== Mode.Parse) {
        // Passing over bytes up to a new value starts just past that cut, on its line.
        cuts.length = 0;
        return from;
      }
    }
    this.line = line;
    cuts.length = 0;
    this.cutsEnd = from;
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
    this.cleanAt = -1;
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
    this.arrays.begin(this.tokens);
  }

  /**
   * Resync inside an array of records: the next element whose `{` lies in `chunk[i, to)`
   * and that is a whole record goes on the array after a malformed skip up to its comma (a
   * restart there reads the array's remaining elements). Returns the comma's index, where the
   * scan starts again with a parser put back inside the array, or -1.
   */
  private resyncAtElement(chunk: Buffer, base: number, i: number, to: number, lineAt = i): number {
    const el = this.arrays.find(chunk, i, to, Math.max(0, this.emit.lastResume - base));
    if (el === null) return -1;
    // `this.line` is the line at `lineAt`; the comma may be on an earlier one (pretty-printed arrays, a chunk's tail).
    let line = this.line;
    for (let p = chunk.indexOf(10, el.comma); p >= 0 && p < lineAt; p = chunk.indexOf(10, p + 1)) line--;
    this.emit.skip('malformed', base + el.comma, line);
    this.line = line;
    this.str.reset();
    this.restart();
    this.feedText(this.arrays.context, true);
    this.depth = this.arrays.depth;
    this.cleanAt = base + el.comma;
    this.cleanDepth = this.arrays.depth;
    return el.comma;
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

function onlySpace(chunk: Buffer, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (!isSpace(chunk[k])) return false;
  return true;
}
