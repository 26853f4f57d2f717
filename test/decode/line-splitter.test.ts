import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LineSplitter, type LineSink } from '../../src/components/decode/lines.js';

// The splitter turns bytes into lines and knows, for each line, the byte offset just past its
// newline: that offset is what a checkpoint stores, so it must be exact whatever the chunking
// and the encoding. Lines over the limit are dropped without being held in memory; a last line
// without a newline is handed back (not consumed), so a later read starts at its beginning.

type Seen = ['line', string, number] | ['oversized', number];

class Collect implements LineSink {
  seen: Seen[] = [];
  line(text: string, endOffset: number): void {
    this.seen.push(['line', text, endOffset]);
  }
  oversized(endOffset: number): void {
    this.seen.push(['oversized', endOffset]);
  }
}

function split(chunks: Buffer[], opts: { start?: number; max?: number } = {}): { seen: Seen[]; tail: string | null; offset: number } {
  const sink = new Collect();
  const s = new LineSplitter(sink, opts.start ?? 0, opts.max);
  for (const c of chunks) s.write(c);
  const tail = s.end();
  return { seen: sink.seen, tail, offset: s.offset };
}

/** Every line with the byte offset after its newline, computed independently. */
function expected(text: string, start = 0): Seen[] {
  const out: Seen[] = [];
  let offset = start;
  const parts = text.split('\n');
  for (let i = 0; i < parts.length - 1; i++) {
    offset += Buffer.byteLength(parts[i]) + 1;
    out.push(['line', parts[i].replace(/\r$/, ''), offset]);
  }
  return out;
}

const MIXED = 'ascii line\nzweite Zeile für Jürgen\n山田太郎 logged in\n\nemoji 🚀 four bytes\r\nlast\n';

describe('exact byte offsets', () => {
  test('ASCII lines, an empty line and CRLF', () => {
    assert.deepEqual(split([Buffer.from('a\nbb\r\n\nccc\n')]).seen, [
      ['line', 'a', 2],
      ['line', 'bb', 6],
      ['line', '', 7],
      ['line', 'ccc', 11],
    ]);
  });

  test('multi-byte UTF-8 lines count bytes, not characters', () => {
    assert.deepEqual(split([Buffer.from(MIXED)]).seen, expected(MIXED));
  });

  test('every split of the input into two chunks gives the same lines and offsets (a character may be cut in the middle)', () => {
    const bytes = Buffer.from(MIXED);
    const want = expected(MIXED);
    for (let i = 0; i <= bytes.length; i++) {
      assert.deepEqual(split([bytes.subarray(0, i), bytes.subarray(i)]).seen, want, `split at byte ${i}`);
    }
  });

  test('one byte at a time', () => {
    const bytes = Buffer.from(MIXED);
    const chunks = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
    assert.deepEqual(split(chunks).seen, expected(MIXED));
  });

  test('a reused read buffer: lines held across chunks are copied, not referenced', () => {
    const bytes = Buffer.from(MIXED);
    const buf = Buffer.alloc(7);
    const sink = new Collect();
    const s = new LineSplitter(sink);
    for (let i = 0; i < bytes.length; i += 7) {
      const n = bytes.copy(buf, 0, i, i + 7);
      s.write(buf.subarray(0, n));
      buf.fill(0x21);
    }
    assert.deepEqual(sink.seen, expected(MIXED));
  });

  test('invalid UTF-8 bytes do not shift the offsets', () => {
    const bytes = Buffer.concat([Buffer.from('ok\n'), Buffer.from([0xff, 0xfe, 0xc3, 0x0a]), Buffer.from('after\n')]);
    const { seen } = split([bytes]);
    assert.deepEqual(seen.map((s) => s[s.length - 1]), [3, 7, 13]);
    assert.equal(seen[2][1], 'after');
  });

  test('offsets continue from the start offset (resuming after a checkpoint)', () => {
    assert.deepEqual(split([Buffer.from('x\nyz\n')], { start: 1000 }).seen, [
      ['line', 'x', 1002],
      ['line', 'yz', 1005],
    ]);
  });
});

describe('the unterminated last line', () => {
  test('is returned by end() and not consumed', () => {
    const r = split([Buffer.from('one\ntwo\nthr'), Buffer.from('ee cut')]);
    assert.deepEqual(r.seen, [
      ['line', 'one', 4],
      ['line', 'two', 8],
    ]);
    assert.equal(r.tail, 'three cut');
    assert.equal(r.offset, 8);
  });
  test('a multi-byte character cut by the end of input', () => {
    const bytes = Buffer.from('ok\nJürgen');
    const r = split([bytes.subarray(0, 5)]);
    assert.equal(r.offset, 3);
    assert.equal(r.tail, 'J\uFFFD');
  });
  test('no tail when the input ends with a newline', () => {
    assert.equal(split([Buffer.from('a\n')]).tail, null);
  });
});

describe('oversized lines', () => {
  test('a line longer than the limit is reported once, by offset, and the next line is intact', () => {
    const text = 'short\n' + 'x'.repeat(17) + '\nnext\n';
    assert.deepEqual(split([Buffer.from(text)], { max: 16 }).seen, [
      ['line', 'short', 6],
      ['oversized', 24],
      ['line', 'next', 29],
    ]);
  });

  test('a line of exactly the limit is kept', () => {
    assert.deepEqual(split([Buffer.from('y'.repeat(16) + '\n')], { max: 16 }).seen, [['line', 'y'.repeat(16), 17]]);
  });

  test('the same, whatever the chunking', () => {
    const text = 'short\n' + 'x'.repeat(17) + '\n' + 'y'.repeat(16) + '\nnext\n';
    const bytes = Buffer.from(text);
    const want = split([bytes], { max: 16 }).seen;
    for (let size = 1; size <= 20; size++) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
      assert.deepEqual(split(chunks, { max: 16 }).seen, want, `chunks of ${size}`);
    }
  });

  test('a 5 MB line is never held whole: held bytes stay near the limit', () => {
    const sink = new Collect();
    const max = 64 * 1024;
    const s = new LineSplitter(sink, 0, max);
    const chunk = Buffer.alloc(16 * 1024, 0x61);
    const baseline = process.memoryUsage().arrayBuffers;
    let peak = 0;
    s.write(Buffer.from('before\n'));
    for (let written = 0; written < 5 * 1024 * 1024; written += chunk.length) {
      s.write(chunk);
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - baseline);
    }
    s.write(Buffer.from('\nafter\n'));
    // Holding the line would grow external memory by 5 MB; the splitter holds at most ~the limit.
    assert.ok(peak < 2 * 1024 * 1024, `external memory grew by ${peak} bytes while reading a 5 MB line`);
    const lineEnd = 7 + 5 * 1024 * 1024 + 1;
    assert.deepEqual(sink.seen, [
      ['line', 'before', 7],
      ['oversized', lineEnd],
      ['line', 'after', lineEnd + 6],
    ]);
  });

  test('an oversized line cut by the end of input is reported by end() (and not consumed)', () => {
    const r = split([Buffer.from('ok\n' + 'z'.repeat(40))], { max: 16 });
    assert.deepEqual(r.seen, [['line', 'ok', 3]]);
    assert.notEqual(r.tail, null);
    assert.equal(r.offset, 3);
  });
});
