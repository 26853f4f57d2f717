import type { LiveInput } from './live-input.js';

/**
 * Releases the records of every live input in log-time order, like replay's k-way merge, so
 * that live detection sees replicas' lines as replay would. Live inputs never "end", so a
 * record is held while another input that is still open has nothing queued (it might yet
 * deliver an earlier line), but never longer than `windowMs`: a quiet replica must not stall
 * the others. Held records are not consumed, so they are read again after a crash.
 */
export class LiveMerger {
  private inputs: LiveInput[] = [];
  private readonly lastKey = new Map<LiveInput, string>();

  constructor(private readonly windowMs: number) {}

  /** Inputs added earlier win ties (an old connection's lines before its successor's). */
  add(input: LiveInput): void {
    this.inputs.push(input);
  }

  get size(): number {
    return this.inputs.length;
  }

  /** Records queued in all inputs. */
  get queued(): number {
    let n = 0;
    for (const input of this.inputs) n += input.queue.size;
    return n;
  }

  /**
   * Consumes every record that may go at `now` (performance.now()). Returns how many ms until
   * a held record may go, or null when nothing is held.
   */
  drain(now: number, consume: (input: LiveInput) => void): number | null {
    let wait: number | null = null;
    if (this.inputs.length === 1) {
      // Nothing to merge with: no key to compute, nothing to wait for.
      const only = this.inputs[0];
      while (only.queue.size > 0) consume(only);
      this.forgetDrained();
      return null;
    }
    for (;;) {
      let best = -1;
      let bestKey = '';
      let second: string | null = null;
      let secondIdx = -1;
      let openAndEmpty = 0;
      for (let i = 0; i < this.inputs.length; i++) {
        const input = this.inputs[i];
        if (input.queue.size === 0) {
          if (!input.finished) openAndEmpty++;
          continue;
        }
        const k = this.keyOf(input);
        if (best < 0 || k < bestKey) {
          if (best >= 0) {
            second = bestKey;
            secondIdx = best;
          }
          best = i;
          bestKey = k;
        } else if (second === null || k < second) {
          second = k;
          secondIdx = i;
        }
      }
      if (best < 0) break;
      const input = this.inputs[best];
      const q = input.queue;
      const holdUntil = openAndEmpty > 0 ? now - this.windowMs : Infinity;
      let consumed = 0;
      while (q.size > 0) {
        const head = input.headKey();
        const k = head ?? this.lastKey.get(input) ?? '';
        if (second !== null && (k > second || (k === second && secondIdx < best))) break;
        const arrived = input.headArrival();
        if (arrived > holdUntil) {
          wait = arrived - holdUntil;
          break;
        }
        if (head !== null) this.lastKey.set(input, head);
        consume(input);
        consumed++;
      }
      if (consumed === 0) break;
    }
    this.forgetDrained();
    return wait;
  }

  private keyOf(input: LiveInput): string {
    return input.headKey() ?? this.lastKey.get(input) ?? '';
  }

  private forgetDrained(): void {
    if (!this.inputs.some((i) => i.finished && i.queue.size === 0)) return;
    this.inputs = this.inputs.filter((i) => {
      const gone = i.finished && i.queue.size === 0;
      if (gone) this.lastKey.delete(i);
      return !gone;
    });
  }
}
