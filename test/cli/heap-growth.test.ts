import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { afterEachCollection } from '../../src/cli/collections.js';
import { HEAP_GROWTH_STEPS, boundHeapGrowth, operatorChoseGrowth, type HeapWatch } from '../../src/cli/heap-growth.js';

// Once its heap is past a few tens of MiB, the CLI keeps V8's main heap within three times
// what survived the last full collection, twice once it is larger, one and a half times once
// it is larger still, and a quarter more past that (the peak memory of a replay), unless
// whoever started node chose otherwise.

const [FIRST, SECOND, THIRD, LAST] = HEAP_GROWTH_STEPS;

/** A heap whose size and collections the spec makes, and the flags applied to V8. */
function fakeHeap(bytes: number): HeapWatch & { bytes: number; applied: string[]; collect(): void; watched(): boolean } {
  let listener: (() => void) | null = null;
  const w = {
    bytes,
    applied: [] as string[],
    heapBytes: () => w.bytes,
    apply: (f: string) => void w.applied.push(f),
    afterEachCollection: (check: () => void) => {
      listener = check;
      return () => void (listener = null);
    },
    collect: () => listener?.(),
    watched: () => listener !== null,
  };
  return w;
}

describe('heap growth', () => {
  test('four steps: a factor of 3 past 40 MiB, of 2 past 64 MiB, of 1.5 past 128 MiB, of 1.25 past 160 MiB', () => {
    assert.deepEqual(HEAP_GROWTH_STEPS, [
      { aboveBytes: 40 * 1024 * 1024, percent: 200 },
      { aboveBytes: 64 * 1024 * 1024, percent: 100 },
      { aboveBytes: 128 * 1024 * 1024, percent: 50 },
      { aboveBytes: 160 * 1024 * 1024, percent: 25 },
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

  test('each step is applied once, at the first collection after the heap passes it, none while it stays below', () => {
    const heap = fakeHeap(FIRST.aboveBytes - 1);
    const stop = boundHeapGrowth([], heap);
    try {
      heap.collect();
      assert.deepEqual(heap.applied, [], 'a small heap keeps V8 default');
      heap.bytes = FIRST.aboveBytes;
      assert.deepEqual(heap.applied, [], 'nothing between two collections');
      heap.collect();
      heap.collect();
      assert.deepEqual(heap.applied, ['--heap-growing-percent=200'], 'between the first two steps');
      heap.bytes = SECOND.aboveBytes;
      heap.collect();
      assert.deepEqual(heap.applied, ['--heap-growing-percent=200', '--heap-growing-percent=100']);
      heap.bytes = THIRD.aboveBytes + 1;
      heap.collect();
      heap.collect();
      assert.deepEqual(heap.applied, ['--heap-growing-percent=200', '--heap-growing-percent=100', '--heap-growing-percent=50'], 'between the third and the last');
      heap.bytes = LAST.aboveBytes;
      heap.collect();
      assert.equal(heap.watched(), false, 'the watch ends after the last step');
      heap.bytes = FIRST.aboveBytes - 1;
      heap.collect();
      assert.deepEqual(heap.applied, ['--heap-growing-percent=200', '--heap-growing-percent=100', '--heap-growing-percent=50', '--heap-growing-percent=25'], 'a heap that shrinks again keeps the last');
    } finally {
      stop();
    }
  });

  test('a heap past every step at the first look gets the tightest one only, at once', () => {
    const heap = fakeHeap(4 * LAST.aboveBytes);
    boundHeapGrowth([], heap);
    assert.deepEqual(heap.applied, ['--heap-growing-percent=25']);
    assert.equal(heap.watched(), false);
  });

  test('nothing is watched when the command line chose', () => {
    const heap = fakeHeap(4 * LAST.aboveBytes);
    const stop = boundHeapGrowth(['--heap-growing-percent=300'], heap);
    heap.collect();
    stop();
    assert.deepEqual(heap.applied, []);
    assert.equal(heap.watched(), false);
  });

  test('the process watch sees real collections: a heap past every step is bounded after the first', async () => {
    // The real PerformanceObserver: stopped by the last step, so nothing is left observing.
    const applied: string[] = [];
    let heapBytes = 0;
    const real = boundHeapGrowth([], { heapBytes: () => heapBytes, apply: (f) => void applied.push(f), afterEachCollection });
    heapBytes = 4 * LAST.aboveBytes;
    for (let i = 0; i < 50 && applied.length === 0; i++) {
      // Garbage enough for a scavenge, then a turn of the event loop for the observer.
      for (let k = 0; k < 2_000; k++) new Array(1_000).fill(k);
      await new Promise((r) => setImmediate(r));
    }
    real();
    assert.deepEqual(applied, ['--heap-growing-percent=25']);
  });
});
