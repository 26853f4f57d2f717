import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { afterEachCollection } from './collections.js';

const MIB = 1024 * 1024;

/**
 * The main thread's new space (both semi-spaces) stops growing at this size. V8 doubles it
 * while much of what it scavenges survives, which a replay's per-line objects do, up to 32 MiB
 * on 64-bit; held at 8 MiB (what `--max-semi-space-size=4` gives), storm at 5 M lines peaked
 * at 364.6 against 408.0 MiB in 0.94x the time (3 pairs); docs/benchmark-history.md has the
 * other corpora (1.01-1.05x the time, every peak lower).
 */
export const NEW_SPACE_CAP_BYTES = 8 * MIB;

/** The flag that stops the growth: V8 reads it at each scavenge that would grow the new space. */
export const STOP_GROWTH_FLAG = '--semi-space-growth-factor=1';

const OPERATOR_FLAG = /^--(max[-_]semi[-_]space[-_]size|min[-_]semi[-_]space[-_]size|semi[-_]space[-_]growth[-_]factor)(=|$)/;

/**
 * True when whoever started node sized the young generation (on its command line, or in
 * NODE_OPTIONS, which accepts `--max-semi-space-size`): it is left alone.
 */
export function operatorSizedYoung(execArgv: readonly string[], nodeOptions = ''): boolean {
  return [...execArgv, ...nodeOptions.split(/\s+/)].some((a) => OPERATOR_FLAG.test(a));
}

export interface NewSpaceWatch {
  readonly newSpaceBytes: () => number;
  readonly apply: (flag: string) => void;
  /** Calls `check` after each garbage collection until the returned function is called. */
  readonly afterEachCollection: (check: () => void) => () => void;
}

const PROCESS_NEW_SPACE: NewSpaceWatch = {
  newSpaceBytes: () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0,
  apply: (flag) => setFlagsFromString(flag),
  afterEachCollection,
};

/**
 * V8 sizes a thread's largest young generation when the thread starts, from node's command
 * line only; the CLI cannot pass it to its own main thread. What it can change is the growth:
 * once the new space has reached NEW_SPACE_CAP_BYTES, the growth factor goes to 1 (V8's flags are the
 * process's: the ingest thread's young generation, bounded by its own resource limits, stops
 * growing too). The flag is applied from the event loop, after the collection that reached the
 * cap: a thread that allocated for long without yielding could grow it one step more; the
 * replay's main thread yields between batches. Returns a stop function; nothing is watched
 * when the operator chose a size.
 *
 * A thread started after the cap was reached undoes it: setting up the thread's heap puts the
 * process's growth factor back to V8's minimum of 2, and the main thread's new space grew to
 * 32 MiB before any collection let the factor be applied again (a store thread started at its
 * first use cost a replay of many users 30-45 MB of peak). The ingest thread starts at launch;
 * test/architecture/threads.test.ts keeps the starting of threads in one place.
 */
export function boundYoungGeneration(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string = process.env.NODE_OPTIONS ?? '',
  watch: NewSpaceWatch = PROCESS_NEW_SPACE,
): () => void {
  if (operatorSizedYoung(execArgv, nodeOptions)) return () => undefined;
  let stop: () => void = () => undefined;
  let done = false;
  const check = (): void => {
    if (done || watch.newSpaceBytes() < NEW_SPACE_CAP_BYTES) return;
    done = true;
    watch.apply(STOP_GROWTH_FLAG);
    stop();
  };
  stop = watch.afterEachCollection(check);
  check();
  return () => {
    done = true;
    stop();
  };
}
