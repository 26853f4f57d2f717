import { getHeapStatistics } from 'node:v8';

/**
 * Below this much used heap, the main thread has room for more parsed batches waiting. The
 * heap at the main thread's scavenges (used; median, 90th percentile, largest): benign 1 M
 * 37, 63, 75 MB; organisation 1 M 100, 143, 160; storm 1 M 91, 133, 167; many-users 400 k
 * 117, 152, 201. The first of the CLI's heap-growth steps is at the same size
 * (cli/heap-growth.ts).
 */
const SMALL_HEAP_BYTES = 64 * 1024 * 1024;

/** Whether this thread's V8 heap holds less than SMALL_HEAP_BYTES (about a microsecond; asked once per chunk). */
export function heapIsSmall(): boolean {
  return getHeapStatistics().used_heap_size < SMALL_HEAP_BYTES;
}
