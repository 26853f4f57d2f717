/**
 * `12,345`, as toLocaleString('en-US') writes it, without it: its first call loads ICU's
 * number data (about 15 ms of a short command), and it is slow enough to matter when
 * thousands of reasons are written.
 */
export function int(n: number): string {
  const s = String(Math.round(Math.abs(n)));
  let out = s.length > 3 ? '' : s;
  if (s.length > 3) {
    const head = s.length % 3 || 3;
    out = s.slice(0, head);
    for (let i = head; i < s.length; i += 3) out += ',' + s.slice(i, i + 3);
  }
  return n < 0 && Math.round(n) !== 0 ? '-' + out : out;
}

/** A size for people: `1.0 GB`, `134 MB`, `12 kB` (decimal units, as the summary's MB/s). */
export function byteSize(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(0)} MB`;
  return `${(n / 1e3).toFixed(0)} kB`;
}

/** The smallest power of two at or above `n` (1 for n <= 1): the size of a ring or hash table indexed by `& (size - 1)`. */
export function powerOfTwoAtLeast(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** The value of a hexadecimal digit from its character code (either case), or -1 for any other character. */
export function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}
