import { Ipv4RangeIndex, NO_VALUE, WideRangeIndex } from './range-index.js';

/**
 * Builds the range indexes of range-index.ts from ranges given in ascending order of start,
 * as the address tables are built from their source files.
 */

/** A growing list of uint32 kept in fixed chunks, so building never copies a large array twice. */
class U32List {
  private readonly chunks: Uint32Array[] = [];
  private current = new Uint32Array(1 << 16);
  private used = 0;
  length = 0;

  push(value: number): void {
    if (this.used === this.current.length) {
      this.chunks.push(this.current);
      this.current = new Uint32Array(1 << 16);
      this.used = 0;
    }
    this.current[this.used++] = value;
    this.length++;
  }

  get(i: number): number {
    const c = i >>> 16;
    return c === this.chunks.length ? this.current[i & 0xffff] : this.chunks[c][i & 0xffff];
  }

  set(i: number, value: number): void {
    const c = i >>> 16;
    if (c === this.chunks.length) this.current[i & 0xffff] = value;
    else this.chunks[c][i & 0xffff] = value;
  }

  toArray(): Uint32Array {
    const out = new Uint32Array(this.length);
    let at = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    out.set(this.current.subarray(0, this.used), at);
    return out;
  }
}

/**
 * Collects ranges in ascending order of start. Sources are not always clean, so the rule is:
 * a range covers from its start up to its end or to the next range's start, whichever comes
 * first (a later start wins where ranges overlap), and addresses no range covers get NO_VALUE.
 */
export class Ipv4RangeBuilder {
  private readonly starts = new U32List();
  private readonly values = new U32List();
  /** First address after the last range added (2^32 once the space is covered to the end). */
  private next = 0;
  private lastStart = -1;

  add(start: number, end: number, value: number): void {
    if (start < this.lastStart || end < start) throw new Error(`ranges out of order at ${start}-${end}`);
    if (this.values.length > 0 && start > this.next) this.push(this.next, NO_VALUE);
    const m = this.values.length;
    if (m > 0 && this.starts.get(m - 1) === start) {
      this.values.set(m - 1, value); // the earlier range with this start covers nothing
    } else if (m === 0 || this.values.get(m - 1) !== value) {
      this.push(start, value);
    }
    this.lastStart = start;
    this.next = end + 1;
  }

  private push(start: number, value: number): void {
    this.starts.push(start);
    this.values.push(value);
  }

  finish(): Ipv4RangeIndex {
    if (this.values.length > 0 && this.next <= 0xffffffff) this.push(this.next, NO_VALUE);
    const starts = this.starts.toArray();
    const lows = new Uint16Array(starts.length);
    const buckets = new Uint32Array(0x10001);
    let bucket = 0;
    for (let i = 0; i < starts.length; i++) {
      const b = starts[i] >>> 16;
      while (bucket < b) buckets[++bucket] = i;
      lows[i] = starts[i] & 0xffff;
    }
    while (bucket < 0x10000) buckets[++bucket] = starts.length;
    return new Ipv4RangeIndex(buckets, lows, this.values.toArray());
  }
}

/** The same rule as Ipv4RangeBuilder, for keys of 2 or 4 words. */
export class WideRangeBuilder {
  private readonly keys = new U32List();
  private readonly values = new U32List();
  /** First key after the last range added; `pastEnd` once the space is covered to the end. */
  private readonly next: number[];
  private pastEnd = false;
  private readonly lastStart: number[];
  private any = false;

  constructor(readonly words: 2 | 4) {
    this.next = new Array<number>(words).fill(0);
    this.lastStart = new Array<number>(words).fill(0);
  }

  /** `start` and `end` hold at least `words` words; only those are read. */
  add(start: ArrayLike<number>, end: ArrayLike<number>, value: number): void {
    const words = this.words;
    if ((this.any && compareWords(start, this.lastStart, words) < 0) || compareWords(end, start, words) < 0) {
      throw new Error('ranges out of order');
    }
    if (this.any && !this.pastEnd && compareWords(start, this.next, words) > 0) this.push(this.next, NO_VALUE);
    const m = this.values.length;
    if (m > 0 && this.sameStart(m - 1, start)) {
      this.values.set(m - 1, value); // the earlier range with this start covers nothing
    } else if (m === 0 || this.values.get(m - 1) !== value) {
      this.push(start, value);
    }
    for (let w = 0; w < words; w++) this.lastStart[w] = start[w];
    // next = end + 1, with carry; an end of all ones leaves nothing after it.
    let carry = 1;
    for (let w = words - 1; w >= 0; w--) {
      const v = end[w] + carry;
      this.next[w] = v >>> 0;
      carry = v > 0xffffffff ? 1 : 0;
    }
    this.pastEnd = carry === 1;
    this.any = true;
  }

  private sameStart(i: number, start: ArrayLike<number>): boolean {
    for (let w = 0; w < this.words; w++) if (this.keys.get(i * this.words + w) !== start[w]) return false;
    return true;
  }

  private push(start: ArrayLike<number>, value: number): void {
    for (let w = 0; w < this.words; w++) this.keys.push(start[w]);
    this.values.push(value);
  }

  finish(): WideRangeIndex {
    if (this.any && !this.pastEnd) this.push(this.next, NO_VALUE);
    return new WideRangeIndex(this.words, this.keys.toArray(), this.values.toArray());
  }
}

function compareWords(a: ArrayLike<number>, b: ArrayLike<number>, words: number): number {
  for (let w = 0; w < words; w++) {
    if (a[w] !== b[w]) return a[w] - b[w];
  }
  return 0;
}
