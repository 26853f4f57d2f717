/** A source of time-stamped records that can be asked for more. */
export interface MergeInput {
  /** Reads until a record is available; false when exhausted. */
  fill(): Promise<boolean>;
  /** Records available without reading. */
  available(): number;
  /** Log time of the next record (a line without a timestamp carries the one before it). */
  headKey(): number;
}

/**
 * K-way merge by log time: replicas' logs, or rotated files given in any order, are consumed
 * in timestamp order. Lines without a timestamp (stack traces) carry their input's previous
 * timestamp, so they stay right after their event; ties go to the input given first. A run
 * of records that precede every other input's head is consumed without comparing again, so
 * one input costs nothing. `consume(input)` must consume exactly the head record.
 */
export async function mergeByTime<T extends MergeInput>(inputs: T[], consume: (input: T) => void, afterRun: () => void | Promise<void>): Promise<void> {
  let live = inputs.slice();
  for (;;) {
    const filled: T[] = [];
    for (const input of live) if (input.available() > 0 || (await input.fill())) filled.push(input);
    live = filled;
    if (live.length === 0) return;
    let best = 0;
    let bestKey = live[0].headKey();
    let second = Number.POSITIVE_INFINITY;
    let secondIdx = -1;
    for (let i = 1; i < live.length; i++) {
      const k = live[i].headKey();
      if (k < bestKey) {
        second = bestKey;
        secondIdx = best;
        best = i;
        bestKey = k;
      } else if (k < second) {
        second = k;
        secondIdx = i;
      }
    }
    const input = live[best];
    // Ties with the runner-up go to whichever was given first.
    const tieOk = secondIdx < 0 || best < secondIdx;
    while (input.available() > 0) {
      const k = input.headKey();
      if (k > second || (k === second && !tieOk)) break;
      consume(input);
    }
    await afterRun();
  }
}

/**
 * The log4j timestamp of a line (whose header starts at `at`) as sortable text, or null for
 * lines without a header (stack traces, skips). Live sources, which see lines one at a time,
 * merge with this key; it orders exactly as the parsed log time does.
 */
export function headerKey(text: string | null, at = 0): string | null {
  if (text === null || text.charCodeAt(at) !== 91 || text.charCodeAt(at + 24) !== 93) return null;
  return text.slice(at + 1, at + 24);
}
