import type { RecordTokens } from './json-records.js';
import { StringBytes } from './json-strings.js';
import { isSpace, recordAt } from './native-record.js';

type Json = Record<string, unknown>;

/**
 * How far back into the last chunk a record found after broken JSON may begin (a longer one
 * straddling two chunks is passed over, and reading goes on at the one after it).
 */
const ACROSS_BYTES = 64 * 1024;

/**
 * Bytes the search for the next record may scan per chunk (four chunks' worth). A candidate
 * that does not close scans up to the record limit, and text crafted with many `,{` after
 * damage would otherwise make each chunk cost its size times the number of candidates.
 */
const SCAN_BUDGET = 4 * 1024 * 1024;

/**
 * What passing over broken JSON inside an array of records needs: which array the broken
 * record was in (its token depth, and the text that puts a parser back inside it), the array
 * records were last read from (damage such as a stray `]` closes the array before the parser
 * fails), and the end of the last chunk, where the next record may have begun.
 */
export class ArrayResync {
  /** The array's token depth, -1 when the broken bytes were in none. */
  depth = -1;
  context = '';
  /** The broken bytes were in no array of records (`depth` may be the one records were last read from). */
  outsideArray = false;
  private fresh = false;
  private tail: Buffer | null = null;
  private knownDepth = -1;
  private knownContext = '';
  /** What the search may still scan in this chunk, and what it scanned in all (for tests). */
  private readonly budget = { left: SCAN_BUDGET, scanned: 0 };

  constructor(
    private readonly maxBytes: number,
    private readonly holdsLine: (v: Json) => boolean,
  ) {}

  /** A record was read from the array at `depth` (its context is made once per depth). */
  noteArray(depth: number, tokens: RecordTokens): void {
    if (depth === this.knownDepth) return;
    this.knownDepth = depth;
    this.knownContext = tokens.context();
  }

  /** Broken JSON: `tokens` stop at the last piece that parsed. */
  begin(tokens: RecordTokens): void {
    this.fresh = true;
    this.budget.left = SCAN_BUDGET;
    this.depth = tokens.elementDepth();
    this.context = this.depth > 0 ? tokens.context() : '';
    this.outsideArray = this.depth < 0;
    if (this.depth < 0 && this.knownDepth > 0) {
      this.depth = this.knownDepth;
      this.context = this.knownContext;
    }
  }

  /** True once after `begin`: the broken piece itself is still to be looked at. */
  takeFresh(): boolean {
    const fresh = this.fresh;
    this.fresh = false;
    return fresh;
  }

  /** The next whole record of the array whose `{` lies in `chunk[from, to)` (see nextElement). */
  find(chunk: Buffer, from: number, to: number, minComma: number): Element | null {
    return this.depth > 0 ? nextElement(chunk, from, to, minComma, this.maxBytes, this.holdsLine, this.budget) : null;
  }

  /** Bytes scanned looking for records after broken JSON, in all. */
  get scanned(): number {
    return this.budget.scanned;
  }

  /** The bytes to look at for the next record: the tail kept from the last chunk, then `chunk`. */
  withTail(chunk: Buffer): { bytes: Buffer; tailLength: number; lookTo: number } {
    this.budget.left = SCAN_BUDGET;
    const tail = this.tail;
    this.tail = null;
    if (tail === null) return { bytes: chunk, tailLength: 0, lookTo: 0 };
    const bytes = Buffer.concat([tail, chunk]);
    return { bytes, tailLength: tail.length, lookTo: Math.min(bytes.length, tail.length + ACROSS_BYTES) };
  }

  /** Still passing over broken JSON in an array after `recent`: keep its end for the next chunk. */
  keepTail(recent: Buffer): void {
    if (this.depth > 0) this.tail = Buffer.from(recent.subarray(Math.max(0, recent.length - ACROSS_BYTES)));
  }
}

/** An array element found after broken JSON: its comma, its object's first and last byte, its value. */
export interface Element {
  comma: number;
  open: number;
  close: number;
  value: Json;
}

/**
 * After broken JSON inside an array of records (a response's hits, an array of events), the
 * next element that is a complete record: a `{` whose `{` lies in `chunk[from, to)`, with only
 * whitespace between it and a comma at or after `minComma`, whose object ends in this chunk
 * within `maxBytes`, parses as a JSON object and `holdsLine` accepts; null when none does
 * before `to`, or when the bytes `budget` allows are scanned.
 *
 * Safe against text: a JSON string holds no unescaped `"`, so the bytes of a string cannot
 * make an object that parses (a candidate that starts inside one either begins with a
 * backslash-escaped quote, which is not JSON, or takes the string's closing quote for a key
 * and fails on the structure after it). A one-line document, where no line start follows
 * the damage, can then go on at its next record instead of being passed over to its end.
 */
export function nextElement(
  chunk: Buffer,
  from: number,
  to: number,
  minComma: number,
  maxBytes: number,
  holdsLine: (v: Json) => boolean,
  budget: { left: number; scanned: number },
): Element | null {
  for (let open = chunk.indexOf(0x7b, from); open >= 0 && open < to && budget.left > 0; open = chunk.indexOf(0x7b, open + 1)) {
    let comma = open - 1;
    while (comma >= minComma && isSpace(chunk[comma])) comma--;
    if (comma < minComma || chunk[comma] !== 0x2c) continue;
    const limit = Math.min(chunk.length, open + maxBytes, open + budget.left);
    const close = objectEnd(chunk, open, limit);
    const scanned = (close < 0 ? limit : close + 1) - open;
    budget.left -= scanned;
    budget.scanned += scanned;
    if (close < 0) continue;
    const value = recordAt(chunk, comma, open, close, true);
    if (value !== null && holdsLine(value)) return { comma, open, close, value };
  }
  return null;
}

/** The index of the `}` closing the object that opens at `chunk[open]`, or -1 before `limit`. */
function objectEnd(chunk: Buffer, open: number, limit: number): number {
  const str = new StringBytes();
  let depth = 0;
  let i = open;
  while (i < limit) {
    if (str.inside) {
      i = str.skip(chunk, i);
      continue;
    }
    const c = chunk[i];
    if (c === 0x22) str.inside = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) return c === 0x7d ? i : -1;
    }
    i++;
  }
  return -1;
}
