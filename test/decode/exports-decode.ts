import assert from 'node:assert/strict';
import { RecordDecoder } from '../../src/components/decode/record-decoder.js';

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

export function decode(input: string | Buffer, opts: { chunk?: number; start?: number; startLine?: number; max?: number; tz?: string } = {}): Decoded {
  const bytes = typeof input === 'string' ? Buffer.from(input) : input;
  const out: Outcome[] = [];
  const d = new RecordDecoder(
    {
      record: (buf, start, end, resume, lineNo) => out.push({ text: buf.toString('utf8', start, end), skip: null, resume, lineNo }),
      skip: (kind, resume, lineNo) => out.push({ text: null, skip: kind, resume, lineNo }),
    },
    opts.start ?? 0,
    opts.startLine ?? 0,
    opts.max,
    null,
    opts.tz ?? 'UTC',
  );
  const size = Math.max(opts.chunk ?? bytes.length, 1);
  for (let i = 0; i < bytes.length; i += size) d.write(bytes.subarray(i, i + size));
  const pending = d.end();
  return { format: d.format, out, pending };
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
