import { closeSync, openSync, readSync } from 'node:fs';

/**
 * A streaming reader for ip-location-db's numeric ASN files: one range per line,
 * `start,end,asn,organisation`, start and end as decimal integers (up to 2^128 - 1 for IPv6),
 * the organisation quoted when it holds a comma or a quote (quotes doubled inside). The
 * format is fixed and small, so a byte-level reader that makes one string per line (the
 * organisation) does the job without a general CSV library and its per-field strings.
 */

export interface AsnRow {
  /** Range bounds as 32-bit words, most significant first: one word for IPv4, four for IPv6. */
  readonly start: number[];
  readonly end: number[];
  asn: number;
  org: string;
}

const CHUNK = 1 << 20;
const COMMA = 0x2c;
const QUOTE = 0x22;
const NL = 0x0a;
const CR = 0x0d;
const TWO_32 = 0x100000000;

/** Calls `onRow` for each line, with one row object reused across calls. Errors (its own too) name file and line. */
export function readAsnCsv(file: string, family: 4 | 6, onRow: (row: AsnRow) => void): void {
  const words = family === 4 ? 1 : 4;
  const reader = new Reader(file, words);
  const fd = openSync(file, 'r');
  try {
    let eof = false;
    while (!eof) {
      eof = reader.fill(fd);
      reader.parse(eof, onRow);
    }
  } finally {
    closeSync(fd);
  }
}

class Reader {
  private buf = Buffer.allocUnsafe(CHUNK);
  private filled = 0;
  private pos = 0;
  private line = 0;
  private readonly row: AsnRow;

  constructor(
    private readonly file: string,
    private readonly words: number,
  ) {
    this.row = { start: new Array<number>(words).fill(0), end: new Array<number>(words).fill(0), asn: 0, org: '' };
  }

  /** Moves the unparsed tail to the front and reads more after it; true at end of file. */
  fill(fd: number): boolean {
    if (this.pos > 0) {
      this.buf.copy(this.buf, 0, this.pos, this.filled);
      this.filled -= this.pos;
      this.pos = 0;
    }
    if (this.filled === this.buf.length) this.fail('line longer than 1 MiB');
    const n = readSync(fd, this.buf, this.filled, this.buf.length - this.filled, null);
    this.filled += n;
    return n === 0;
  }

  /** Parses every complete line in the buffer; at end of file, a last line without newline too. */
  parse(eof: boolean, onRow: (row: AsnRow) => void): void {
    while (this.pos < this.filled) {
      const next = this.record(eof);
      if (next < 0) return;
      this.line++;
      this.pos = next;
      try {
        onRow(this.row);
      } catch (err) {
        throw new Error(`${this.file}:${this.line}: ${(err as Error).message}`, { cause: err });
      }
    }
  }

  /** Parses the line at pos into row; the offset after it, or -1 when it is not all in the buffer yet. */
  private record(eof: boolean): number {
    const buf = this.buf;
    const limit = this.filled;
    const row = this.row;
    let p = this.number(this.pos, row.start, limit);
    if (p < 0) return this.incomplete(eof);
    p = this.number(p, row.end, limit);
    if (p < 0) return this.incomplete(eof);
    let asn = 0;
    let digits = 0;
    for (; p < limit && buf[p] !== COMMA; p++) {
      const d = buf[p] - 48;
      if (buf[p] === NL || buf[p] === CR) this.fail('expected 4 fields');
      if (d < 0 || d > 9 || digits === 10) this.fail('expected an AS number');
      asn = asn * 10 + d;
      digits++;
    }
    if (p === limit) return this.incomplete(eof);
    if (digits === 0 || asn >= TWO_32) this.fail('expected an AS number');
    row.asn = asn;
    p++;
    if (p < limit && buf[p] === QUOTE) {
      const from = p + 1;
      let escaped = false;
      let q = from;
      for (;;) {
        // indexOf searches the whole buffer: a hit at or past `limit` is a stale byte.
        q = buf.indexOf(QUOTE, q);
        if (q < 0 || q >= limit) return eof ? this.fail('unterminated quote') : -1;
        if (q + 1 === limit) {
          if (!eof) return -1;
          break;
        }
        if (buf[q + 1] !== QUOTE) break;
        escaped = true;
        q += 2;
      }
      const text = buf.toString('utf8', from, q);
      row.org = escaped ? text.replaceAll('""', '"') : text;
      p = q + 1;
      if (p < limit && buf[p] === CR) p++;
      if (p === limit) return eof ? p : -1;
      if (buf[p] !== NL) this.fail('expected the end of the line after a quoted field');
      return p + 1;
    }
    let nl = buf.indexOf(NL, p);
    if (nl < 0 || nl >= limit) {
      if (!eof) return -1;
      nl = limit;
    }
    const end = nl > p && buf[nl - 1] === CR ? nl - 1 : nl;
    row.org = buf.toString('utf8', p, end);
    return nl === limit ? nl : nl + 1;
  }

  /**
   * A decimal number ending in a comma, into `out` as 32-bit words (most significant first);
   * the offset after the comma, or -1 when the comma is not in the buffer yet.
   */
  private number(p: number, out: number[], limit: number): number {
    const buf = this.buf;
    if (this.words === 1) {
      let value = 0;
      let digits = 0;
      for (; p < limit && buf[p] !== COMMA; p++) {
        const d = buf[p] - 48;
        if (buf[p] === NL || buf[p] === CR) this.fail('expected 4 fields');
        if (d < 0 || d > 9 || digits === 10) this.fail('expected a decimal address');
        value = value * 10 + d;
        digits++;
      }
      if (p === limit) return -1;
      if (digits === 0 || value >= TWO_32) this.fail('expected a decimal address');
      out[0] = value;
      return p + 1;
    }
    // 128 bits as eight 16-bit limbs, fed four digits at a time: every product stays a small integer.
    const limbs = this.limbs;
    limbs.fill(0);
    let digits = 0;
    let group = 0;
    let groupScale = 1;
    for (; p < limit; p++) {
      const c = buf[p];
      if (c === COMMA) break;
      const d = c - 48;
      if (c === NL || c === CR) this.fail('expected 4 fields');
      if (d < 0 || d > 9 || digits === 39) this.fail('expected a decimal address');
      group = group * 10 + d;
      groupScale *= 10;
      digits++;
      if (groupScale === 10_000) {
        this.scaleAdd(groupScale, group);
        group = 0;
        groupScale = 1;
      }
    }
    if (p === limit) return -1;
    if (digits === 0) this.fail('expected a decimal address');
    if (groupScale > 1) this.scaleAdd(groupScale, group);
    for (let w = 0; w < 4; w++) out[w] = limbs[2 * w] * 0x10000 + limbs[2 * w + 1];
    return p + 1;
  }

  private readonly limbs = new Int32Array(8);

  /** limbs = limbs * scale + add, with scale at most 10 000. */
  private scaleAdd(scale: number, add: number): void {
    const limbs = this.limbs;
    let carry = add;
    for (let i = 7; i >= 0; i--) {
      const v = limbs[i] * scale + carry;
      limbs[i] = v & 0xffff;
      carry = v >>> 16;
    }
    if (carry !== 0) this.fail('address does not fit 128 bits');
  }

  private incomplete(eof: boolean): number {
    if (eof) this.fail('incomplete line');
    return -1;
  }

  private fail(what: string): never {
    throw new Error(`${this.file}:${this.line + 1}: ${what}`);
  }
}
