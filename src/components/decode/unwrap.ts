import type { RecordHandler } from './record-decoder.js';
import { DEFAULT_MAX_LINE_BYTES } from './line-reader.js';
import type { DocumentFormat } from './export-record.js';
import { Cri } from './cri.js';
import { DockerJson } from './docker-json.js';
import { KubectlPrefix, KubectlTimestamps } from './kubectl-logs.js';
import { SternLines } from './stern.js';

/**
 * How a file wraps OpenUnison's log4j lines: not at all, docker json-file (and NDJSON
 * shippers: `log`, `message` or Loki's `line`), CRI (containerd, CRI-O),
 * `kubectl logs --timestamps` (each line behind an RFC 3339 stamp and a space), or
 * `kubectl logs --prefix` (each line behind `[pod/<pod>/<container>] `, then a stamp too with
 * `--timestamps`), stern's default output (`<pod> <container> <text>`); `loki` is
 * `logcli query --output=jsonl` (read like docker's NDJSON).
 */
export type LineFormat = 'plain' | 'docker' | 'cri' | 'kubectl' | 'kubectl-prefix' | 'stern' | 'loki';

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

/** The unwrapper for a format (detect-format.ts tells it from an input's first line). */
export function unwrapperFor(format: LineFormat, out: RecordHandler, maxLineBytes = DEFAULT_MAX_LINE_BYTES): Unwrapper {
  switch (format) {
    case 'plain':
      return new Plain(out);
    case 'kubectl':
      return new KubectlTimestamps(out);
    case 'kubectl-prefix':
      return new KubectlPrefix(out);
    case 'stern':
      return new SternLines(out);
    case 'cri':
      return new Cri(out, maxLineBytes);
    case 'docker':
    case 'loki':
      return new DockerJson(out, maxLineBytes);
  }
}

/** No wrapper: each line is a record. */
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
