/** Byte matchers for the fields a wrapper puts before the line: the runtime's stamp (literal prefixes: `startsWith`, parse/scanner.ts). */

/**
 * `yyyy-MM-ddTHH:mm:ss[.fraction](Z|±hh[:]mm)` at `p`: returns where it ends, or -1.
 * Loose on purpose (the kubelet writes nanoseconds and `Z`; kubectl may print offsets).
 */
export function rfc3339End(buf: Buffer, p: number, end: number): number {
  if (end - p < 20) return -1;
  if (!isDigits(buf, p, 4) || buf[p + 4] !== 45 || !isDigits(buf, p + 5, 2) || buf[p + 7] !== 45 || !isDigits(buf, p + 8, 2) || buf[p + 10] !== 84) return -1;
  let q = p + 11;
  while (q < end && ((buf[q] >= 48 && buf[q] <= 57) || buf[q] === 58 || buf[q] === 46)) q++;
  if (q - (p + 11) < 8) return -1;
  if (buf[q] === 90) return q + 1;
  if (buf[q] === 43 || buf[q] === 45) {
    let r = q + 1;
    while (r < end && ((buf[r] >= 48 && buf[r] <= 57) || buf[r] === 58)) r++;
    return r - q >= 5 ? r : -1;
  }
  return -1;
}

/** Whether OpenUnison's own line starts at `p`: `[` and a digit (its log4j stamp). */
export function isLog4jStart(buf: Buffer, p: number, end: number): boolean {
  return p + 1 < end && buf[p] === 91 && buf[p + 1] >= 48 && buf[p + 1] <= 57;
}

function isDigits(buf: Buffer, p: number, n: number): boolean {
  for (let i = p; i < p + n; i++) if (buf[i] < 48 || buf[i] > 57) return false;
  return true;
}
