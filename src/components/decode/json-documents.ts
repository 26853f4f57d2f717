import type { DocumentFormat } from './export-record.js';
import { JsonDocumentState, Mode } from './json-document-state.js';

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
 *
 * This class is the byte scan, which drives; what it knows between bytes and the moves
 * between its modes (feeding the parser, starting it again) are in json-document-state.ts.
 */
export class JsonDocuments extends JsonDocumentState {
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
}
