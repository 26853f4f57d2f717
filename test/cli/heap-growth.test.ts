import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { HEAP_GROWTH_STEPS, boundHeapGrowth, operatorChoseGrowth, type HeapWatch } from '../../src/cli/heap-growth.js';

// Once its heap is large, the CLI keeps V8's main heap within twice what survived the last
// full collection, within one and a half times once it is larger, and within a quarter more
// once it is larger still (the peak memory of a replay), unless whoever started node chose
// otherwise.

const [FIRST, SECOND, LAST] = HEAP_GROWTH_STEPS;

/** A heap whose size the spec sets, and the flags applied to V8. */
function fakeHeap(bytes: number): HeapWatch & { bytes: number; applied: string[] } {
  const w = { bytes, applied: [] as string[], intervalMs: 5, heapBytes: () => w.bytes, apply: (f: string) => void w.applied.push(f) };
  return w;
}

async function until(done: () => boolean): Promise<void> {
  for (let waited = 0; !done() && waited < 5_000; waited += 5) await sleep(5);
}

describe('heap growth', () => {
  test('three steps: a factor of 2 past 64 MiB, of 1.5 past 160 MiB, of 1.25 past 224 MiB', () => {
    assert.deepEqual(HEAP_GROWTH_STEPS, [
      { aboveBytes: 64 * 1024 * 1024, percent: 100 },
      { aboveBytes: 160 * 1024 * 1024, percent: 50 },
      { aboveBytes: 224 * 1024 * 1024, percent: 25 },
    ]);
  });

  test("an operator's own choice on node's command line is left alone, in either spelling", () => {
    assert.equal(operatorChoseGrowth([]), false);
    assert.equal(operatorChoseGrowth(['--enable-source-maps', '--max-old-space-size=2048']), false);
    assert.equal(operatorChoseGrowth(['--heap-growing-percent=300']), true);
    assert.equal(operatorChoseGrowth(['--heap_growing_percent=50']), true);
    assert.equal(operatorChoseGrowth(['--heap-growing-percent', '300']), true);
    assert.equal(operatorChoseGrowth(['--heap-growing-percentage=1']), false, 'another flag');
  });

  test('each step is applied once, when the heap first passes it, none while it stays below', async () => {
    const heap = fakeHeap(FIRST.aboveBytes - 1);
    const stop = boundHeapGrowth([], heap);
    try {
      await sleep(60);
      assert.deepEqual(heap.applied, [], 'a small heap keeps V8 default');
      heap.bytes = FIRST.aboveBytes;
      await until(() => heap.applied.length === 1);
      await sleep(60);
      assert.deepEqual(heap.applied, ['--heap-growing-percent=100'], 'between the steps');
      heap.bytes = SECOND.aboveBytes + 1;
      await until(() => heap.applied.length === 2);
      await sleep(60);
      assert.deepEqual(heap.applied, ['--heap-growing-percent=100', '--heap-growing-percent=50'], 'between the second and the last');
      heap.bytes = LAST.aboveBytes;
      await until(() => heap.applied.length === 3);
      heap.bytes = FIRST.aboveBytes - 1;
      await sleep(60);
      assert.deepEqual(heap.applied, ['--heap-growing-percent=100', '--heap-growing-percent=50', '--heap-growing-percent=25'], 'a heap that shrinks again keeps the last');
    } finally {
      stop();
    }
  });

  test('a heap past every step at the first look gets the tightest one only', async () => {
    const heap = fakeHeap(4 * LAST.aboveBytes);
    const stop = boundHeapGrowth([], heap);
    try {
      await until(() => heap.applied.length > 0);
      await sleep(60);
      assert.deepEqual(heap.applied, ['--heap-growing-percent=25']);
    } finally {
      stop();
    }
  });

  test('nothing is watched when the command line chose', async () => {
    const heap = fakeHeap(4 * LAST.aboveBytes);
    const stop = boundHeapGrowth(['--heap-growing-percent=300'], heap);
    await sleep(40);
    stop();
    assert.deepEqual(heap.applied, []);
  });
});
