import { sha1Hex } from '../../../core/identity.js';

/** The most of an input's beginning a fingerprint looks at. */
export const FINGERPRINT_SCAN_BYTES = 64 * 1024;
/** A record line longer than this is fingerprinted by its first bytes. */
export const FINGERPRINT_LINE_BYTES = 4096;

/**
 * An input's identity: the SHA-1 of its first record line, skipping the lines many logs share
 * at their top (`Picked up JAVA_TOOL_OPTIONS: ...`, a banner, blank lines). A record line is one
 * that starts like a log4j line (`[2024-`), a docker or NDJSON record (`{`, but not a `{` alone
 * on its line, which every pretty-printed JSON export starts with) or a CRI /
 * `kubectl --timestamps` line (a date). A log4j line carries its millisecond and thread, so two
 * logs practically never share one; renamed, copied or compressed copies keep it. A log whose
 * first 64 KiB hold no record line is known by those bytes. Returns null while that cannot be
 * decided yet (unless `eof`).
 */
export function fingerprintOf(head: Buffer, eof: boolean): string | null {
  let pos = 0;
  const limit = Math.min(head.length, FINGERPRINT_SCAN_BYTES);
  while (pos < limit) {
    const nl = head.indexOf(10, pos);
    const end = nl < 0 ? head.length : nl + 1;
    if (startsRecord(head, pos)) {
      if (nl < 0 && end - pos < FINGERPRINT_LINE_BYTES && !eof) return null;
      return sha1Hex(head.subarray(pos, Math.min(end, pos + FINGERPRINT_LINE_BYTES)));
    }
    if (nl < 0) break;
    pos = end;
  }
  if (head.length >= FINGERPRINT_SCAN_BYTES) return sha1Hex(head.subarray(0, FINGERPRINT_SCAN_BYTES));
  if (eof && head.length > 0) return sha1Hex(head);
  return null;
}

function startsRecord(b: Buffer, p: number): boolean {
  if (p < b.length && b[p] === 0xef && b[p + 1] === 0xbb && b[p + 2] === 0xbf) p += 3;
  const c = b[p];
  if (c === 91 /* [ */) return b[p + 1] >= 48 && b[p + 1] <= 57;
  // A lone `{` or `[` opens a pretty-printed JSON document: every such export starts so.
  if (c === 123 /* { */) return !opensOnly(b, p);
  return c >= 48 && c <= 57 && b[p + 4] === 45 /* 2024- */;
}

/** The line at `p` is only `{` or `[` (and blanks). */
function opensOnly(b: Buffer, p: number): boolean {
  let q = p + 1;
  while (q < b.length && (b[q] === 32 || b[q] === 9 || b[q] === 13)) q++;
  return q >= b.length || b[q] === 10;
}

/** SHA-1 of the bytes a checkpoint's tail hash covers: up to 4 KiB before `offset`. */
export const TAIL_HASH_BYTES = 4096;
export function tailHash(bytes: Buffer): string {
  return sha1Hex(bytes);
}
