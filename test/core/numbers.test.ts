import assert from 'node:assert/strict';
import { test } from 'node:test';
import { int, powerOfTwoAtLeast } from '../../src/core/numbers.js';

test('int groups thousands as toLocaleString("en-US") does, for counts and rates of any size', () => {
  const values = [0, 1, 12, 999, 1000, 1001, 12_345, 999_999, 1_000_000, 30_812.6, 2_147_483_648, 9_007_199_254_740_991, -7, -1234, -1_000_000];
  for (let x = 1; x < 1e15; x = x * 7 + 3) values.push(x);
  for (const n of values) assert.equal(int(n), Math.round(n).toLocaleString('en-US'), String(n));
});

test('powerOfTwoAtLeast: the size of a table indexed by a mask, at least what is asked', () => {
  assert.deepEqual([0, 1, 2, 3, 64, 65, 65_536 * 2, 65_536 * 2 + 1].map(powerOfTwoAtLeast), [1, 1, 2, 4, 64, 128, 131_072, 262_144]);
});
