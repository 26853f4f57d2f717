import { PartialJoining } from './partial-joining.js';
import { startsWith } from '../parse/scanner.js';
import { rfc3339End } from './wrapper-fields.js';

/** The stream field and its space (detect-format.ts looks for them too). */
export const STDOUT_SP = Buffer.from('stdout ');
export const STDERR_SP = Buffer.from('stderr ');

/** CRI (containerd, CRI-O): `<RFC 3339 time> <stream> <tag> <text>`; tag `P` = partial, `F` = full. */
export class Cri extends PartialJoining {
  line(buf: Buffer, start: number, end: number, endOffset: number, lineNo: number): void {
    if (start === end) return this.blank(endOffset, lineNo);
    const stampEnd = rfc3339End(buf, start, end);
    if (stampEnd < 0 || buf[stampEnd] !== 32) return this.malformed(endOffset, lineNo);
    const at = stampEnd + 1;
    let stream: number;
    if (startsWith(buf, at, end, STDOUT_SP)) stream = 0;
    else if (startsWith(buf, at, end, STDERR_SP)) stream = 1;
    else return this.malformed(endOffset, lineNo);
    const tagAt = at + 7;
    let tagEnd = tagAt;
    while (tagEnd < end && buf[tagEnd] !== 32) tagEnd++;
    if (tagEnd === tagAt || !isTag(buf, tagAt, tagEnd)) return this.malformed(endOffset, lineNo);
    let partial = false;
    for (let i = tagAt; i < tagEnd; i++) if (buf[i] === 80 /* P */ && (i === tagAt || buf[i - 1] === 58) && (i + 1 === tagEnd || buf[i + 1] === 58)) partial = true;
    this.stamp = buf.toString('latin1', start, stampEnd);
    const textAt = tagEnd < end ? tagEnd + 1 : end; // `F` with an empty line and no trailing space
    this.fragment(stream, buf, textAt, end, !partial, endOffset, lineNo);
  }
}

/** CRI tags: upper-case letters separated by `:` (`F`, `P`, future `F:X`). */
export function isTag(buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = buf[i];
    if (!((c >= 65 && c <= 90) || c === 58)) return false;
  }
  return true;
}
