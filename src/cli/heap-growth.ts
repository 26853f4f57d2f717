import { getHeapStatistics, setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the main heap grow past what survived its last full collection before it
 * collects again, in percent, once the heap is no longer small. V8's own factor goes up to 4x
 * for a thread that allocates fast, as replay does: an alert storm's heap ended near 280 MB
 * for 100-190 MB live, most of its peak RSS, and many distinct users took it past 1 GB. With
 * 2x set once the heap passes 64 MiB: storm (1 M lines) peaks at 380 against 414 MiB for
 * 1.03x the time, many-users (2 M lines) at 732 against 1,117 MB; benign traffic, same time
 * and peak. Set from the start it cost benign 1.10x; set at 128 MiB it came too late to lower
 * the storm's peak.
 */
export const HEAP_GROWING_PERCENT = 100;
/** The main heap size (bytes) past which growth is bounded (a daemon's, 57-73 MB in the live benchmark, may pass it too: no harm for a long-running process). */
export const BOUND_ABOVE_BYTES = 64 * 1024 * 1024;

/** The V8 flag to set, or null when node's command line already chose one (`node --heap-growing-percent=… ouwatch`). */
export function heapGrowthFlag(execArgv: readonly string[]): string | null {
  if (execArgv.some((a) => /^--heap[-_]growing[-_]percent(=|$)/.test(a))) return null;
  return `--heap-growing-percent=${HEAP_GROWING_PERCENT}`;
}

export interface HeapWatch {
  readonly heapBytes: () => number;
  readonly apply: (flag: string) => void;
  readonly intervalMs: number;
}

const PROCESS_HEAP: HeapWatch = {
  heapBytes: () => getHeapStatistics().total_heap_size,
  apply: (flag) => setFlagsFromString(flag),
  intervalMs: 500,
};

/**
 * Sets the flag (for every thread: V8's flags are the process's) once the main heap passes
 * BOUND_ABOVE_BYTES; V8 reads it at each full collection. Returns a stop function; the
 * watch never keeps the process alive.
 */
export function boundHeapGrowth(execArgv: readonly string[] = process.execArgv, watch: HeapWatch = PROCESS_HEAP): () => void {
  const flag = heapGrowthFlag(execArgv);
  if (flag === null) return () => undefined;
  const timer = setInterval(() => {
    if (watch.heapBytes() < BOUND_ABOVE_BYTES) return;
    clearInterval(timer);
    watch.apply(flag);
  }, watch.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
