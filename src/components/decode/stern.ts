import { KubectlTimestamps } from './kubectl-logs.js';
import { isLog4jStart, rfc3339End } from './wrapper-fields.js';

/**
 * stern's default output: `<pod> <container> <text>`, with `--timestamps` a stamp before the
 * text (RFC 3339 with nanoseconds, or `MM-DD HH:mm:ss` with `--timestamps=short`), and the
 * namespace first when stern follows several namespaces. With `--color always` the names are
 * wrapped in colour escapes. Pods are interleaved as their lines arrive, close to log-time
 * order already. A line without the prefix (stern's own `+ pod › container` notices, when
 * stderr went to the file too) is read as it is; before the first line that shows the prefix
 * such lines do not decide the input's format either (record-decoder.ts).
 */
export class SternLines extends KubectlTimestamps {
  /** How many names come before the text (2, or 3 with the namespace): learnt from the first line that shows it. */
  private names: number | null = null;

  override line(buf: Buffer, start: number, end: number, endOffset: number, lineNo: number): void {
    if (this.names === null) this.names = sternNames(buf, start, end);
    const after = this.names === null ? -1 : namesEnd(buf, start, end, this.names);
    if (after < 0) return this.out.record(buf, start, end, endOffset, lineNo);
    // The pod names are the names as written, up to the space before the text (colour escapes
    // included: stern gives each pod its own colours).
    const short = shortStampEnd(buf, after, end);
    if (short > 0) return this.out.record(buf, short, end, endOffset, lineNo, start, after - 1);
    this.unwrap(buf, after, end, endOffset, lineNo, start, after - 1);
  }
}

/**
 * How many names (2: pod and container, 3: namespace first) start a line of stern's default
 * output, or null: the names must be followed by what OpenUnison writes (a log4j stamp
 * `[yyyy-`) or by a stern stamp, or the line is not taken for stern's.
 */
export function sternNames(buf: Buffer, p: number, end: number): number | null {
  let q = p;
  for (let names = 1; names <= 3; names++) {
    q = nameEnd(buf, q, end);
    if (q < 0) return null;
    if (names >= 2 && startsText(buf, q, end)) return names;
  }
  return null;
}

/** Where the text starts after `n` names, or -1. */
function namesEnd(buf: Buffer, p: number, end: number, n: number): number {
  let q = p;
  for (let i = 0; i < n && q >= 0; i++) q = nameEnd(buf, q, end);
  return q;
}

/**
 * A Kubernetes name (DNS-1123: lowercase letters, digits, `-` and `.`, at most 253 bytes),
 * perhaps in colour escapes, and one space at `p`: where the next field starts, or -1.
 */
function nameEnd(buf: Buffer, p: number, end: number): number {
  let q = skipEscapes(buf, p, end);
  const from = q;
  while (q < end && q - from < 253 && isNameByte(buf[q])) q++;
  if (q === from || buf[from] === 45 || buf[from] === 46) return -1;
  q = skipEscapes(buf, q, end);
  return buf[q] === 32 && q < end ? q + 1 : -1;
}

function isNameByte(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 46;
}

/** Past any `ESC [ digits/semicolons m` (SGR colour) sequences at `p`. */
function skipEscapes(buf: Buffer, p: number, end: number): number {
  let q = p;
  while (q + 2 < end && buf[q] === 27 && buf[q + 1] === 91) {
    let r = q + 2;
    while (r < end && ((buf[r] >= 48 && buf[r] <= 57) || buf[r] === 59)) r++;
    if (buf[r] !== 109) return q;
    q = r + 1;
  }
  return q;
}

/** Whether OpenUnison's text (`[` and a digit) or a stern stamp starts at `p`. */
function startsText(buf: Buffer, p: number, end: number): boolean {
  if (isLog4jStart(buf, p, end)) return true;
  const stamp = rfc3339End(buf, p, end);
  if (stamp > 0 && buf[stamp] === 32) return true;
  return shortStampEnd(buf, p, end) > 0;
}

const SHORT_STAMP = 'dd-dd dd:dd:dd ';

/** Past stern's `--timestamps=short` stamp (`MM-DD HH:mm:ss` and a space) at `p`, or -1. */
function shortStampEnd(buf: Buffer, p: number, end: number): number {
  if (end - p < SHORT_STAMP.length + 1) return -1;
  for (let i = 0; i < SHORT_STAMP.length; i++) {
    const c = buf[p + i];
    const want = SHORT_STAMP.charCodeAt(i);
    if (want === 100 /* d */ ? c < 48 || c > 57 : c !== want) return -1;
  }
  return p + SHORT_STAMP.length;
}
