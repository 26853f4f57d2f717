import assert from 'node:assert/strict';
import { test } from 'node:test';
import { int } from '../../src/core/numbers.js';

test('int groups thousands as toLocaleString("en-US") does, for counts and rates of any size', () => {
  const values = [0, 1, 12, 999, 1000, 1001, 12_345, 999_999, 1_000_000, 30_812.6, 2_147_483_648, 9_007_199_254_740_991, -7, -1234, -1_000_000];
  for (let x = 1; x < 1e15; x = x * 7 + 3) values.push(x);
  for (const n of values) assert.equal(int(n), Math.round(n).toLocaleString('en-US'), String(n));
});
