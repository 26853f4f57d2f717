import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SmallMap } from '../../src/components/history/small-map.js';

// The few entries a user or a session has between two commits: the last one in fields, a Map
// from the second key on.

test('a small map finds every key it was given, whichever was last, and lists them in the order added', () => {
  const m = new SmallMap<number>();
  assert.equal(m.get('a'), undefined);
  assert.deepEqual(m.values(), []);
  m.add('', 0);
  assert.equal(m.get(''), 0, 'the empty key (no address) is a key like any other');
  m.add('a', 1);
  m.add('b', 2);
  assert.equal(m.get('a'), 1);
  assert.equal(m.get('b'), 2);
  assert.equal(m.get(''), 0);
  assert.equal(m.get('c'), undefined);
  m.add('c', 3);
  assert.deepEqual(m.values(), [0, 1, 2, 3]);
  m.clear();
  assert.equal(m.get('a'), undefined);
  assert.deepEqual(m.values(), []);
  m.add('z', 9);
  assert.deepEqual(m.values(), [9]);
  assert.equal(m.get('z'), 9);
});
