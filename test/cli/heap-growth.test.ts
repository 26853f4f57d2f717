import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { BOUND_ABOVE_BYTES, boundHeapGrowth, heapGrowthFlag } from '../../src/cli/heap-growth.js';

// Once its heap is large, the CLI keeps V8's main heap within twice what survived the last
// full collection (the peak memory of a replay), unless whoever started node chose otherwise.

describe('heap growth', () => {
  test('the flag asks V8 for a growing factor of 2', () => {
    assert.equal(heapGrowthFlag([]), '--heap-growing-percent=100');
    assert.equal(heapGrowthFlag(['--enable-source-maps', '--max-old-space-size=2048']), '--heap-growing-percent=100');
  });

  test("an operator's own choice on node's command line is left alone, in either spelling", () => {
    assert.equal(heapGrowthFlag(['--heap-growing-percent=300']), null);
    assert.equal(heapGrowthFlag(['--heap_growing_percent=50']), null);
    assert.equal(heapGrowthFlag(['--heap-growing-percent', '300']), null);
    assert.equal(heapGrowthFlag(['--heap-growing-percentage=1']), '--heap-growing-percent=100', 'another flag');
  });

  test('the flag is set once, when the heap first passes the bound, and not while it stays below', async () => {
    let heap = BOUND_ABOVE_BYTES - 1;
    const applied: string[] = [];
    const stop = boundHeapGrowth([], { heapBytes: () => heap, apply: (f) => applied.push(f), intervalMs: 5 });
    try {
      await sleep(60);
      assert.deepEqual(applied, [], 'a small heap keeps V8 default');
      heap = BOUND_ABOVE_BYTES;
      for (let waited = 0; applied.length === 0 && waited < 5_000; waited += 5) await sleep(5);
      heap = 2 * BOUND_ABOVE_BYTES;
      await sleep(60);
      assert.deepEqual(applied, ['--heap-growing-percent=100']);
    } finally {
      stop();
    }
  });

  test('nothing is watched when the command line chose', async () => {
    const applied: string[] = [];
    const stop = boundHeapGrowth(['--heap-growing-percent=300'], { heapBytes: () => 4 * BOUND_ABOVE_BYTES, apply: (f) => applied.push(f), intervalMs: 5 });
    await sleep(40);
    stop();
    assert.deepEqual(applied, []);
  });
});
