import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IdRing } from '../../src/pipeline/id-ring.js';

// The main thread's values by interned id: ids only increase, and the last `size` issued are
// held. The ring grows from a few slots to its size as ids are issued, then wraps.

test('the ring grows as ids are issued, keeps every id so far, then wraps at its size and forgets the oldest', () => {
  const ring = new IdRing<string>(64, 4);
  assert.equal(ring.capacity, 4);
  for (let id = 0; id < 20; id++) ring.set(id, `v${id}`);
  assert.equal(ring.capacity, 32, 'doubled to hold id 19');
  for (let id = 0; id < 20; id++) assert.equal(ring.get(id), `v${id}`, 'every id set while growing is still held');
  for (let id = 20; id < 100; id++) ring.set(id, `v${id}`);
  assert.equal(ring.capacity, 64, 'never past its size');
  for (let id = 36; id < 100; id++) assert.equal(ring.get(id), `v${id}`, 'the last 64 ids are held');
  assert.throws(() => ring.get(35), /no longer held/);
  assert.equal(ring.peek(35), undefined);
  assert.equal(ring.peek(99), 'v99');
});

test('an id far ahead (ids skipped) grows the ring at once to hold it, up to its size', () => {
  const ring = new IdRing<number>(1 << 16, 8);
  ring.set(0, 0);
  ring.set(5000, 5000);
  assert.equal(ring.capacity, 8192);
  assert.equal(ring.get(0), 0);
  assert.equal(ring.get(5000), 5000);
  ring.set(1 << 20, 1);
  assert.equal(ring.capacity, 1 << 16);
  assert.equal(ring.get(1 << 20), 1);
  assert.equal(ring.peek(5000), 5000, 'its slot was not reused');
  assert.throws(() => new IdRing<number>(16).get(3), /no longer held/, 'an id never set is not held');
});
