import type { RecordQueue } from '../decode/stream-decoder.js';

/** A source of decoded records that can be asked for more. */
export interface MergeInput {
  /** Reads until a record is queued; false when exhausted. */
  fill(): Promise<boolean>;
  readonly queue: RecordQueue;
}

/** Consumes the head record of `input`'s queue (and advances `queue.head`). */
export type Consume<T extends MergeInput> = (input: T) => void;

/**
 * The log4j timestamp of a record (starting at `at`), or null for lines without a header
 * (stack traces, skips). Live sources merge with the same key as replay.
 */
export function headerKey(text: string | null, at = 0): string | null {
  if (text === null || text.charCodeAt(at) !== 91 || text.charCodeAt(at + 24) !== 93) return null;
  return text.slice(at + 1, at + 24);
}

/**
 * K-way merge by log time: replicas' logs, or rotated files given in any order, are consumed
 * in timestamp order (`yyyy-MM-dd HH:mm:ss,SSS` sorts as text). A line without a timestamp
 * keeps its input's last timestamp, so a stack trace stays right after its event; ties go to
 * the input given first. Runs of records that precede every other input's head are consumed
 * without comparing again, so one input is as fast as no merge at all.
 */
export async function mergeByTime<T extends MergeInput>(inputs: T[], consume: Consume<T>, afterRun: () => void | Promise<void>): Promise<void> {
  const lastKey = new Map<T, string>();
  const keyOf = (input: T): string => {
    const q = input.queue;
    const k = headerKey(q.texts[q.head]);
    return k ?? lastKey.get(input) ?? '';
  };
  let live = inputs.slice();
  for (;;) {
    const filled: T[] = [];
    for (const input of live) if (input.queue.size > 0 || (await input.fill())) filled.push(input);
    live = filled;
    if (live.length === 0) return;
    // Pick the input with the earliest head; the runner-up bounds how far it may run.
    let best = 0;
    let bestKey = keyOf(live[0]);
    let second: string | null = null;
    let secondIdx = -1;
    for (let i = 1; i < live.length; i++) {
      const k = keyOf(live[i]);
      if (k < bestKey) {
        second = bestKey;
        secondIdx = best;
        best = i;
        bestKey = k;
      } else if (second === null || k < second) {
        second = k;
        secondIdx = i;
      }
    }
    const input = live[best];
    const q = input.queue;
    while (q.size > 0) {
      const k = headerKey(q.texts[q.head]);
      if (k !== null) {
        if (second !== null && (k > second || (k === second && secondIdx < best))) break;
        lastKey.set(input, k);
      }
      consume(input);
    }
    q.compact();
    await afterRun();
  }
}
