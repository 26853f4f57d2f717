import assert from 'node:assert/strict';
import { test } from 'node:test';
import { judge, type Target } from '../../bench/report.js';

// The benchmark's verdicts: met or missed by how much, and honest about runs that timed out
// (their figure is only a bound, which decides the verdict only on the failing side).

const throughput: Target = { what: 'lines/s', op: '>=', limit: 1_000_000, format: (n) => String(Math.round(n)) };
const memory: Target = { what: 'peak RSS', op: '<=', limit: 400, format: (n) => `${n} MB` };

test('a figure on the right side of its limit is met, one on the wrong side is missed by a factor or a percentage', () => {
  assert.equal(judge(throughput, 1_200_000).met, true);
  assert.equal(judge(memory, 400).met, true);
  const slow = judge(throughput, 250_000);
  assert.equal(slow.met, false);
  assert.match(slow.text, /MISSED by 4\.0x short: 250000 \(target >= 1000000\)/);
  const big = judge(memory, 500);
  assert.equal(big.met, false);
  assert.match(big.text, /MISSED by 25% over: 500 MB \(target <= 400 MB\)/);
});

test('a timed-out run decides only when its bound is already on the failing side', () => {
  // At most 16,667 lines/s (2 M lines not done in 120 s): surely short of 300,000.
  const capped = judge({ ...throughput, limit: 300_000 }, 16_667, 'upper');
  assert.equal(capped.met, false);
  assert.match(capped.text, /MISSED by at least 18\.0x short: < 16667/);
  // At most 2 M lines/s says nothing about meeting 1 M.
  assert.equal(judge(throughput, 2_000_000, 'upper').met, null);
  // At least 300 MB when killed says nothing about staying under 400; at least 450 does.
  assert.equal(judge(memory, 300, 'lower').met, null);
  assert.equal(judge(memory, 450, 'lower').met, false);
});

test('no figure at all is unknown, not met', () => {
  assert.equal(judge(memory, Number.NaN).met, null);
});
