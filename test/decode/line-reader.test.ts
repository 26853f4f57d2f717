import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LineReader, type LineHandler } from '../../src/components/decode/line-reader.js';

// The line reader turns bytes into lines and knows, for each line, the byte offset just past
// its newline: that offset is what a checkpoint stores, so it must be exact whatever the
// chunking and the encoding. Lines inside a chunk are handed over as ranges of that chunk (no
// copy); a line over the limit is dropped without being held in memory; a last line without a
// newline is not consumed, so a later read starts at its beginning.

type Seen = ['line', string, number] | ['oversized', number];

/** Records each line as text the moment it is handed over (the range is only valid then). */
class Collect implements LineHandler {
  seen: Seen[] = [];
  line(buf: Buffer, start: number, end: number, endOffset: number): void {
    this.seen.push(['line', buf.toString('utf8', start, end), endOffset]);
  }
  oversized(endOffset: number): void {
    this.seen.push(['oversized', endOffset]);
  }
}

function read(chunks: Buffer[], opts: { start?: number; max?: number } = {}): { seen: Seen[]; pending: number; offset: number } {
  const handler = new Collect();
  const r = new LineReader(handler, opts.start ?? 0, opts.max);
  for (const c of chunks) r.write(c);
  const pending = r.end();
  return { seen: handler.seen, pending, offset: r.offset };
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

function inChunksOf(bytes: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return chunks;
}

const MIXED = 'ascii line\nzweite Zeile für Jürgen\n山田太郎 logged in\n\nemoji 🚀 four bytes\r\nlast\n';
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

describe('exact byte offsets', () => {
  test('ASCII lines, an empty line and CRLF', () => {
    assert.deepEqual(read([Buffer.from('a\nbb\r\n\nccc\n')]).seen, [
      ['line', 'a', 2],
      ['line', 'bb', 6],
      ['line', '', 7],
      ['line', 'ccc', 11],
    ]);
  });

  test('only the \\r right before the newline is removed', () => {
    assert.deepEqual(read([Buffer.from('a\rb\r\n\r\r\n\r\n')]).seen, [
      ['line', 'a\rb', 5],
      ['line', '\r', 8],
      ['line', '', 10],
    ]);
  });

  test('multi-byte UTF-8 lines count bytes, not characters', () => {
    assert.deepEqual(read([Buffer.from(MIXED)]).seen, expected(MIXED));
  });

  test('every split of the input into two chunks gives the same lines and offsets (a character may be cut in the middle)', () => {
    const bytes = Buffer.from(MIXED);
    const want = expected(MIXED);
    for (let i = 0; i <= bytes.length; i++) {
      assert.deepEqual(read([bytes.subarray(0, i), bytes.subarray(i)]).seen, want, `split at byte ${i}`);
    }
  });

  test('a CRLF cut between its \\r and its \\n', () => {
    assert.deepEqual(read([Buffer.from('one\r'), Buffer.from('\ntwo\r'), Buffer.from('\n')]).seen, [
      ['line', 'one', 5],
      ['line', 'two', 10],
    ]);
  });

  test('one byte at a time', () => {
    assert.deepEqual(read(inChunksOf(Buffer.from(MIXED), 1)).seen, expected(MIXED));
  });

  test('a reused read buffer: lines held across chunks are copied, not referenced', () => {
    const bytes = Buffer.from(MIXED);
    const buf = Buffer.alloc(7);
    const handler = new Collect();
    const r = new LineReader(handler);
    for (let i = 0; i < bytes.length; i += 7) {
      const n = bytes.copy(buf, 0, i, i + 7);
      r.write(buf.subarray(0, n));
      buf.fill(0x21);
    }
    assert.deepEqual(handler.seen, expected(MIXED));
  });

  test('invalid UTF-8 bytes do not shift the offsets, and are handed over as they are', () => {
    const bad = Buffer.from([0xff, 0xfe, 0xc3]);
    const bytes = Buffer.concat([Buffer.from('ok\n'), bad, Buffer.from('\nafter\n')]);
    const lines: Buffer[] = [];
    const ends: number[] = [];
    const r = new LineReader({
      line: (buf, start, end, endOffset) => {
        lines.push(Buffer.from(buf.subarray(start, end)));
        ends.push(endOffset);
      },
      oversized: () => assert.fail('no line is oversized'),
    });
    r.write(bytes);
    assert.deepEqual(ends, [3, 7, 13]);
    assert.deepEqual(lines[1], bad);
    assert.equal(lines[2].toString(), 'after');
  });

  test('offsets continue from the start offset (resuming after a checkpoint)', () => {
    assert.deepEqual(read([Buffer.from('x\nyz\n')], { start: 1000 }).seen, [
      ['line', 'x', 1002],
      ['line', 'yz', 1005],
    ]);
  });

  test('offset is the end of the last complete line, pendingBytes what waits for its newline', () => {
    const r = new LineReader(new Collect(), 10);
    r.write(Buffer.from('abc\nde'));
    assert.equal(r.offset, 14);
    assert.equal(r.pendingBytes, 2);
    r.write(Buffer.from('f\n'));
    assert.equal(r.offset, 18);
    assert.equal(r.pendingBytes, 0);
  });
});

describe('a UTF-8 byte order mark', () => {
  test('at the input’s first byte it is not part of the first line (its bytes still count in the offsets)', () => {
    assert.deepEqual(read([Buffer.concat([BOM, Buffer.from('first\r\nsecond\n')])]).seen, [
      ['line', 'first', 10],
      ['line', 'second', 17],
    ]);
  });

  test('the same whatever the chunking, even with the mark itself cut in pieces', () => {
    const bytes = Buffer.concat([BOM, Buffer.from('first\nsecond\n')]);
    const want = read([bytes]).seen;
    for (let i = 0; i <= bytes.length; i++) assert.deepEqual(read([bytes.subarray(0, i), bytes.subarray(i)]).seen, want, `split at byte ${i}`);
    assert.deepEqual(read(inChunksOf(bytes, 1)).seen, want, 'one byte at a time');
  });

  test('an input that starts like a mark but is not one keeps its bytes', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb]), Buffer.from('x\n')]);
    for (let i = 0; i <= bytes.length; i++) {
      const { seen } = read([bytes.subarray(0, i), bytes.subarray(i)]);
      assert.equal(seen.length, 1);
      assert.equal(seen[0][2], 4, `split at byte ${i}`);
    }
  });

  test('only at the first byte: a resumed read and later lines keep what they hold', () => {
    const line = '\ufeffnot at the start';
    assert.deepEqual(read([Buffer.from(line + '\n')], { start: 120 }).seen, [['line', line, 120 + Buffer.byteLength(line) + 1]]);
    assert.deepEqual(read([Buffer.from('first\n' + line + '\n')]).seen.map((s) => s[1]), ['first', line]);
  });
});

describe('the unterminated last line', () => {
  test('is not handed over, not consumed, and its length is returned by end()', () => {
    const r = read([Buffer.from('one\ntwo\nthr'), Buffer.from('ee cut')]);
    assert.deepEqual(r.seen, [
      ['line', 'one', 4],
      ['line', 'two', 8],
    ]);
    assert.equal(r.pending, Buffer.byteLength('three cut'));
    assert.equal(r.offset, 8);
  });
  test('a multi-byte character cut by the end of input', () => {
    const bytes = Buffer.from('ok\nJürgen');
    const r = read([bytes.subarray(0, 5)]);
    assert.equal(r.offset, 3);
    assert.equal(r.pending, 2, 'the J and the first byte of ü');
  });
  test('nothing pending when the input ends with a newline', () => {
    assert.equal(read([Buffer.from('a\n')]).pending, 0);
  });
});

describe('oversized lines', () => {
  test('a line longer than the limit is reported once, by offset, and the next line is intact', () => {
    const text = 'short\n' + 'x'.repeat(17) + '\nnext\n';
    assert.deepEqual(read([Buffer.from(text)], { max: 16 }).seen, [
      ['line', 'short', 6],
      ['oversized', 24],
      ['line', 'next', 29],
    ]);
  });

  test('a line of exactly the limit is kept', () => {
    assert.deepEqual(read([Buffer.from('y'.repeat(16) + '\n')], { max: 16 }).seen, [['line', 'y'.repeat(16), 17]]);
  });

  test('the same, whatever the chunking', () => {
    const text = 'short\n' + 'x'.repeat(17) + '\n' + 'y'.repeat(16) + '\nnext\n' + 'z'.repeat(40) + '\nend\n';
    const bytes = Buffer.from(text);
    const want = read([bytes], { max: 16 }).seen;
    assert.deepEqual(want.map((s) => s[0]), ['line', 'oversized', 'line', 'line', 'oversized', 'line']);
    for (let size = 1; size <= 50; size++) assert.deepEqual(read(inChunksOf(bytes, size), { max: 16 }).seen, want, `chunks of ${size}`);
  });

  test('a 5 MB line is never held whole: held bytes stay near the limit', () => {
    const handler = new Collect();
    const max = 64 * 1024;
    const r = new LineReader(handler, 0, max);
    const chunk = Buffer.alloc(16 * 1024, 0x61);
    const baseline = process.memoryUsage().arrayBuffers;
    let peak = 0;
    r.write(Buffer.from('before\n'));
    for (let written = 0; written < 5 * 1024 * 1024; written += chunk.length) {
      r.write(chunk);
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - baseline);
      assert.ok(r.pendingBytes > 0);
    }
    r.write(Buffer.from('\nafter\n'));
    // Holding the line would grow external memory by 5 MB; the reader holds at most ~the limit.
    assert.ok(peak < 2 * 1024 * 1024, `external memory grew by ${peak} bytes while reading a 5 MB line`);
    const lineEnd = 7 + 5 * 1024 * 1024 + 1;
    assert.deepEqual(handler.seen, [
      ['line', 'before', 7],
      ['oversized', lineEnd],
      ['line', 'after', lineEnd + 6],
    ]);
  });

  test('an oversized line cut by the end of input is pending at end() (and not consumed)', () => {
    const r = read([Buffer.from('ok\n' + 'z'.repeat(40))], { max: 16 });
    assert.deepEqual(r.seen, [['line', 'ok', 3]]);
    assert.equal(r.pending, 40);
    assert.equal(r.offset, 3);
  });
});
