/**
 * Memory stays that of one record: a record larger than the limit (or a string outside any
 * record) is passed over at the byte level up to the end of its value, where it is skipped as
 * oversized and a new parser is put back into the value's context.
 */
export class SizeLimit {
  /** The depth the value being passed over closes back to (0: a top-level value). */
  depth = 0;

  constructor(private readonly maxBytes: number) {}

  /**
   * At the end of a chunk, `received` bytes in: whether the record being read (at token depth
   * `recordDepth`, opened at input offset `recordAt`) or an open string (opened at `stringAt`;
   * -1: none) has grown past the limit; if so, `depth` says where passing over it ends.
   */
  exceeded(received: number, recordDepth: number, recordAt: number, stringAt: number): boolean {
    if (recordDepth > 0 && received - recordAt > this.maxBytes) {
      this.depth = recordDepth - 1;
      return true;
    }
    if (stringAt >= 0 && received - stringAt > this.maxBytes) {
      // A giant string outside a record: its whole top-level value is passed over.
      this.depth = recordDepth > 0 ? recordDepth - 1 : 0;
      return true;
    }
    return false;
  }
}
