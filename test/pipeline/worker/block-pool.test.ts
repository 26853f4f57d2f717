import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BatchBuilder } from '../../../src/pipeline/worker/batch-builder.js';
import { BlockPool } from '../../../src/pipeline/worker/block-pool.js';
import { NO_ID, SPAN_FIELDS, transferables, type AddedValues } from '../../../src/pipeline/batch.js';

const KIB = 1024;
const NOTHING_ADDED: AddedValues = { dns: [], dnSha1s: [], dnFloor: 0, ips: [], ipInfos: [], sessions: [], threads: [] };
const TAIL = { bytes: 0, endResume: 0, endLineNo: 0, tailHash: null, hashOffset: 0, endStampSecs: 0, endStampNanos: 0, final: false, format: null };

/** A builder holding `n` events whose every column says which event it is. */
function filled(n: number, stamped = false): BatchBuilder {
  const b = new BatchBuilder();
  b.stamped = stamped;
  for (let k = 0; k < n; k++) {
    const line = Buffer.from(`line ${k}\n`);
    const i = b.add(line, 0, line.length);
    b.types[i] = k % 7;
    b.times[i] = 1_700_000_000_000 + k;
    b.lineNos[i] = k + 1;
    b.resumes[i] = 10 * k;
    b.dns[i] = k % 3 === 0 ? NO_ID : k;
    b.ips[i] = k + 1;
    b.sessions[i] = k + 2;
    b.threads[i] = k + 3;
    for (let s = 0; s < SPAN_FIELDS * 2; s++) b.spans[i * SPAN_FIELDS * 2 + s] = k * 100 + s;
    b.stampSecs[i] = 1_700_000_000 + k;
    b.stampNanos[i] = k;
  }
  b.lines = n;
  b.kinds[0] = n;
  b.typeCounts[1] = n;
  return b;
}

describe('the blocks batches are built in', () => {
  test('a returned block that fits is taken again; a new one is rounded up (to 64 KiB, or 4 KiB for a small batch)', () => {
    const pool = new BlockPool();
    const first = pool.take(100 * KIB);
    assert.equal(first.byteLength, 128 * KIB);
    pool.give([first]);
    assert.equal(pool.take(120 * KIB), first, 'the returned block');
    assert.notEqual(pool.take(120 * KIB), first, 'taken once only');
    assert.equal(pool.take(3 * KIB).byteLength, 4 * KIB, "a daemon's batch of a few lines");
    assert.equal(pool.take(0).byteLength, 4 * KIB);
  });

  test('a small batch does not take a large block (it may wait long in the merge, holding it)', () => {
    const pool = new BlockPool();
    const large = new ArrayBuffer(2048 * KIB);
    pool.give([large]);
    const small = pool.take(10 * KIB);
    assert.notEqual(small, large);
    assert.equal(small.byteLength, 12 * KIB);
    assert.equal(pool.size, 1, 'the large block stays for a large batch');
    assert.equal(pool.take(1500 * KIB), large);
  });

  test('at most `max` blocks are kept, the largest; detached ones are passed over', () => {
    const pool = new BlockPool(2);
    const sizes = [64, 256, 128].map((k) => new ArrayBuffer(k * KIB));
    const detached = new ArrayBuffer(64 * KIB);
    structuredClone(detached, { transfer: [detached] });
    pool.give([...sizes, detached]);
    assert.equal(pool.size, 2);
    assert.equal(pool.take(200 * KIB), sizes[1]);
    assert.equal(pool.take(100 * KIB), sizes[2]);
    assert.equal(pool.size, 0);
  });

  test('a batch is one block, its columns exact, whatever the reused block held before', () => {
    const pool = new BlockPool();
    const dirty = new ArrayBuffer(192 * KIB);
    new Uint8Array(dirty).fill(0xff);
    pool.give([dirty]);
    const n = 1000;
    const batch = filled(n, true).take(3, NOTHING_ADDED, TAIL, pool);
    assert.deepEqual(transferables(batch), [dirty], 'every column is a view into the one block');
    const fresh = filled(n, true).take(3, NOTHING_ADDED, TAIL);
    for (const column of ['types', 'times', 'lineNos', 'resumes', 'dns', 'ips', 'sessions', 'threads', 'spans', 'stampSecs', 'stampNanos', 'lineStarts', 'lineEnds', 'text', 'kinds', 'typeCounts'] as const) {
      assert.deepEqual(batch[column], fresh[column], column);
    }
    assert.equal(batch.spans.length, n * SPAN_FIELDS * 2);
    assert.equal(Buffer.from(batch.text).toString('latin1', batch.lineStarts[999], batch.lineEnds[999]), 'line 999\n');
  });

  test('a file input carries no stamps, and an empty batch still has its counters', () => {
    const batch = filled(0).take(0, NOTHING_ADDED, TAIL, new BlockPool());
    assert.equal(batch.count, 0);
    assert.equal(batch.stampSecs.length, 0);
    assert.equal(batch.text.length, 0);
    assert.equal(batch.kinds[0], 0);
    const plain = filled(5).take(0, NOTHING_ADDED, TAIL, new BlockPool());
    assert.equal(plain.stampSecs.length, 0);
    assert.equal(plain.stampNanos.length, 0);
    assert.equal(plain.kinds[0], 5);
  });
});
