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
   * the whole of a table of several megabytes (60 ms of a small replay's start-up, before).
   * Past that, the arrays are read in once and probed without asking for pages.
   */
  private pagedLookupsLeft = PAGED_LOOKUPS;

  /** The value of the range holding the address (only its first `words` words count), or NO_VALUE. */
  find(w0: number, w1: number, w2: number, w3: number): number {
    let paged = false;
    if (this.pagedLookupsLeft > 0) {
      paged = --this.pagedLookupsLeft > 0;
      if (!paged) {
        this.residency.ensure(this.keys, 0, this.keys.length);
        this.residency.ensure(this.values, 0, this.values.length);
      }
    }
    const { keys, words, residency } = this;
    let lo = 0;
    let hi = this.values.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const k = mid * words;
      if (paged) residency.ensure(keys, k, k + words);
      const atOrBefore = words === 2 ? keys[k] < w0 || (keys[k] === w0 && keys[k + 1] <= w1) : compare4(keys, k, w0, w1, w2, w3) <= 0;
      if (atOrBefore) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0) return NO_VALUE;
    if (paged) residency.ensure(this.values, lo - 1, lo);
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
