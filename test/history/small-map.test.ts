import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SmallMap } from '../../src/components/history/small-map.js';

// The few entries a user or a session has between two commits: the last one in fields, a Map
// from the second key on.

test('a small map finds every key it was given, whichever was last, and lists them in the order added', () => {
  const m = new SmallMap<number>();
  assert.equal(m.get('a'), undefined);
  assert.deepEqual(m.values(), []);
  m.set('', 0);
  assert.equal(m.get(''), 0, 'the empty key (no address) is a key like any other');
  m.set('a', 1);
  m.set('b', 2);
  assert.equal(m.get('a'), 1);
  assert.equal(m.get('b'), 2);
  assert.equal(m.get(''), 0);
  assert.equal(m.get('c'), undefined);
  m.set('c', 3);
  assert.deepEqual(m.values(), [0, 1, 2, 3]);
  m.clear();
  assert.equal(m.get('a'), undefined);
  assert.deepEqual(m.values(), []);
  m.set('z', 9);
  assert.deepEqual(m.values(), [9]);
  assert.equal(m.get('z'), 9);
});

test('set adds a key or replaces its value wherever it is held, keeping the order first added; size counts keys', () => {
  const m = new SmallMap<string>();
  assert.equal(m.size, 0);
  m.set('10.0.0.1', 'a');
  m.set('10.0.0.1', 'a2');
  assert.equal(m.size, 1, 'replaced in the fields, no Map made');
  assert.deepEqual(m.values(), ['a2']);
  m.set('10.0.0.2', 'b');
  m.set('10.0.0.2', 'b2');
  assert.equal(m.get('10.0.0.1'), 'a2');
  m.set('10.0.0.1', 'a3'); // the last one got: replaced in the fields and in the Map
  m.set('10.0.0.3', 'c');
  m.set('10.0.0.2', 'b3'); // held only in the Map
  assert.equal(m.size, 3);
  assert.deepEqual(m.values(), ['a3', 'b3', 'c']);
  assert.deepEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'].map((k) => m.get(k)), ['a3', 'b3', 'c', undefined]);
});
