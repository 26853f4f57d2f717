import type { DocumentFormat } from './export-record.js';
import { FastPath } from './fast-path.js';
import { RecordEmitter } from './json-emitter.js';
import { StringBytes } from './json-strings.js';
import { RecordArrays } from './record-arrays.js';
import type { ResumePoint } from './json-sniff.js';
import type { RecordHandler } from './record-decoder.js';
import { Resync } from './resync.js';
import { SizeLimit } from './size-limit.js';
import { TokenFeed } from './token-feed.js';
import type { WallClock } from './wall-clock.js';

const enum Mode {
  /** Bytes go to the parser. */
  Parse,
  /** A value over the size limit: its bytes are passed over up to its end. */
  Skip,
  /** Started inside an array and left it: passing over the rest of its document. */
  Drain,
  /** Broken JSON: passing over bytes up to where a new record starts (resync.ts). */
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
 * byte level and skipped as oversized (size-limit.ts). Broken JSON is skipped as malformed up
 * to where a new record starts (resync.ts). Most records never reach the parser: one that
 * lies whole in a chunk right after the record before it is parsed by `JSON.parse`
 * (fast-path.ts).
 */
export class JsonDocuments {
  /** stream-json's parser and the record tokens behind it. */
  private readonly parser: TokenFeed;
  private readonly emit: RecordEmitter;
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
  /** Skip: the record over the size limit and where passing over it ends. */
  private readonly limit: SizeLimit;
  /** Drain: the last significant byte closed a container (a value after it is a new document). */
  private afterCloser = false;
  /** Started inside an array, not yet left. */
  private inResumedArray: boolean;
  /** Where reading starts again after broken JSON. */
  private readonly resync: Resync;
  /** Records read by `JSON.parse`, and the cuts held back meanwhile. */
  private readonly fast: FastPath;
  /** Which `[` opens an array of records. */
  private readonly arrays = new RecordArrays();

  constructor(
    out: RecordHandler,
    startOffset: number,
    startLineNo: number,
    maxRecordBytes: number,
    clock: WallClock,
    /** Where the input resumes (json-sniff.ts). */
    resume: ResumePoint,
    /** Parse records natively where that cannot change the outcome (off: stream-json reads every byte, for tests). */
    native = true,
  ) {
    this.emit = new RecordEmitter(out, clock, startOffset);
    this.parser = new TokenFeed(this.emit);
    this.resync = new Resync(maxRecordBytes, this.emit);
    this.fast = new FastPath(native, this.emit);
    this.limit = new SizeLimit(maxRecordBytes);
    this.received = startOffset;
    // A restart begins right after a record's last byte, on the line that byte was on.
    this.line = startOffset === 0 ? 1 : Math.max(startLineNo, 1);
    // Resumed in an array of records or at its `[`: what follows the array is passed over.
    this.inResumedArray = resume !== 'start';
    const inArray = resume === 'in-array';
    if (inArray) {
      this.depth = 1;
      this.openAt[1] = startOffset;
      this.feedContext('[null ');
    }
    this.fast.settle(startOffset, inArray ? 1 : 0);
  }

  /** Records parsed by the fast path (the rest went through stream-json). */
  get nativeRecords(): number {
    return this.fast.records;
  }

  /** Bytes scanned looking for the next record after broken JSON (bounded per chunk). */
  get resyncScanned(): number {
    return this.resync.scanned;
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
    const recent = this.mode === Mode.Resync ? this.resync.across(chunk, base, this.line) : null;
    if (recent !== null && recent.at >= 0) {
      chunk = recent.bytes;
      base -= recent.tailLength;
      i = this.resumeAt(base, recent.at);
    }
    while (i < chunk.length) i = this.scan(chunk, base, i);
    if (this.mode === Mode.Resync) this.resync.keepTail(recent?.bytes ?? chunk);
  }

  /** End of input: a value cut off by the end is truncated; returns the bytes not consumed. */
  end(): number {
    if (this.mode === Mode.Drain || (this.mode === Mode.Parse && this.depth === 0 && !this.str.inside)) return 0;
    const resume = this.mode === Mode.Resync ? this.resync.endResume() : this.emit.lastResume;
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
        if (!this.str.inside && this.mode === Mode.Skip && this.depth === this.limit.depth) {
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
          if (this.fast.from(base + feedFrom) && this.fast.givesUpOn(chunk, i, c, this.depth)) {
            // Not a record the fast path can read (an array, a search response whose hits are the records): the parser reads it.
            const failed = this.feedCuts(chunk, base, feedFrom);
            if (failed >= 0) return failed;
            feedFrom = this.fast.cutsEnd;
            this.fast.fed();
          }
          if (c === 123) this.arrays.openObject(chunk, i, base + i, this.depth);
          else if (this.mode === Mode.Parse && this.arrays.opens(chunk, feedFrom, i, this.depth, this.openAt[2])) {
            // The parser reads up to the array's `[` by itself (record-arrays.ts).
            this.feed(chunk, feedFrom, i + 1, this.emit.lastResume);
            feedFrom = i + 1;
          }
          break;
        case 125: // }
        case 93: // ]
          this.depth--;
          this.afterCloser = true;
          if (this.mode === Mode.Parse) {
            if (this.fast.from(base + feedFrom)) {
              // A record the fast path may read whole: its cuts wait for its end.
              if (this.depth > this.fast.depth) {
                if (CUT_DEPTH[this.depth]) this.fast.hold(i, this.line);
                break;
              }
              if (c === 125 && this.fast.read(chunk, base, feedFrom, this.openAt[this.depth + 1], i, this.depth, this.line)) {
                feedFrom = i + 1;
                break;
              }
              const failed = this.feedCuts(chunk, base, feedFrom);
              if (failed >= 0) return failed;
              feedFrom = this.fast.cutsEnd;
            }
            if (this.depth < 0) this.startResync();
            else if (CUT_DEPTH[this.depth]) {
              this.feed(chunk, feedFrom, i + 1, base + i + 1);
              feedFrom = i + 1;
              if (this.inResumedArray && this.depth === 0 && this.mode === Mode.Parse) {
                this.inResumedArray = false;
                this.mode = Mode.Drain;
              }
              const between = this.mode === Mode.Parse && this.parser.tokens.betweenRecords(this.depth);
              this.fast.settle(between ? base + i + 1 : -1, this.depth);
              if (between && this.depth > 0) this.resync.noteArray(this.depth, this.parser.tokens);
            }
          } else if (this.mode === Mode.Skip && this.depth === this.limit.depth) {
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
    if (this.fast.holding) {
      const failed = this.feedCuts(chunk, base, feedFrom);
      if (failed >= 0) return failed;
      feedFrom = this.fast.cutsEnd;
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
   * Resync: the index where parsing starts again after broken JSON, with a new parser in
   * place (resync.ts), counting lines; -1 when the chunk ends first.
   */
  private findResync(chunk: Buffer, base: number, i: number): number {
    const at = this.resync.find(chunk, base, i, this.line);
    this.line = this.resync.line;
    return at < 0 ? at : this.resumeAt(base, at);
  }

  /**
   * Resync found where parsing starts again, `chunk[at]`, and handed the malformed skip on: a
   * new parser, at a new top-level value or put back inside the array of records.
   */
  private resumeAt(base: number, at: number): number {
    this.line = this.resync.line;
    this.str.reset();
    if (this.resync.inArray) {
      this.restart(this.resync.context);
      this.depth = this.resync.depth;
      this.fast.settle(base + at, this.resync.depth);
    } else {
      this.restart();
      this.inResumedArray = false;
      this.depth = 0;
    }
    return at;
  }

  /**
   * The fast path gave up on a record: the parser reads the pieces it held back (fast-path.ts).
   * Returns -1, or the index where the scan starts again after a broken piece.
   */
  private feedCuts(chunk: Buffer, base: number, from: number): number {
    return this.fast.replay(from, (start, to, line) => {
      this.feed(chunk, start, to, base + to, line);
      if (this.mode === Mode.Parse) return true;
      // Bytes are passed over from just past the broken piece's cut, on its line.
      this.line = line;
      return false;
    });
  }

  /** Parses `chunk[from, to)`; outcomes resume at `resume`, on `line`. */
  private feed(chunk: Buffer, from: number, to: number, resume: number, line = this.line): void {
    if (to <= from) return;
    this.emit.resume = resume;
    this.emit.line = line;
    this.fast.fed();
    if (!this.parser.write(chunk, from, to)) this.startResync();
  }

  /** Puts the parser back into a context (RecordTokens.context). */
  private feedContext(text: string): void {
    this.fast.fed();
    if (!this.parser.writeContext(text)) this.startResync();
  }

  /** At the end of a chunk: whether a value has grown past the size limit (size-limit.ts); if so its bytes are passed over from now on. */
  private overLimit(): boolean {
    const rd = this.parser.tokens.recordDepth;
    if (!this.limit.exceeded(this.received, rd, rd > 0 ? this.openAt[rd] : 0, this.str.inside ? this.stringAt : -1)) return false;
    this.mode = Mode.Skip;
    return true;
  }

  /** The skipped value ended at `offset`: a new parser, put back in the value's context. */
  private endSkip(offset: number): void {
    this.emit.skip('oversized', offset, this.line);
    this.restart(this.limit.depth === 0 ? '' : this.parser.tokens.context());
  }

  /** Whether broken JSON is being passed over (a method: feeding changes the mode). */
  private resyncing(): boolean {
    return this.mode === Mode.Resync;
  }

  private startResync(): void {
    this.mode = Mode.Resync;
    this.resync.begin(this.parser.tokens);
  }

  /** A new parser, put back into `context` when it is not top level. */
  private restart(context = ''): void {
    this.parser.restart();
    this.mode = Mode.Parse;
    if (context !== '') this.feedContext(context);
  }
}
