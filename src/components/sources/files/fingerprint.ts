import { createHash } from 'node:crypto';

/** How much of an input's beginning identifies it. */
export const FINGERPRINT_BYTES = 4096;

/**
 * An input's identity: sha1 of its first line (at most 4 KiB). It survives renames (rotation)
 * and copies, and changes when a file is truncated and rewritten. Log4j lines start with a
 * millisecond timestamp and a thread, so two different logs practically never share one.
 * Returns null while the first line is incomplete and shorter than the limit, unless `eof`.
 */
export function fingerprintOf(head: Buffer, eof: boolean): string | null {
  const nl = head.indexOf(10);
  let end: number;
  if (nl >= 0 && nl < FINGERPRINT_BYTES) end = nl + 1;
  else if (head.length >= FINGERPRINT_BYTES) end = FINGERPRINT_BYTES;
  else if (eof) end = head.length;
  else return null;
  if (end === 0) return null;
  return createHash('sha1').update(head.subarray(0, end)).digest('hex');
}
