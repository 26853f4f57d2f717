import { RecordDecoder } from '../../src/components/decode/record-decoder.js';
import type { InputFormat } from '../../src/components/decode/unwrap.js';

/** One thing the decoder handed on: a record's text, or the reason a line is not one. */
export interface Rec {
  text: string | null;
  reason: string | null;
  lineNo: number;
  resume: number;
  /** The pod names the output put before the line (stern, kubectl --prefix), as given to the handler. */
  pod?: string;
}

export interface DecodeOptions {
  /** Bytes per write (the whole input at once when absent). */
  chunk?: number;
  max?: number;
  start?: number;
  startLine?: number;
  format?: InputFormat | null;
  /** The zone JSON events are written back in (RecordDecoder's default: UTC). */
  tz?: string;
}

/** Decodes `input` as one input, in chunks, and collects every record and skip in order. */
export function decode(input: string | Buffer, opts: DecodeOptions = {}): { format: InputFormat | null; records: Rec[]; pending: number; stamps: Array<string | null> } {
  const bytes = typeof input === 'string' ? Buffer.from(input) : input;
  const records: Rec[] = [];
  const stamps: Array<string | null> = [];
  const d: RecordDecoder = new RecordDecoder(
    {
      record: (buf, start, end, resume, lineNo, podAt = -1, podEnd = -1) => {
        const rec: Rec = { text: buf.toString('utf8', start, end), reason: null, lineNo, resume };
        if (podAt >= 0) rec.pod = buf.toString('utf8', podAt, podEnd);
        records.push(rec);
        stamps.push(d.stamp);
      },
      skip: (reason, resume, lineNo) => {
        records.push({ text: null, reason, lineNo, resume });
        stamps.push(d.stamp);
      },
    },
    opts.start ?? 0,
    opts.startLine ?? 0,
    opts.max,
    opts.format ?? null,
    opts.tz,
  );
  const size = Math.max(opts.chunk ?? bytes.length, 1);
  for (let i = 0; i < bytes.length; i += size) d.write(bytes.subarray(i, i + size));
  const pending = d.end();
  return { format: d.format, records, pending, stamps };
}

/** Long texts shortened, so a failure prints a readable diff. */
export const show = (text: string) => (text.length > 200 ? `<${text.length} chars: ${text.slice(0, 30)}…>` : text);
export const texts = (records: Rec[]) => records.filter((r) => r.text !== null).map((r) => show(r.text!));
export const outcomes = (records: Rec[]) => records.map((r) => (r.text === null ? r.reason : show(r.text)));
export const skips = (records: Rec[]) => records.filter((r) => r.text === null).map((r) => r.reason);
