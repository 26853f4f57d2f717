import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { afterEachCollection } from './collections.js';

/** Once the main heap passes `aboveBytes`, V8 may grow it `percent` past what survived its last full collection before collecting again. */
export interface GrowthStep {
  readonly aboveBytes: number;
  readonly percent: number;
}

const MIB = 1024 * 1024;

/**
 * V8's own factor goes up to 4x for a thread that allocates fast, as replay does: an alert
 * storm's heap ended near 280 MB for 100-190 MB live, most of its peak RSS, and many distinct
 * users took it past 1 GB. 2x once the heap passes 64 MiB: storm (1 M lines) peaked at 380
 * against 414 MiB for 1.03x the time, many-users (2 M lines) at 732 against 1,117 MB; benign
 * traffic, same time and peak (set from the start it cost benign 1.10x; set at 128 MiB it came
 * too late to lower the storm's peak). 1.5x once it passes 160 MiB, which benign traffic's heap
 * (about 90 MiB at 1 M lines) does not reach: many-users peaked at 526 against 589 MiB for
 * 1.06x the time; storm and benign, same time. 1.5x from the start cost benign 1.24x.
 * 1.25x once it passes 224 MiB, which only long or many-user replays reached: many-users
 * peaked at 421 against 454 MiB in the same time, storm at 5 M lines at 417-418 against
 * 434-436 MiB for 1.02-1.03x.
 *
 * Later, with less held per user, many-users (2 M lines) kept its heap between 110 and 205
 * MiB and never reached 224: it peaked at 359-370 MiB of RSS (up to 396 MiB, 415 MB, in some
 * runs), too near the 400 MB the replay of many users must stay under. The steps moved down,
 * 1.5x past 128 MiB and 1.25x past 160 MiB: many-users 2 M peaked at 340.6-346.9 against
 * 359.4-369.4 MiB (3 pairs) for 1.08x the time; storm 5 M at 339.6-340.0 against 349.2-357.6
 * (2 pairs), same time; organisation 1 M at 315 against 322, storm 1 M at 293 against 288,
 * same time (3 pairs each); benign's heap stays under 128 MiB.
 *
 * Below the first step V8's factor was still its own, up to 4x, and a step applies from the
 * next full collection on: organisation (1 M lines) collected at 55 MiB, kept 45, and grew to
 * 183 MiB before the next, peaking at 361-363 MB of RSS in two runs of three (294 in the
 * third; 304-310 when a collection happened to come after 64 MiB). 3x past 40 MiB:
 * organisation 308-318 against 338-362 MB (3 pairs), storm 264.5 against 287.2 MiB at 0.95x
 * (4 pairs), benign the same time and peak (5 pairs), many users the same.
 */
export const HEAP_GROWTH_STEPS: readonly GrowthStep[] = [
  { aboveBytes: 40 * MIB, percent: 200 },
  { aboveBytes: 64 * MIB, percent: 100 },
  { aboveBytes: 128 * MIB, percent: 50 },
  { aboveBytes: 160 * MIB, percent: 25 },
];

/** True when node's command line already chose a factor (`node --heap-growing-percent=… ouwatch`): it is left alone. */
export function operatorChoseGrowth(execArgv: readonly string[]): boolean {
  return execArgv.some((a) => /^--heap[-_]growing[-_]percent(=|$)/.test(a));
}

export interface HeapWatch {
  readonly heapBytes: () => number;
  readonly apply: (flag: string) => void;
  /** Calls `check` after each garbage collection until the returned function is called. */
  readonly afterEachCollection: (check: () => void) => () => void;
}

const PROCESS_HEAP: HeapWatch = {
  heapBytes: () => getHeapStatistics().total_heap_size,
  apply: (flag) => setFlagsFromString(flag),
  afterEachCollection,
};

/**
 * Sets each step's flag (for every thread: V8's flags are the process's) once the main heap
 * first passes its size; V8 reads it at each full collection. Looked at after each collection
 * (the watch delivers them between two batches): a look every 500 ms came, in a replay, while
 * the heap had grown well past a step or not, so the same replay's peak swung by tens of MiB
 * from one run to the next (organisation, 1 M lines: 299-407 MiB). Returns a stop function;
 * the watch never keeps the process alive and ends after the last step.
 */
export function boundHeapGrowth(execArgv: readonly string[] = process.execArgv, watch: HeapWatch = PROCESS_HEAP, steps: readonly GrowthStep[] = HEAP_GROWTH_STEPS): () => void {
  if (operatorChoseGrowth(execArgv) || steps.length === 0) return () => undefined;
  let next = 0;
  let stop: (() => void) | null = null;
  const check = (): void => {
    const heap = watch.heapBytes();
    let reached = -1;
    while (next < steps.length && heap >= steps[next].aboveBytes) reached = next++;
    if (reached >= 0) watch.apply(`--heap-growing-percent=${steps[reached].percent}`);
    if (next === steps.length) end();
  };
  const end = (): void => {
    next = steps.length;
    stop?.();
    stop = null;
  };
  stop = watch.afterEachCollection(check);
  check();
  return end;
}
