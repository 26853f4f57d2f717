/** Byte searches that make no string (lines stay bytes: scanner.ts); `startsWith` also matches the wrappers' literal prefixes (components/decode). */

export function startsWith(buf: Uint8Array, at: number, end: number, prefix: Uint8Array): boolean {
  if (end - at < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[at + i] !== prefix[i]) return false;
  return true;
}

/**
 * `needle` in `buf[from, end)`, or -1. Searches for the needle's rarest byte (its second:
 * `-` of ` - `, `]` of `] - `) with the native single-byte search, which is far cheaper per
 * call than a multi-byte search, then checks the neighbours.
 */
export function indexOf(buf: Buffer, needle: Buffer, from: number, end: number, keyAt = 1): number {
  const n = needle.length;
  const key = needle[keyAt];
  let i = buf.indexOf(key, from + keyAt);
  while (i >= 0 && i - keyAt + n <= end) {
    let k = 0;
    while (k < n && buf[i - keyAt + k] === needle[k]) k++;
    if (k === n) return i - keyAt;
    i = buf.indexOf(key, i + 1);
  }
  return -1;
}

/** The last `needle` starting at or after `from` and ending at or before `end`, or -1 (scans backwards). */
export function lastIndexOf(buf: Buffer, needle: Buffer, from: number, end: number): number {
  const n = needle.length;
  for (let i = end - n; i >= from; i--) {
    let k = 0;
    while (k < n && buf[i + k] === needle[k]) k++;
    if (k === n) return i;
  }
  return -1;
}
