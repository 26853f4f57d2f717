import { ArrayResync } from './element-resync.js';
import { HITS_ARRAY_CONTEXT, HITS_ARRAY_DEPTH, HITS_TAIL_BYTES, hitsArrayAt } from './hits-opener.js';
import type { RecordEmitter } from './json-emitter.js';
import { newlinesIn } from './line-reader.js';
import type { RecordTokens } from './json-records.js';

/**
 * Where JSON documents are read again after broken JSON, which is skipped (malformed) up to
 * the next line that starts with `{` or `[`, or, inside an array of records, up to its next
 * element that is a whole record (element-resync.ts), or, when the damage was in no array of
 * records (a search response's envelope: `took`, `_shards`, `hits.total`), up to the `[` of
 * the next `"hits": [`, so that one damaged byte before the hits of a one-line response of
 * gigabytes does not lose all of them. A search that finds one hands the malformed skip on
 * and returns the index where parsing starts again; the caller puts a new parser there: at a
 * new top-level value, or back inside the array (`inArray`).
 */
export class Resync {
  /** The physical line at the index a search returned (after `find` found nothing: at the chunk's end). */
  line = 0;
  /** The last search found an element of an array of records (its `depth` and `context`), not a line start. */
  inArray = false;
  /** The last search found the `[` of a search response's records (`inArray` too). */
  private atHitsArray = false;
  /** The damage was in no array of records: a `"hits": [` after it is where reading goes on. */
  private lookForHits = false;
  /** The last bytes read while resyncing (lookForHits): a `"hits": [` may straddle two chunks. */
  private hitsTail: Buffer | null = null;
  private readonly arrays: ArrayResync;
  /** The previous byte was a newline, at `resyncAt` on line `resyncLine`. */
  private atLineStart = false;
  private resyncAt = 0;
  private resyncLine = 0;

  constructor(
    maxRecordBytes: number,
    private readonly emit: RecordEmitter,
  ) {
    this.arrays = new ArrayResync(maxRecordBytes, (v) => this.emit.holdsLine(v));
  }

  /** Broken JSON: `tokens` stop at the last piece that parsed. */
  begin(tokens: RecordTokens): void {
    this.atLineStart = false;
    this.arrays.begin(tokens);
    this.lookForHits = this.arrays.outsideArray;
    this.hitsTail = null;
  }

  /** A record was read from the array at `depth` (damage may close that array before the parser fails). */
  noteArray(depth: number, tokens: RecordTokens): void {
    this.arrays.noteArray(depth, tokens);
  }

  /** The token depth of the array an element was found in. */
  get depth(): number {
    return this.atHitsArray ? HITS_ARRAY_DEPTH : this.arrays.depth;
  }

  /** The text that puts a new parser back inside that array. */
  get context(): string {
    return this.atHitsArray ? HITS_ARRAY_CONTEXT : this.arrays.context;
  }

  /** Bytes scanned looking for the next record after broken JSON (bounded per chunk). */
  get scanned(): number {
    return this.arrays.scanned;
  }

  /**
   * A new chunk, at input offset `base`, on `line`: the next record may have begun in the tail
   * kept from the last chunks, so it is looked for across them. Returns the bytes to read on
   * (the tail, `tailLength` bytes, then `chunk`) and `at`, where parsing starts again in them,
   * or -1 when no record was found there.
   */
  across(chunk: Buffer, base: number, line: number): { bytes: Buffer; tailLength: number; at: number } {
    const recent = this.arrays.withTail(chunk);
    const hitsTail = this.hitsTail;
    if (recent.tailLength > 0) {
      // The array's tail holds those bytes already.
      this.hitsTail = null;
      const at = this.nextRecords(recent.bytes, base - recent.tailLength, 0, recent.lookTo, line, recent.tailLength, Math.max(0, recent.tailLength - HITS_TAIL_BYTES), recent.tailLength);
      return { bytes: recent.bytes, tailLength: recent.tailLength, at };
    }
    if (hitsTail === null) return { bytes: chunk, tailLength: 0, at: -1 };
    // Only a `"hits": [` that starts in the tail and ends in this chunk (one inside the tail was looked for before).
    const bytes = Buffer.concat([hitsTail, chunk]);
    const open = hitsArrayAt(bytes, 0, hitsTail.length);
    // Not found: the tail stays, for keepTail to add this chunk to.
    if (open < 0) return { bytes: chunk, tailLength: 0, at: -1 };
    return { bytes, tailLength: hitsTail.length, at: this.atHits(bytes, base - hitsTail.length, open, line, hitsTail.length) };
  }

  /** Still resyncing after `recent`: keeps its end, where the next record may begin. */
  keepTail(recent: Buffer): void {
    this.arrays.keepTail(recent);
    if (!this.lookForHits) return;
    // Chunks shorter than the tail: it keeps bytes from before this one too.
    const before = this.hitsTail;
    const end = before === null || recent.length >= HITS_TAIL_BYTES ? recent : Buffer.concat([before, recent]);
    this.hitsTail = Buffer.from(end.subarray(Math.max(0, end.length - HITS_TAIL_BYTES)));
  }

  /** The input ended while resyncing: where its malformed skip resumes (the last newline, when nothing came after it). */
  endResume(): number {
    return this.atLineStart ? this.resyncAt : this.emit.lastResume;
  }

  /**
   * Looks from `chunk[i]`, on `line`, for a newline followed by `{` or `[`, or, inside an
   * array of records, the next element that is a complete record, counting lines; returns
   * the index where parsing starts again, or -1 when the chunk ends first.
   */
  find(chunk: Buffer, base: number, i: number, line: number): number {
    this.line = line;
    const n = chunk.length;
    if (this.arrays.takeFresh()) {
      // The broken piece itself may hold whole records after the damage (a stray `]` is only
      // noticed at the next cut): look there first, from the last record handed on.
      const from = Math.max(0, this.emit.lastResume - base);
      if (from < i) {
        const at = this.nextRecords(chunk, base, from, i, this.line, i);
        if (at >= 0) return at;
      }
    }
    while (i < n) {
      if (this.atLineStart) {
        this.atLineStart = false;
        const c = chunk[i];
        if (c === 123 || c === 91) {
          this.emit.skip('malformed', this.resyncAt, this.resyncLine);
          this.line = this.resyncLine + 1;
          this.inArray = false;
          this.atHitsArray = false;
          this.lookForHits = false;
          return i;
        }
      }
      const nl = chunk.indexOf(10, i);
      const at = this.nextRecords(chunk, base, i, nl < 0 ? n : nl, this.line);
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
   * Where records go on after `chunk[i]`: the next whole element of the array of records (whose
   * `{` lies before `to`), or the `[` of a search response's records (a `"hits"` key starting
   * in `chunk[hitsFrom, hitsTo)`), whichever comes first; -1 when neither does. `line` is the
   * line at `lineAt`.
   */
  private nextRecords(chunk: Buffer, base: number, i: number, to: number, line: number, lineAt = i, hitsFrom = i, hitsTo = to): number {
    const open = this.lookForHits ? hitsArrayAt(chunk, hitsFrom, hitsTo) : -1;
    const at = this.atElement(chunk, base, i, open >= 0 ? Math.min(open, to) : to, line, lineAt);
    if (at >= 0 || open < 0) return at;
    return this.atHits(chunk, base, open, line, lineAt);
  }

  /**
   * The `[` at `chunk[open]` opens a search response's records: the malformed skip ends there
   * (a restart at it reads them as an array of records), and a new parser goes on just inside
   * it. `line` is the line at `lineAt`.
   */
  private atHits(chunk: Buffer, base: number, open: number, line: number, lineAt: number): number {
    line += open >= lineAt ? newlinesIn(chunk, lineAt, open) : -newlinesIn(chunk, open, lineAt);
    this.emit.skip('malformed', base + open, line);
    this.line = line;
    this.inArray = true;
    this.atHitsArray = true;
    this.lookForHits = false;
    this.hitsTail = null;
    return open + 1;
  }

  /**
   * Inside an array of records: the next element whose `{` lies in `chunk[i, to)` and that
   * is a whole record goes on the array after a malformed skip up to its comma (a restart
   * there reads the array's remaining elements). `line` is the line at `lineAt`. Returns the
   * comma's index, where the scan starts again with a parser put back inside the array, or -1.
   */
  private atElement(chunk: Buffer, base: number, i: number, to: number, line: number, lineAt = i): number {
    const el = this.arrays.find(chunk, i, to, Math.max(0, this.emit.lastResume - base));
    if (el === null) return -1;
    // The comma may be on an earlier line than `lineAt` (pretty-printed arrays, a chunk's tail).
    line -= newlinesIn(chunk, el.comma, lineAt);
    this.emit.skip('malformed', base + el.comma, line);
    this.line = line;
    this.inArray = true;
    this.atHitsArray = false;
    this.lookForHits = false;
    return el.comma;
  }
}
