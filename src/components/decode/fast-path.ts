import type { RecordEmitter } from './json-emitter.js';
import { hitsKeyBefore, recordAt } from './native-record.js';

/**
 * Where JSON documents take the fast path (native-record.ts): a record that lies whole in a
 * chunk right after the record before it is parsed by `JSON.parse` and never reaches the
 * stream parser. The framer reports each cut it would feed the parser at inside such a record;
 * they are held back until the record's end. When the fast path gives up there, the parser is
 * fed the same pieces it would have had (`replay`), so it decides exactly as without it.
 */
export class FastPath {
  /** Records parsed here (the rest went through stream-json). */
  records = 0;
  /** After a `replay` that went through: the index just past the last cut fed. */
  cutsEnd = 0;
  /**
   * Input offset at which the parser was left just after a record (or before the first
   * value), with nothing fed since, and the depth of that record; -1 when it is not. From there
   * the next record, if all in one chunk, may be parsed natively.
   */
  private cleanAt = -1;
  private cleanDepth = 0;
  /** Inside such a record: the cuts the parser would have been fed at (index in the chunk, line). */
  private readonly cuts: number[] = [];

  constructor(
    /** Off: stream-json reads every byte (for tests). */
    private readonly enabled: boolean,
    private readonly emit: RecordEmitter,
  ) {}

  /** The parser was left just after a record (or before the first value) at `offset` and `depth`; -1: it was not. */
  settle(offset: number, depth: number): void {
    this.cleanAt = offset;
    this.cleanDepth = depth;
  }

  /** Bytes went to the parser: it is no longer just after a record. */
  fed(): void {
    this.cleanAt = -1;
  }

  /** Whether the bytes from input offset `offset` may be read natively (the parser was left there). */
  from(offset: number): boolean {
    return this.enabled && offset === this.cleanAt;
  }

  /** The depth of the record the parser was left after (a record read natively closes back to it). */
  get depth(): number {
    return this.cleanDepth;
  }

  /** Holds back the cut at `chunk[at]`, on line `line`, until the record's end. */
  hold(at: number, line: number): void {
    this.cuts.push(at, line);
  }

  get holding(): boolean {
    return this.cuts.length > 0;
  }

  /**
   * The record closed at `chunk[close]` (its `{` at input offset `open`, its closer back at
   * `depth`), parsed natively when it lies in this chunk right after the previous record at its
   * depth (the caller checked `from`): handed on with `line`, and the parser never sees its
   * bytes (it stays just after a record). False: the parser must read it.
   */
  read(chunk: Buffer, base: number, from: number, open: number, close: number, depth: number, line: number): boolean {
    if (depth !== this.cleanDepth) return false;
    const start = open - base;
    if (start < from) return false;
    const value = recordAt(chunk, from, start, close, depth > 0);
    if (value === null) return false;
    this.cuts.length = 0;
    this.records++;
    this.emit.resume = this.cleanAt = base + close + 1;
    this.emit.line = line;
    this.emit.record(value);
    return true;
  }

  /**
   * Opening (at `chunk[open]`, byte `c`, now at `depth`) a value the fast path would give up on
   * at its end: a top-level array, or the `hits` object of a search response.
   */
  givesUpOn(chunk: Buffer, open: number, c: number, depth: number): boolean {
    if (this.cleanDepth !== 0) return false;
    return (depth === 1 && c === 91) || (depth === 2 && c === 123 && hitsKeyBefore(chunk, open));
  }

  /**
   * The fast path gave up on a record: the parser reads the bytes held back from `from` in
   * the pieces it would have read them in, `piece(from, to, line)` up to just past each cut,
   * with that cut's line; `piece` returns false when the parser stopped (broken JSON). Returns
   * -1, with `cutsEnd` just past the last cut; or the index just past the broken piece's cut.
   */
  replay(from: number, piece: (from: number, to: number, line: number) => boolean): number {
    const cuts = this.cuts;
    for (let k = 0; k < cuts.length; k += 2) {
      const to = cuts[k] + 1;
      const going = piece(from, to, cuts[k + 1]);
      from = to;
      if (!going) {
        cuts.length = 0;
        return from;
      }
    }
    cuts.length = 0;
    this.cutsEnd = from;
    return -1;
  }
}
