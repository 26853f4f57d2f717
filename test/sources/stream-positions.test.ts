import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describer } from '../parse/scan.js';
import { formatStamp } from '../../src/components/decode/kubelet-time.js';
import type { EventBatch } from '../../src/pipeline/batch.js';
import { InputParser } from '../../src/pipeline/worker/input-parser.js';
import { WorkerTables } from '../../src/pipeline/worker/tables.js';
import { accessLine, log4jTime, STACK_TRACE } from '../helpers/lines.js';

// A pod's log read through the API has no byte offsets: its position is the kubelet stamp of
// the last record and how many records carried exactly that stamp. A new connection asks for
// that stamp's whole second again; the records up to the position are dropped as they come
// back, and everything after it, the rest of the same second included, is read.

const tables = new WorkerTables(describer);
const T0 = Date.UTC(2026, 2, 2, 8, 0, 0);

/** Record `i`: an access event whose thread names it, behind the kubelet stamp `stamp`. */
const rec = (i: number, stamp: string) => `${stamp} ${accessLine({ time: log4jTime(T0 + i), thread: `r${i}` })}\n`;

function read(text: string, resumeAfter: { stamp: string; count: number } | null, chunk = text.length, startLineNo = 0) {
  const p = new InputParser({ input: 0, startOffset: 0, startLineNo, timeZone: 'UTC', maxLineBytes: 1 << 20, format: 'kubectl', stream: { resumeAfter } }, tables);
  const bytes = Buffer.from(text);
  const batches: EventBatch[] = [];
  for (let i = 0; i < bytes.length; i += chunk) batches.push(p.chunk(bytes.subarray(i, i + chunk)));
  batches.push(p.end());
  const threads: string[] = [];
  const positions: Array<[string, number, number]> = [];
  for (const b of batches) {
    const text = Buffer.from(b.text.buffer, b.text.byteOffset, b.text.byteLength);
    for (let i = 0; i < b.count; i++) {
      const line = text.toString('utf8', b.lineStarts[i], b.lineEnds[i]);
      threads.push(/\]\[(r\d+)\]/.exec(line)![1]);
      positions.push([formatStamp(b.stampSecs[i], b.stampNanos[i]), b.resumes[i], b.lineNos[i]]);
    }
  }
  const last = batches.at(-1)!;
  return { threads, positions, end: [formatStamp(last.endStampSecs, last.endStampNanos), last.endResume, last.endLineNo] as [string, number, number], lines: batches.reduce((n, b) => n + b.lines, 0) };
}

const S1 = '2026-03-02T08:00:00.100000000Z';
const S2 = '2026-03-02T08:00:00.2Z';
const S2N = '2026-03-02T08:00:00.200000000Z';
const S3 = '2026-03-02T08:00:00.300000000Z';
const LOG = rec(1, S1) + rec(2, S1) + rec(3, S2) + rec(4, S2) + rec(5, S2) + rec(6, S3);

describe('positions of a stream', () => {
  test('each record carries its stamp (normalised), how many records had that stamp up to it, and its line number', () => {
    const { positions, end } = read(LOG, null, 17);
    assert.deepEqual(positions, [
      [S1, 1, 1],
      [S1, 2, 2],
      [S2N, 1, 3],
      [S2N, 2, 4],
      [S2N, 3, 5],
      [S3, 1, 6],
    ]);
    assert.deepEqual(end, [S3, 1, 6]);
  });

  test('lines without an event (a stack trace) count in the position like any other line', () => {
    const text = rec(1, S1) + STACK_TRACE.map((l) => `${S1} ${l}\n`).join('') + rec(2, S2);
    const { positions, end, lines } = read(text, null);
    assert.deepEqual(positions, [[S1, 1, 1], [S2N, 1, STACK_TRACE.length + 2]]);
    assert.equal(lines, STACK_TRACE.length + 2);
    assert.deepEqual(end, [S2N, 1, STACK_TRACE.length + 2]);
  });
});

describe('resuming after a position', () => {
  for (const [what, after, expected] of [
    ['in the middle of a run of equal stamps', { stamp: S2N, count: 2 }, ['r5', 'r6']],
    ['at the end of a run of equal stamps', { stamp: S2N, count: 3 }, ['r6']],
    ['at the first record', { stamp: S1, count: 1 }, ['r2', 'r3', 'r4', 'r5', 'r6']],
    ['at the last record: nothing new', { stamp: S3, count: 1 }, []],
    ['at a stamp the log no longer has (between two records)', { stamp: '2026-03-02T08:00:00.250000000Z', count: 1 }, ['r6']],
  ] as const) {
    test(`${what}`, () => {
      for (const chunk of [1, 13, LOG.length]) assert.deepEqual(read(LOG, after, chunk).threads, expected, `chunks of ${chunk}`);
    });
  }

  test('records after the position are numbered on from the stored line number', () => {
    const { positions } = read(LOG, { stamp: S2N, count: 2 }, LOG.length, 40);
    assert.deepEqual(positions, [[S2N, 3, 41], [S3, 1, 42]]);
  });

  test('with nothing new, the position stays where it was', () => {
    const { end, lines } = read(rec(1, S1), { stamp: S1, count: 1 }, 100, 7);
    assert.deepEqual(end, [S1, 1, 7]);
    assert.equal(lines, 0, 'dropped records are not counted again');
  });
});
