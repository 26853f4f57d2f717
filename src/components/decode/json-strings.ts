/**
 * Finds where JSON strings end in a stream of bytes, without decoding them: the next `"` not
 * escaped by an odd run of backslashes. A string (and a run of backslashes) may straddle chunks.
 * JSON strings hold no raw newline, so no line ends inside one.
 */
export class StringBytes {
  /** Between a string's quotes. */
  inside = false;
  /** The next byte is escaped (the last chunk ended on an odd run of backslashes). */
  private escaped = false;

  /** From `i` inside a string: the index past its closing quote, or the chunk's end (still inside). */
  skip(chunk: Buffer, i: number): number {
    const n = chunk.length;
    if (this.escaped) {
      this.escaped = false;
      i++;
    }
    for (;;) {
      const q = chunk.indexOf(34, i);
      const stop = q < 0 ? n : q;
      let k = stop - 1;
      while (k >= i && chunk[k] === 92) k--;
      const odd = ((stop - 1 - k) & 1) === 1;
      if (q < 0) {
        this.escaped = odd;
        return n;
      }
      if (!odd) {
        this.inside = false;
        return q + 1;
      }
      i = q + 1;
      if (i >= n) return n;
    }
  }

  reset(): void {
    this.inside = false;
    this.escaped = false;
  }
}
