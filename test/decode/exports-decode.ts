import assert from 'node:assert/strict';
import { decode as decodeRecords, type DecodeOptions } from './decode.js';

// Decoding an export as the ingest worker does, outcome by outcome, and reading it again from
// every outcome's resume offset (json-exports.test.ts, platform-exports.test.ts).

export interface Outcome {
  text: string | null;
  skip: string | null;
  resume: number;
  lineNo: number;
}

export interface Decoded {
  format: string | null;
  out: Outcome[];
  pending: number;
}

/** decode.ts's decoding, each outcome with its skip's kind under `skip`. */
export function decode(input: string | Buffer, opts: Pick<DecodeOptions, 'chunk' | 'start' | 'startLine' | 'max' | 'tz'> = {}): Decoded {
  const { format, records, pending } = decodeRecords(input, opts);
  return { format, out: records.map((r) => ({ text: r.text, skip: r.reason, resume: r.resume, lineNo: r.lineNo })), pending };
}

export const texts = (d: Decoded) => d.out.map((o) => o.text ?? `<${o.skip}>`);

/** Reading again from each outcome's resume offset gives exactly the outcomes after it. */
export function assertRestartable(input: string, opts: { max?: number } = {}): void {
  const bytes = Buffer.from(input);
  const whole = decode(bytes, opts).out;
  whole.forEach((o, i) => {
    const again = decode(bytes.subarray(o.resume), { start: o.resume, startLine: o.lineNo, max: opts.max }).out;
    // Lines of one JSON value share its resume offset: a restart after any of them reads what follows the value.
    const after = whole.slice(i + 1).filter((x) => x.resume > o.resume);
    assert.deepEqual(again, after, `restart at byte ${o.resume} (line ${o.lineNo}) after outcome ${i}`);
  });
}
