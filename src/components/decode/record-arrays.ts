import { hitsKeyBefore, isSpace } from './native-record.js';

/**
 * Which `[` opens an array of records, told from the bytes (depths counted by the framer): a
 * top-level array, or a search response's `hits.hits` (a `hits` array inside the `hits` object
 * of a top-level object). The parser is fed up to such a `[` by itself: should the array's
 * first record be broken, it knows the array it was in and reading goes on at the next record.
 */
export class RecordArrays {
  /** Input offset of the last `{` opened as the `hits` object of a top-level object (a search response's). */
  private hitsObjectAt = -1;

  /** A `{` opened at `chunk[open]` (input offset `offset`), its depth counted. */
  openObject(chunk: Buffer, open: number, offset: number, depth: number): void {
    if (depth === 2 && hitsKeyBefore(chunk, open)) this.hitsObjectAt = offset;
  }

  /**
   * Whether the `[` at `chunk[open]` (depth counted) opens an array of records. `from`: the
   * first byte the parser has not read; `objectAt`: input offset of the `{` open at depth 2.
   * Either lies outside any record, so no cut of the fast path is pending.
   */
  opens(chunk: Buffer, from: number, open: number, depth: number, objectAt: number): boolean {
    // Nothing else before a top-level `[`: an outcome of those bytes would resume before the array.
    if (depth === 1) return onlySpace(chunk, from, open);
    return depth === 3 && this.hitsObjectAt === objectAt && hitsKeyBefore(chunk, open);
  }
}

function onlySpace(chunk: Buffer, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (!isSpace(chunk[k])) return false;
  return true;
}
