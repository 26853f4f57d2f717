import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { JsonDocuments } from '../../src/components/decode/json-documents.js';
import { WallClock } from '../../src/components/decode/wall-clock.js';
import { ecsJsonLines, esHitsNdjson, esScrollDump, esSearchResponse, log4j2JsonLayout, mergedSample } from '../helpers/exports.js';

// Most records of a JSON export are parsed by V8's JSON.parse (the fast path) instead of being
// tokenised by stream-json. The fast path must never change an outcome: every record, skip,
// resume offset and line number is the same as when stream-json reads every byte, for every
// export shape, every way of cutting the input into chunks, and bad input of every kind.

interface Outcome {
  text: string | null;
  skip: string | null;
  resume: number;
  lineNo: number;
}

function decode(bytes: Buffer, opts: { native: boolean; chunk: number; max?: number; start?: number; startLine?: number }): { out: Outcome[]; pending: number; native: number } {
  const out: Outcome[] = [];
  const start = opts.start ?? 0;
  const resume = start > 0 && (bytes[0] === 0x2c || bytes[0] === 0x5d) ? 'in-array' : start > 0 && bytes[0] === 0x5b ? 'at-records' : 'start';
  const d = new JsonDocuments(
    {
      record: (buf, s, e, resume, lineNo) => out.push({ text: buf.toString('utf8', s, e), skip: null, resume, lineNo }),
      skip: (kind, resume, lineNo) => out.push({ text: null, skip: kind, resume, lineNo }),
    },
    start,
    opts.startLine ?? 0,
    opts.max ?? 1024 * 1024,
    new WallClock('Europe/Berlin'),
    resume,
    opts.native,
  );
  for (let i = 0; i < bytes.length; i += opts.chunk) d.write(bytes.subarray(i, i + opts.chunk));
  const pending = d.end();
  return { out, pending, native: d.nativeRecords };
}

const LINES = mergedSample().slice(0, 60);
const events = ecsJsonLines(LINES, 'Europe/Berlin').trim().split('\n');

const SHAPES: Record<string, string> = {
  'a compact _search response': esSearchResponse(LINES),
  'a pretty _search response': esSearchResponse(LINES, { pretty: true }),
  'a scroll dump': esScrollDump(LINES, 25),
  'NDJSON hits': esHitsNdjson(LINES),
  'JsonLayout (pretty, CRLF)': log4j2JsonLayout(LINES, 'Europe/Berlin'),
  'JsonTemplateLayout lines (ECS)': events.join('\n') + '\n',
  'a complete array of events': '[' + events.join(',\n') + ']\n',
};

/** Bad input put into the middle of a shape: each keeps the rest of the input readable. */
const DAMAGE: Record<string, (s: string) => string> = {
  none: (s) => s,
  'a value cut short': (s) => cutAt(s, s.indexOf('"message"', s.length * 0.4), 14),
  'garbage after a newline': (s) => insertAt(s, s.indexOf('\n', s.length * 0.5) + 1, '}} garbage ]\n'),
  'a number where a record belongs': (s) => insertAt(s, s.indexOf('},', s.length * 0.6) + 2, ' 42,'),
  'broken JSON inside a nested object (a flat record: after a key)': (s) => insertAt(s, nestedObjectAfter(s, s.length * 0.45), ','),
  'a record with a hits key': (s) => insertAt(s, s.indexOf('"message"', s.length * 0.3), '"hits": {"a": [1]}, '),
  'a record with a hits key, escaped': (s) => insertAt(s, s.indexOf('"message"', s.length * 0.35), '"hit\\u0073": {"a": [1]}, '),
  'a stray closing brace': (s) => insertAt(s, s.indexOf('\n', s.length * 0.7) + 1, '}\n'),
  'a record larger than the limit': (s) => insertAt(s, s.indexOf('"message"', s.length * 0.2) + 12, 'x'.repeat(5000)),
  'characters of several bytes': (s) => insertAt(s, s.indexOf('"message"', s.length * 0.25) + 12, 'ü€😀 '),
  'the end cut off': (s) => s.slice(0, Math.floor(s.length * 0.8)),
  'a raw newline inside a message (a line cut short)': (s) => insertAt(s, s.indexOf('"message"', s.length * 0.4) + 20, '\n'),
  'a stray closing bracket between records': (s) => insertAt(s, s.indexOf('}', s.length * 0.55) + 1, ']'),
  'the first record broken, before any was read': (s) => insertAt(s, s.indexOf('"message"'), '}}'),
};

function insertAt(s: string, at: number, text: string): string {
  return s.slice(0, at) + text + s.slice(at);
}

/** Just inside the first object that is a key's value after `from` (flat records: just after a key). */
function nestedObjectAfter(s: string, from: number): number {
  for (const re of [/:\s*\{/g, /":/g]) {
    re.lastIndex = Math.floor(from);
    const found = re.exec(s);
    if (found !== null) return found.index + found[0].length;
  }
  throw new Error('no key after the middle');
}

function cutAt(s: string, at: number, n: number): string {
  return s.slice(0, at) + s.slice(at + n);
}

const CHUNKS = [7, 100, 997, 4096, 1 << 20];

describe('records parsed natively', () => {
  for (const [shape, text] of Object.entries(SHAPES)) {
    test(`${shape}: the same outcomes as stream-json alone, whatever the chunks and the damage`, () => {
      for (const [damage, harm] of Object.entries(DAMAGE)) {
        const bytes = Buffer.from(harm(text));
        for (const chunk of damage === 'none' ? [1, ...CHUNKS] : CHUNKS) {
          const opts = { chunk, max: 4096 };
          const slow = decode(bytes, { ...opts, native: false });
          const fast = decode(bytes, { ...opts, native: true });
          assert.equal(slow.native, 0);
          assert.deepEqual(fast.out, slow.out, `${damage}, chunks of ${chunk}`);
          assert.equal(fast.pending, slow.pending, `${damage}, chunks of ${chunk}: bytes not consumed`);
        }
      }
    });
  }

  test('a restart inside an array (after a hit of a response) reads the same with and without the fast path', () => {
    for (const input of [SHAPES['a compact _search response'], SHAPES['a pretty _search response'], SHAPES['a complete array of events']]) {
      const bytes = Buffer.from(input);
      const whole = decode(bytes, { native: false, chunk: 1 << 20 }).out;
      for (const o of whole.filter((_, i) => i % 7 === 3)) {
        const rest = bytes.subarray(o.resume);
        for (const chunk of [13, 1 << 20]) {
          const opts = { chunk, start: o.resume, startLine: o.lineNo };
          assert.deepEqual(decode(rest, { ...opts, native: true }).out, decode(rest, { ...opts, native: false }).out, `restart at ${o.resume}, chunks of ${chunk}`);
        }
      }
    }
  });

  test('after damage, text full of `,{` costs a bounded search for the next record, and reading goes on', () => {
    // A log line whose text (escaped in the export) holds 3,000 `,{` that never close, in a hit
    // broken before its message: each is a candidate the search must give up on.
    const lines = mergedSample().slice(0, 400);
    const hostile = `[2026-03-03 10:00:04,000][XNIO-1 task-1] INFO  AccessLog - ${',{"k":['.repeat(3000)}`;
    const text = esSearchResponse([...lines.slice(0, 20), { ...lines[20], text: hostile }, ...lines.slice(21)]);
    const at = text.indexOf('"message"', text.indexOf(',{\\"k\\"') - 400);
    assert.ok(at > text.lastIndexOf('"_index"', text.indexOf(',{\\"k\\"')), 'broken inside the hostile hit, before its message');
    const broken = Buffer.from(text.slice(0, at) + '}}' + text.slice(at));
    for (const chunk of [16 * 1024, 1 << 20]) {
      const out: string[] = [];
      const d = new JsonDocuments({ record: (b, s, e) => out.push(b.toString('utf8', s, e)), skip: (k) => out.push(`<${k}>`) }, 0, 0, 1024 * 1024, new WallClock('UTC'), 'start', true);
      for (let i = 0; i < broken.length; i += chunk) d.write(broken.subarray(i, i + chunk));
      d.end();
      // Without a bound each candidate scans to the end of its chunk: 3,000 times up to 1 MiB.
      const chunks = Math.ceil(broken.length / chunk);
      assert.ok(d.resyncScanned <= chunks * 4 * 1024 * 1024, `scanned ${d.resyncScanned} bytes in ${chunks} chunks`);
      // In small chunks the search is bounded per chunk and goes on in the next ones: once the
      // hostile text has left the 64 KiB it looks back over, the next hit is found.
      if (chunk < broken.length) assert.deepEqual(out.slice(-5), lines.slice(395).map((l) => l.text), 'the hits well after the hostile one are read');
    }
  });

  test('is taken for every record after the first of each array, when chunks hold whole records', () => {
    const expected: Record<string, number> = {
      'a compact _search response': LINES.length - 1,
      'a pretty _search response': LINES.length - 1,
      // Three pages of 25, 25 and 10 hits, and an empty one.
      'a scroll dump': LINES.length - 3,
      // Top-level records: from the first.
      'NDJSON hits': LINES.length,
      'JsonLayout (pretty, CRLF)': events.length,
      'JsonTemplateLayout lines (ECS)': events.length,
      'a complete array of events': events.length - 1,
    };
    for (const [shape, text] of Object.entries(SHAPES)) {
      assert.equal(decode(Buffer.from(text), { native: true, chunk: 1 << 20 }).native, expected[shape], shape);
    }
  });
});
