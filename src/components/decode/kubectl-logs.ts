import type { RecordHandler } from './record-decoder.js';
import type { Unwrapper } from './unwrap.js';
import { startsWith } from '../parse/scanner.js';
import { rfc3339End } from './wrapper-fields.js';

/** `kubectl logs --timestamps`: the kubelet's stamp, a space, then the line (already joined). */
export class KubectlTimestamps implements Unwrapper {
  stamp: string | null = null;
  constructor(protected readonly out: RecordHandler) {}
  line(buf: Buffer, start: number, end: number, endOffset: number, lineNo: number): void {
    this.unwrap(buf, start, end, endOffset, lineNo, -1, -1);
  }
  /** Takes the stamp off (when there is one) and hands the record on with the pod names a subclass read before it (-1: none; see RecordHandler). */
  protected unwrap(buf: Buffer, start: number, end: number, endOffset: number, lineNo: number, podAt: number, podEnd: number): void {
    const stampEnd = rfc3339End(buf, start, end);
    if (stampEnd < 0 || buf[stampEnd] !== 32) return this.out.record(buf, start, end, endOffset, lineNo, podAt, podEnd);
    this.stamp = buf.toString('latin1', start, stampEnd);
    this.out.record(buf, stampEnd + 1, end, endOffset, lineNo, podAt, podEnd);
  }
  oversized(endOffset: number, lineNo: number): void {
    this.out.skip('oversized', endOffset, lineNo);
  }
  finish(): void {}
}

/**
 * `kubectl logs --prefix` (with or without `--timestamps`): `[pod/<pod>/<container>] `, the
 * optional stamp and a space, then the line. A line without the prefix (kubectl's own
 * messages) is read as it is.
 */
export class KubectlPrefix extends KubectlTimestamps {
  override line(buf: Buffer, start: number, end: number, endOffset: number, lineNo: number): void {
    const after = podPrefixEnd(buf, start, end);
    if (after < 0) return this.out.record(buf, start, end, endOffset, lineNo);
    // The pod names: `pod/<pod>/<container>`, between `[` and `] `.
    this.unwrap(buf, after, end, endOffset, lineNo, start + 1, after - 2);
  }
}

const POD_PREFIX = Buffer.from('[pod/');

/**
 * Where the line starts after kubectl's `[pod/<pod>/<container>] ` prefix, or -1. Pod and
 * container names are DNS labels (letters, digits, `-`, `.`), so the first `] ` ends it.
 */
export function podPrefixEnd(buf: Buffer, p: number, end: number): number {
  if (!startsWith(buf, p, end, POD_PREFIX)) return -1;
  let slashes = 0;
  for (let q = p + POD_PREFIX.length; q < end && q < p + 600; q++) {
    const c = buf[q];
    if (c === 47 /* / */) slashes++;
    else if (c === 93 /* ] */) return slashes === 1 && buf[q + 1] === 32 ? q + 2 : -1;
    else if (!(c === 45 || c === 46 || (c >= 48 && c <= 57) || (c >= 97 && c <= 122) || (c >= 65 && c <= 90))) return -1;
  }
  return -1;
}
