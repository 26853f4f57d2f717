import { ALL_RESIDENT, type Residency } from './residency.js';

/**
 * Sorted address ranges with one value each (an index into a table owned by the caller), held
 * in typed arrays and searched by bisection. Only range starts are stored: an uncovered stretch
 * is a range whose value is NO_VALUE, and neighbouring ranges with the same value are merged,
 * which is what makes the tables several times smaller than the files they come from.
 */

export const NO_VALUE = 0xffffffff;

/** IPv6 lookups that read only the pages they probe before a table's IPv6 arrays are read in whole. */
const PAGED_LOOKUPS = 256;

/**
 * IPv4 ranges. Starts are split by their top 16 bits: `buckets[b]` is the first range whose
 * start is at or above b.0.0, so a lookup bisects only the ranges starting inside one /16 and
 * a start costs two bytes (its low half) instead of four.
 */
export class Ipv4RangeIndex {
  constructor(
    readonly buckets: Uint32Array,
    readonly lows: Uint16Array,
    readonly values: Uint32Array,
    private readonly residency: Residency = ALL_RESIDENT,
  ) {}

  /** The value of the range holding `ip`, or NO_VALUE. */
  find(ip: number): number {
    const bucket = ip >>> 16;
    const low = ip & 0xffff;
    const lows = this.lows;
    // Only the pages this lookup reads: a few hundred bytes of a table of tens of megabytes.
    this.residency.ensure(this.buckets, bucket, bucket + 2);
    let lo = this.buckets[bucket];
    let hi = this.buckets[bucket + 1];
    this.residency.ensure(lows, lo, hi);
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (lows[mid] <= low) lo = mid + 1;
      else hi = mid;
    }
    // lo is the first range starting above ip; the one before it (maybe in an earlier bucket) holds ip.
    if (lo === 0) return NO_VALUE;
    this.residency.ensure(this.values, lo - 1, lo);
    return this.values[lo - 1];
  }

  get ranges(): number {
    return this.values.length;
  }

  /** Throws unless the arrays describe a well-formed index with values below `valueCount`. */
  static validate(index: Ipv4RangeIndex, valueCount: number): void {
    const { buckets, lows, values } = index;
    if (buckets.length !== 0x10001 || buckets[0] !== 0 || buckets[0x10000] !== lows.length || values.length !== lows.length) {
      throw new Error('IPv4 range index: inconsistent lengths');
    }
    for (let b = 0; b < 0x10000; b++) {
      const from = buckets[b];
      const to = buckets[b + 1];
      if (to < from) throw new Error('IPv4 range index: buckets out of order');
      for (let i = from + 1; i < to; i++) if (lows[i] <= lows[i - 1]) throw new Error('IPv4 range index: starts out of order');
    }
    checkValues(values, valueCount);
  }
}

/**
 * Ranges over keys of `words` 32-bit words (2: IPv6 /64 prefixes, 4: full IPv6 addresses),
 * keys interleaved in one array so that a probe touches one cache line.
 */
export class WideRangeIndex {
  constructor(
    readonly words: 2 | 4,
    readonly keys: Uint32Array,
    readonly values: Uint32Array,
    private readonly residency: Residency = ALL_RESIDENT,
  ) {}

  /**
   * Lookups left before the arrays are brought in whole. Until then each probe of a bisection
   * reads only its own page: a run that sees a few IPv6 addresses reads a few dozen pages, not
   * the whole of a table of several megabytes (most of a small replay's start-up, before). Past
   * that, the arrays are read in once and bisected without a check per probe.
   */
  private pagedLookupsLeft = PAGED_LOOKUPS;

  /** The value of the range holding the address (only its first `words` words count), or NO_VALUE. */
  find(w0: number, w1: number, w2: number, w3: number): number {
    if (this.pagedLookupsLeft > 0) {
      if (--this.pagedLookupsLeft > 0) return this.findPaged(w0, w1, w2, w3);
      this.residency.ensure(this.keys, 0, this.keys.length);
      this.residency.ensure(this.values, 0, this.values.length);
    }
    const keys = this.keys;
    let lo = 0;
    let hi = this.values.length;
    if (this.words === 2) {
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        const k = mid * 2;
        const a = keys[k];
        if (a < w0 || (a === w0 && keys[k + 1] <= w1)) lo = mid + 1;
        else hi = mid;
      }
    } else {
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (compare4(keys, mid * 4, w0, w1, w2, w3) <= 0) lo = mid + 1;
        else hi = mid;
      }
    }
    return lo === 0 ? NO_VALUE : this.values[lo - 1];
  }

  /** `find` with each probed key, and the value found, read in first. */
  private findPaged(w0: number, w1: number, w2: number, w3: number): number {
    const { keys, words, residency } = this;
    let lo = 0;
    let hi = this.values.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const k = mid * words;
      residency.ensure(keys, k, k + words);
      const before = words === 2 ? keys[k] < w0 || (keys[k] === w0 && keys[k + 1] <= w1) : compare4(keys, k, w0, w1, w2, w3) <= 0;
      if (before) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0) return NO_VALUE;
    residency.ensure(this.values, lo - 1, lo);
    return this.values[lo - 1];
  }

  get ranges(): number {
    return this.values.length;
  }

  static validate(index: WideRangeIndex, valueCount: number): void {
    const { words, keys, values } = index;
    if (keys.length !== values.length * words) throw new Error('IPv6 range index: inconsistent lengths');
    for (let i = 1; i < values.length; i++) {
      let order = 0;
      for (let w = 0; w < words && order === 0; w++) order = keys[i * words + w] - keys[(i - 1) * words + w];
      if (order <= 0) throw new Error('IPv6 range index: starts out of order');
    }
    checkValues(values, valueCount);
  }
}

function compare4(keys: Uint32Array, k: number, w0: number, w1: number, w2: number, w3: number): number {
  let d = keys[k] - w0;
  if (d !== 0) return d;
  d = keys[k + 1] - w1;
  if (d !== 0) return d;
  d = keys[k + 2] - w2;
  if (d !== 0) return d;
  return keys[k + 3] - w3;
}

function checkValues(values: Uint32Array, valueCount: number): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v >= valueCount && v !== NO_VALUE) throw new Error('range index: value out of range');
  }
}

/** A growing list of uint32 kept in fixed chunks, so building never copies a large array twice. */
export class U32List {
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
