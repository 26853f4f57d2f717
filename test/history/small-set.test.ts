import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SmallSet } from '../../src/components/history/small-set.js';

// A user's learnt networks, ASNs and countries: a set that holds its first key in a field.

test('a small set holds its keys once each, in the order first added, past the first', () => {
  const s = new SmallSet<string>();
  assert.deepEqual(s.keys(), []);
  assert.equal(s.has('10.0.0.0/24'), false);
  for (const k of ['10.0.0.0/24', '10.0.0.0/24', '192.0.2.0/24', '10.0.0.0/24', '198.51.100.0/24', '192.0.2.0/24']) s.add(k);
  assert.deepEqual(s.keys(), ['10.0.0.0/24', '192.0.2.0/24', '198.51.100.0/24']);
  assert.equal(s.has('192.0.2.0/24'), true);
  assert.equal(s.has('203.0.113.0/24'), false);
  const asns = new SmallSet<number>();
  asns.add(0);
  asns.add(64500);
  assert.deepEqual(asns.keys(), [0, 64500], 'zero is a key like any other');
  assert.equal(asns.has(0), true);
});
