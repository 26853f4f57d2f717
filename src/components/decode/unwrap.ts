import type { RecordHandler } from './record-decoder.js';
import { DEFAULT_MAX_LINE_BYTES } from './line-reader.js';
import type { DocumentFormat } from './export-record.js';

/**
 * How a file wraps OpenUnison's log4j lines: not at all, docker json-file (and NDJSON
 * shippers: `log`, `message` or Loki's `line`), CRI (containerd, CRI-O),
 * `kubectl logs --timestamps` (each line behind an RFC 3339 stamp and a space), or
 * `kubectl logs --prefix` (each line behind `[pod/<pod>/<container>] `, then a stamp too with
 * `--timestamps`); `loki` is `logcli query --output=jsonl` (read like docker's NDJSON).
 */
export type LineFormat = 'plain' | 'docker' | 'cri' | 'kubectl' | 'kubectl-prefix' | 'loki';

/** Line formats, and JSON documents (exports, JSON layouts: see json-documents.ts). */
export type InputFormat = LineFormat | DocumentFormat;

/** Unwraps one physical line at a time; lines handed on may be ranges of a scratch buffer. */
export interface Unwrapper {
  line(buf: Buffer, start: number, end: number, endOffset: number, lineNo: number): void;
  oversized(endOffset: number, lineNo: number): void;
  /** The input ended: partial records that never completed are skipped as truncated. */
  finish(lineNo: number): void;
  /** The kubelet's stamp of the last record, where the wrapper has one. */
  readonly stamp: string | null;
}

/** Recognises the wrapper from the first non-empty line of an input. */
export function detectFormat(buf: Buffer, start: number, end: number): LineFormat {
  let p = start;
  while (p < end && (buf[p] === 32 || buf[p] === 9)) p++;
  if (buf[p] === 123 /* { */) return 'docker';
  if (podPrefixEnd(buf, p, end) > 0) return 'kubectl-prefix';
  const stampEnd = rfc3339End(buf, p, end);
  if (stampEnd < 0 || buf[stampEnd] !== 32) return 'plain';
  const after = stampEnd + 1;
  if (startsWith(buf, after, end, STDOUT_SP) || startsWith(buf, after, end, STDERR_SP)) {
    const tagAt = after + 7;
    let q = tagAt;
    while (q < end && buf[q] !== 32) q++;
    if (q > tagAt && isTag(buf, tagAt, q)) return 'cri';
  }
  return 'kubectl';
}

export function unwrapperFor(format: LineFormat, out: RecordHandler, maxLineBytes = DEFAULT_MAX_LINE_BYTES): Unwrapper {
  switch (format) {
    case 'plain':
      return new Plain(out);
    case 'kubectl':
      return new KubectlTimestamps(out);
    case 'kubectl-prefix':
      return new KubectlPrefix(out);
    case 'cri':
      return new Cri(out, maxLineBytes);
    case 'docker':
    case 'loki':
      return new DockerJson(out, maxLineBytes);
  }
}

const STDOUT_SP = Buffer.from('stdout ');
const STDERR_SP = Buffer.from('stderr ');

class Plain implements Unwrapper {
  readonly stamp = null;
  constructor(private readonly out: RecordHandler) {}
  line(buf: Buffer, start: number, end: number, endOffset: number, lineNo: number): void {
    this.out.record(buf, start, end, endOffset, lineNo);
  }
  oversized(endOffset: number, lineNo: number): void {
    this.out.skip('oversized', endOffset, lineNo);
  }
  finish(): void {}
}

/** `kubectl logs --timestamps`: the kubelet's stamp, a space, then the line (already joined). */
class KubectlTimestamps implements Unwrapper {
  stamp: string | null = null;
  constructor(protected readonly out: RecordHandler) {}
  line(buf: Buffer, start: number, end: number, endOffset: number, lineNo: number): void {
    const stampEnd = rfc3339End(buf, start, end);
    if (stampEnd < 0 || buf[stampEnd] !== 32) return this.out.record(buf, start, end, endOffset, lineNo);
    this.stamp = buf.toString('latin1', start, stampEnd);
    this.out.record(buf, stampEnd + 1, end, endOffset, lineNo);
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
class KubectlPrefix extends KubectlTimestamps {
  override line(buf: Buffer, start: number, end: number, endOffset: number, lineNo: number): void {
    const after = podPrefixEnd(buf, start, end);
    if (after < 0) return this.out.record(buf, start, end, endOffset, lineNo);
    super.line(buf, after, end, endOffset, lineNo);
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

/** A record being joined from partial fragments (one per stream). */
class Partial {
  buf: Buffer = Buffer.allocUnsafe(1024);
  len = 0;
  active = false;
  /** Grew past the limit: its bytes are let go, the rest ignored until its end. */
  dropped = false;
  startOffset = 0;

  append(src: Buffer, start: number, end: number, max: number): void {
    if (this.dropped) return;
    const n = end - start;
    if (this.len + n > max) {
      this.dropped = true;
      this.len = 0;
      return;
    }
    if (this.len + n > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.len + n, this.buf.length * 2));
      this.buf.copy(grown, 0, 0, this.len);
      this.buf = grown;
    }
    src.copy(this.buf, this.len, start, end);
    this.len += n;
  }
}

/**
 * Joins a wrapper's partial records (docker splits lines over 16 KiB, CRI marks them `P`) per
 * stream, bounded by the line limit. While a partial record is pending, records of the other
 * stream report the partial's start as their resume offset, so a restart re-reads it.
 */
abstract class PartialJoining implements Unwrapper {
  stamp: string | null = null;
  private readonly streams = [new Partial(), new Partial()];
  private lineStart = 0;

  constructor(
    protected readonly out: RecordHandler,
    private readonly maxLineBytes: number,
  ) {}

  abstract line(buf: Buffer, start: number, end: number, endOffset: number, lineNo: number): void;

  oversized(endOffset: number, lineNo: number): void {
    this.out.skip('oversized', this.resumeOffset(endOffset), lineNo);
    this.lineStart = endOffset;
  }

  finish(lineNo: number): void {
    const resume = this.resumeOffset(Number.MAX_SAFE_INTEGER);
    for (const p of this.streams) {
      if (!p.active) continue;
      this.out.skip('truncated', resume, lineNo);
      p.active = false;
      p.len = 0;
    }
  }

  /** One unwrapped fragment of `stream` (0 stdout, 1 stderr). */
  protected fragment(stream: number, buf: Buffer, start: number, end: number, complete: boolean, endOffset: number, lineNo: number): void {
    const lineStart = this.lineStart;
    this.lineStart = endOffset;
    const p = this.streams[stream];
    if (!complete) {
      if (!p.active) {
        p.active = true;
        p.dropped = false;
        p.len = 0;
        p.startOffset = lineStart;
      }
      p.append(buf, start, end, this.maxLineBytes);
      return;
    }
    if (p.active) {
      p.append(buf, start, end, this.maxLineBytes);
      p.active = false;
      const resume = this.resumeOffset(endOffset);
      if (p.dropped) this.out.skip('oversized', resume, lineNo);
      else this.out.record(p.buf, 0, p.len, resume, lineNo);
      p.len = 0;
      return;
    }
    this.out.record(buf, start, end, this.resumeOffset(endOffset), lineNo);
  }

  protected malformed(endOffset: number, lineNo: number): void {
    this.lineStart = endOffset;
    this.out.skip('malformed', this.resumeOffset(endOffset), lineNo);
  }

  protected blank(endOffset: number, lineNo: number): void {
    this.lineStart = endOffset;
    this.out.skip('continuation', this.resumeOffset(endOffset), lineNo);
  }

  private resumeOffset(endOffset: number): number {
    let offset = endOffset;
    for (const p of this.streams) if (p.active && p.startOffset < offset) offset = p.startOffset;
    return offset;
  }
}

/** CRI (containerd, CRI-O): `<RFC 3339 time> <stream> <tag> <text>`; tag `P` = partial, `F` = full. */
class Cri extends PartialJoining {
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

/**
 * Docker's json-file driver and NDJSON shippers: one JSON object per line, the text in `log`
 * (docker), `message` (fluent-bit, vector) or `line` (Loki's `logcli --output=jsonl`); docker
 * marks a complete line with a trailing newline. Strings are unescaped into a scratch buffer
 * without building JavaScript strings on the common path.
 */
class DockerJson extends PartialJoining {
  private scratch = Buffer.allocUnsafe(4096);

  line(buf: Buffer, start: number, end: number, endOffset: number, lineNo: number): void {
    if (start === end) return this.blank(endOffset, lineNo);
    let n = this.fastText(buf, start, end);
    let stream = 0;
    if (n >= 0) {
      stream = hasStderr(buf, start, end) ? 1 : 0;
    } else {
      const slow = slowText(buf, start, end);
      if (slow === null) return this.malformed(endOffset, lineNo);
      stream = slow.stream === 'stderr' ? 1 : 0;
      this.isDockerLog = slow.docker;
      n = this.put(slow.text);
    }
    let complete = n > 0 && this.scratch[n - 1] === 10;
    if (complete) n--;
    // Docker records that do not say (fluent-bit's `message`, Loki's `line`) are complete lines.
    if (!complete && !this.isDockerLog) complete = true;
    if (complete && n > 0 && this.scratch[n - 1] === 13) n--;
    this.fragment(stream, this.scratch, 0, n, complete, endOffset, lineNo);
  }

  /** Whether the text came from docker's `log` field (which marks complete lines with `\n`). */
  private isDockerLog = true;

  /**
   * Finds `"log":"`, `"message":"` or `"line":"` and unescapes the string value into the
   * scratch buffer; returns its length, or -1 when the line needs the general JSON parser.
   */
  private fastText(buf: Buffer, start: number, end: number): number {
    let at = indexIn(buf, LOG_KEY, start, end);
    this.isDockerLog = true;
    let keyLen = LOG_KEY.length;
    if (at < 0) {
      this.isDockerLog = false;
      at = indexIn(buf, MESSAGE_KEY, start, end);
      keyLen = MESSAGE_KEY.length;
      if (at < 0) {
        at = indexIn(buf, LINE_KEY, start, end);
        keyLen = LINE_KEY.length;
      }
    }
    if (at < 0) return -1;
    let p = at + keyLen;
    let n = 0;
    if (this.scratch.length < end - p) this.scratch = Buffer.allocUnsafe(Math.max(end - p, this.scratch.length * 2));
    const out = this.scratch;
    for (;;) {
      if (p >= end) return -1;
      const c = buf[p];
      if (c === 34) break; // closing quote
      if (c !== 92) {
        out[n++] = c;
        p++;
        continue;
      }
      const e = buf[p + 1];
      p += 2;
      switch (e) {
        case 110: out[n++] = 10; break; // \n
        case 116: out[n++] = 9; break; // \t
        case 114: out[n++] = 13; break; // \r
        case 34: out[n++] = 34; break;
        case 92: out[n++] = 92; break;
        case 47: out[n++] = 47; break;
        case 98: out[n++] = 8; break;
        case 102: out[n++] = 12; break;
        case 117: {
          let cp = hex4(buf, p, end);
          if (cp < 0) return -1;
          p += 4;
          if (cp >= 0xd800 && cp <= 0xdbff && buf[p] === 92 && buf[p + 1] === 117) {
            const lo = hex4(buf, p + 2, end);
            if (lo >= 0xdc00 && lo <= 0xdfff) {
              cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
              p += 6;
            }
          }
          // A surrogate without its pair has no UTF-8 form: U+FFFD, as JSON.parse + UTF-8 gives.
          if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
          n += utf8(out, n, cp);
          break;
        }
        default:
          return -1;
      }
    }
    return n;
  }

  private put(text: string): number {
    const need = Buffer.byteLength(text);
    if (need > this.scratch.length) this.scratch = Buffer.allocUnsafe(Math.max(need, this.scratch.length * 2));
    return this.scratch.write(text);
  }
}

const LOG_KEY = Buffer.from('"log":"');
const MESSAGE_KEY = Buffer.from('"message":"');
const LINE_KEY = Buffer.from('"line":"');
const STDERR_FIELD = Buffer.from('"stream":"stderr"');

function hasStderr(buf: Buffer, start: number, end: number): boolean {
  return indexIn(buf, STDERR_FIELD, start, end) >= 0;
}

/** Where `key` starts within `buf[start, end)`, or -1 (never searching past the line). */
function indexIn(buf: Buffer, key: Buffer, start: number, end: number): number {
  const at = buf.subarray(start, end).indexOf(key);
  return at < 0 ? -1 : start + at;
}

/** The general path: a JSON object with a string `log`, `message` or `line`. */
function slowText(buf: Buffer, start: number, end: number): { text: string; stream: string; docker: boolean } | null {
  let value: unknown;
  try {
    value = JSON.parse(buf.toString('utf8', start, end));
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const rec = value as Record<string, unknown>;
  const text = typeof rec.log === 'string' ? rec.log : typeof rec.message === 'string' ? rec.message : typeof rec.line === 'string' ? rec.line : null;
  if (text === null) return null;
  return { text, stream: typeof rec.stream === 'string' ? rec.stream : 'stdout', docker: typeof rec.log === 'string' };
}

function hex4(buf: Buffer, p: number, end: number): number {
  if (p + 4 > end) return -1;
  let v = 0;
  for (let i = p; i < p + 4; i++) {
    const c = buf[i];
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

function utf8(out: Buffer, n: number, cp: number): number {
  if (cp < 0x80) {
    out[n] = cp;
    return 1;
  }
  if (cp < 0x800) {
    out[n] = 0xc0 | (cp >> 6);
    out[n + 1] = 0x80 | (cp & 63);
    return 2;
  }
  if (cp < 0x10000) {
    out[n] = 0xe0 | (cp >> 12);
    out[n + 1] = 0x80 | ((cp >> 6) & 63);
    out[n + 2] = 0x80 | (cp & 63);
    return 3;
  }
  out[n] = 0xf0 | (cp >> 18);
  out[n + 1] = 0x80 | ((cp >> 12) & 63);
  out[n + 2] = 0x80 | ((cp >> 6) & 63);
  out[n + 3] = 0x80 | (cp & 63);
  return 4;
}

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

function isDigits(buf: Buffer, p: number, n: number): boolean {
  for (let i = p; i < p + n; i++) if (buf[i] < 48 || buf[i] > 57) return false;
  return true;
}

function startsWith(buf: Buffer, at: number, end: number, prefix: Buffer): boolean {
  if (end - at < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[at + i] !== prefix[i]) return false;
  return true;
}

/** CRI tags: upper-case letters separated by `:` (`F`, `P`, future `F:X`). */
function isTag(buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = buf[i];
    if (!((c >= 65 && c <= 90) || c === 58)) return false;
  }
  return true;
}
