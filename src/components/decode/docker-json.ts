import { PartialJoining } from './partial-joining.js';

/**
 * Docker's json-file driver and NDJSON shippers: one JSON object per line, the text in `log`
 * (docker), `message` (fluent-bit, vector) or `line` (Loki's `logcli --output=jsonl`); docker
 * marks a complete line with a trailing newline. Strings are unescaped into a scratch buffer
 * without building JavaScript strings on the common path.
 */
export class DockerJson extends PartialJoining {
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

/**
 * Whether the line is a record of this format (a JSON object with a string `log`, `message` or
 * `line`): a line that merely starts with `{` (a JSON value a plain log printed, binary noise)
 * must not make the whole input JSON lines (record-decoder.ts).
 */
export function isJsonLogRecord(buf: Buffer, start: number, end: number): boolean {
  return slowText(buf, start, end) !== null;
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
