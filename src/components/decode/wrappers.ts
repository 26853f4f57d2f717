import type { SkipReason } from '../../core/events.js';
import type { LineSink } from './lines.js';

/**
 * How a file wraps OpenUnison's log4j lines: not at all, docker json-file, CRI (containerd,
 * CRI-O), or `kubectl logs --timestamps` (each line behind an RFC 3339 stamp and a space).
 */
export type InputFormat = 'plain' | 'docker' | 'cri' | 'kubectl';

/**
 * Receives unwrapped log4j lines. `resumeOffset` is where a restarted reader must begin so
 * that this record is not read again and nothing after it is missed.
 */
export interface RecordSink {
  record(text: string, resumeOffset: number): void;
  skip(reason: SkipReason, resumeOffset: number): void;
}

const CRI_PREFIX = /^\d{4}-\d{2}-\d{2}T[0-9:.]+(?:Z|[+-]\d{2}:?\d{2}) (?:stdout|stderr) [A-Z:]+ /;
const KUBECTL_PREFIX = /^\d{4}-\d{2}-\d{2}T[0-9:.]+(?:Z|[+-]\d{2}:?\d{2}) /;

/** Recognises the wrapper from the first non-empty line of an input. */
export function detectFormat(firstLine: string): InputFormat {
  const s = firstLine.trimStart();
  if (s.startsWith('{')) return 'docker';
  if (CRI_PREFIX.test(s)) return 'cri';
  if (KUBECTL_PREFIX.test(s)) return 'kubectl';
  return 'plain';
}

/** Unwraps lines; `finish` reports what was still waiting for its end when the input ended. */
export interface Decoder extends LineSink {
  finish(): void;
}

export function createDecoder(format: InputFormat, sink: RecordSink, maxLineBytes: number): Decoder {
  switch (format) {
    case 'plain':
      return new PlainDecoder(sink);
    case 'docker':
      return new DockerJsonDecoder(sink, maxLineBytes);
    case 'cri':
      return new CriDecoder(sink, maxLineBytes);
    case 'kubectl':
      return new KubectlTimestampsDecoder(sink);
  }
}

/** Lines are the records. */
class PlainDecoder implements Decoder {
  constructor(private readonly sink: RecordSink) {}
  finish(): void {}
  line(text: string, endOffset: number): void {
    this.sink.record(text, endOffset);
  }
  oversized(endOffset: number): void {
    this.sink.skip('oversized', endOffset);
  }
}

/**
 * `kubectl logs --timestamps`: the kubelet's stamp, a space, then the line (no stream, no
 * partial flag: kubectl already joined them). A line without the stamp is kept as it is.
 */
class KubectlTimestampsDecoder implements Decoder {
  constructor(private readonly sink: RecordSink) {}
  finish(): void {}
  line(text: string, endOffset: number): void {
    const m = KUBECTL_PREFIX.exec(text);
    this.sink.record(m === null ? text : text.slice(m[0].length), endOffset);
  }
  oversized(endOffset: number): void {
    this.sink.skip('oversized', endOffset);
  }
}

/**
 * Joins a wrapper's partial records (docker splits lines over 16 KiB, CRI marks them `P`)
 * per stream, bounded by the line limit. While a partial record is pending, records of the
 * other stream report the partial's start as their resume offset, so a restart re-reads it.
 */
abstract class PartialJoiningDecoder implements Decoder {
  /** `dropped`: the record grew past the limit; its parts are let go and the rest ignored until its end. */
  private readonly pending = new Map<string, { parts: string[]; size: number; startOffset: number; dropped: boolean }>();
  private lineStart = 0;

  constructor(
    protected readonly sink: RecordSink,
    private readonly maxLineBytes: number,
  ) {}

  abstract line(text: string, endOffset: number): void;

  oversized(endOffset: number): void {
    this.sink.skip('oversized', this.resumeOffset(endOffset));
    this.lineStart = endOffset;
  }

  /** A partial record never completed: skipped as truncated, and not consumed. */
  finish(): void {
    const resume = this.resumeOffset(Number.MAX_SAFE_INTEGER);
    for (let i = 0; i < this.pending.size; i++) this.sink.skip('truncated', resume);
    this.pending.clear();
  }

  /** Called by subclasses for each unwrapped fragment. */
  protected fragment(stream: string, text: string, complete: boolean, endOffset: number): void {
    const lineStart = this.lineStart;
    this.lineStart = endOffset;
    const open = this.pending.get(stream);
    if (!complete) {
      if (open) {
        if (open.dropped) return;
        open.parts.push(text);
        open.size += text.length;
        if (open.size > this.maxLineBytes) {
          // Reported once, when the record ends; until then its start stays the resume point.
          open.parts = [];
          open.dropped = true;
        }
      } else {
        this.pending.set(stream, { parts: [text], size: text.length, startOffset: lineStart, dropped: false });
      }
      return;
    }
    if (open) {
      this.pending.delete(stream);
      open.parts.push(text);
      if (open.dropped || open.size + text.length > this.maxLineBytes) this.sink.skip('oversized', this.resumeOffset(endOffset));
      else this.sink.record(open.parts.join(''), this.resumeOffset(endOffset));
      return;
    }
    this.sink.record(text, this.resumeOffset(endOffset));
  }

  protected malformed(endOffset: number): void {
    this.lineStart = endOffset;
    this.sink.skip('malformed', this.resumeOffset(endOffset));
  }

  protected blank(endOffset: number): void {
    this.lineStart = endOffset;
  }

  private resumeOffset(endOffset: number): number {
    let offset = endOffset;
    for (const p of this.pending.values()) if (p.startOffset < offset) offset = p.startOffset;
    return offset;
  }
}

/**
 * Docker's json-file driver (and NDJSON shippers such as fluent-bit): one JSON object per
 * line, the text in `log` (or `message`), a trailing newline when the line is complete.
 */
class DockerJsonDecoder extends PartialJoiningDecoder {
  line(text: string, endOffset: number): void {
    if (text.length === 0) return this.blank(endOffset);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return this.malformed(endOffset);
    }
    if (typeof value !== 'object' || value === null) return this.malformed(endOffset);
    const rec = value as Record<string, unknown>;
    const log = typeof rec.log === 'string' ? rec.log : typeof rec.message === 'string' ? rec.message : null;
    if (log === null) return this.malformed(endOffset);
    const stream = typeof rec.stream === 'string' ? rec.stream : 'stdout';
    const complete = log.endsWith('\n');
    let body = complete ? log.slice(0, -1) : log;
    if (body.endsWith('\r')) body = body.slice(0, -1);
    this.fragment(stream, body, complete, endOffset);
  }
}

/** CRI (containerd, CRI-O): `<RFC3339 time> <stream> <tag> <text>`, tag `P` = partial, `F` = full. */
class CriDecoder extends PartialJoiningDecoder {
  line(text: string, endOffset: number): void {
    if (text.length === 0) return this.blank(endOffset);
    const sp1 = text.indexOf(' ');
    const sp2 = sp1 < 0 ? -1 : text.indexOf(' ', sp1 + 1);
    if (sp2 < 0) return this.malformed(endOffset);
    let sp3 = text.indexOf(' ', sp2 + 1);
    if (sp3 < 0) sp3 = text.length; // `F` with an empty line and no trailing space
    const stream = text.slice(sp1 + 1, sp2);
    const tag = text.slice(sp2 + 1, sp3);
    if ((stream !== 'stdout' && stream !== 'stderr') || tag.length === 0) return this.malformed(endOffset);
    const partial = tag.split(':').includes('P');
    this.fragment(stream, text.slice(sp3 + 1), !partial, endOffset);
  }
}
