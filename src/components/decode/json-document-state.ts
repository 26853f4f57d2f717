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

export const enum Mode {
  /** Bytes go to the parser. */
  Parse,
  /** A value over the size limit: its bytes are passed over up to its end. */
  Skip,
  /** Started inside an array and left it: passing over the rest of its document. */
  Drain,
  /** Broken JSON: passing over bytes up to where a new record starts (resync.ts). */
  Resync,
}

/**
 * What `JsonDocuments` (json-documents.ts) knows between two bytes, and the moves between its
 * modes: the nesting, string and line its byte scan tracks; the parser it feeds and starts
 * again, put back into a context, after broken JSON (resync.ts) or a value over the size limit
 * (size-limit.ts); the records the fast path reads (fast-path.ts). A base class, not a member
 * object: the scan reads these fields at every byte, and an object in between would cost it a
 * load each time.
 */
export class JsonDocumentState {
  /** stream-json's parser and the record tokens behind it. */
  protected readonly parser: TokenFeed;
  protected readonly emit: RecordEmitter;
  /** Input offset just past the last byte written. */
  protected received: number;
  protected depth = 0;
  protected readonly str = new StringBytes();
  protected stringAt = 0;
  /** Offsets of the openers of the containers open at each depth. */
  protected readonly openAt: number[] = [];
  /** The physical line of the byte being read. */
  protected line: number;
  protected mode = Mode.Parse;
  /** Skip: the record over the size limit and where passing over it ends. */
  protected readonly limit: SizeLimit;
  /** Drain: the last significant byte closed a container (a value after it is a new document). */
  protected afterCloser = false;
  /** Started inside an array, not yet left. */
  protected inResumedArray: boolean;
  /** Where reading starts again after broken JSON. */
  protected readonly resync: Resync;
  /** Records read by `JSON.parse`, and the cuts held back meanwhile. */
  protected readonly fast: FastPath;
  /** Which `[` opens an array of records. */
  protected readonly arrays = new RecordArrays();

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

  /**
   * A string ran into a newline: broken JSON. What the parser would have read before the
   * string is fed (the cuts the fast path held back), then bytes are passed over from that
   * newline as after any broken piece. Returns where the scan goes on.
   */
  protected brokenAtNewline(chunk: Buffer, base: number, feedFrom: number, newline: number): number {
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
  protected findResync(chunk: Buffer, base: number, i: number): number {
    const at = this.resync.find(chunk, base, i, this.line);
    this.line = this.resync.line;
    return at < 0 ? at : this.resumeAt(base, at);
  }

  /**
   * Resync found where parsing starts again, `chunk[at]`, and handed the malformed skip on: a
   * new parser, at a new top-level value or put back inside the array of records.
   */
  protected resumeAt(base: number, at: number): number {
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
  protected feedCuts(chunk: Buffer, base: number, from: number): number {
    return this.fast.replay(from, (start, to, line) => {
      this.feed(chunk, start, to, base + to, line);
      if (this.mode === Mode.Parse) return true;
      // Bytes are passed over from just past the broken piece's cut, on its line.
      this.line = line;
      return false;
    });
  }

  /** Parses `chunk[from, to)`; outcomes resume at `resume`, on `line`. */
  protected feed(chunk: Buffer, from: number, to: number, resume: number, line = this.line): void {
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
  protected overLimit(): boolean {
    const rd = this.parser.tokens.recordDepth;
    if (!this.limit.exceeded(this.received, rd, rd > 0 ? this.openAt[rd] : 0, this.str.inside ? this.stringAt : -1)) return false;
    this.mode = Mode.Skip;
    return true;
  }

  /** The skipped value ended at `offset`: a new parser, put back in the value's context. */
  protected endSkip(offset: number): void {
    this.emit.skip('oversized', offset, this.line);
    this.restart(this.limit.depth === 0 ? '' : this.parser.tokens.context());
  }

  /** Whether broken JSON is being passed over (a method: feeding changes the mode). */
  protected resyncing(): boolean {
    return this.mode === Mode.Resync;
  }

  protected startResync(): void {
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
