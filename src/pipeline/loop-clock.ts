/** Milliseconds the event loop was free to run since a `performance.now()` time. */
export interface FreeTime {
  since(t: number): number;
}

/** The heartbeat's interval: a beat later than this by more than STALL_MIN_MS was a stall. */
const BEAT_MS = 10;
/** Lateness below this is timer jitter, counted as free time (and not recorded). */
const STALL_MIN_MS = 15;
/** Stalls older than this are forgotten: no wait of the merge is longer (mergeWindowMs is at most 10 s). */
const KEEP_MS = 60_000;

/**
 * Time during which the event loop could run, as opposed to wall time. The merge gives a
 * quiet live input a while to deliver its next lines before it lets later lines of other
 * inputs go (mergeWindowMs, UNREAD_PATIENCE_MS); a source reads only while the loop is free,
 * so time the loop was blocked (a long synchronous commit, the process stopped or starved of
 * CPU on a loaded machine) is time the input did not have. Counted in wall time, a daemon
 * stopped for two seconds found every window expired when it went on, and released the
 * lines of a file read on time before those of a rotated one it had had no turn to read:
 * detection saw them out of order. A heartbeat measures the stalls: whatever part of the gap
 * between two beats exceeds the interval.
 */
export class LoopClock implements FreeTime {
  private lastBeat: number;
  /** Recent stalls, oldest first: the time each ended (at the beat that saw it) and its length. */
  private readonly ends: number[] = [];
  private readonly lengths: number[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly now: () => number = () => performance.now()) {
    this.lastBeat = now();
  }

  /** Starts the heartbeat (it does not keep the process alive). */
  start(): void {
    if (this.timer !== null) return;
    this.lastBeat = this.now();
    this.timer = setInterval(() => this.beat(), BEAT_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** One heartbeat (the interval's; tests call it with their own time). */
  beat(): void {
    const t = this.now();
    const late = t - this.lastBeat - BEAT_MS;
    this.lastBeat = t;
    if (late < STALL_MIN_MS) return;
    this.ends.push(t);
    this.lengths.push(late);
    let old = 0;
    while (old < this.ends.length && this.ends[old] < t - KEEP_MS) old++;
    if (old > 0) {
      this.ends.splice(0, old);
      this.lengths.splice(0, old);
    }
  }

  since(t: number): number {
    const now = this.now();
    let stalled = 0;
    for (let i = this.ends.length - 1; i >= 0; i--) {
      const end = this.ends[i];
      if (end <= t) break;
      stalled += end - Math.max(t, end - this.lengths[i]);
    }
    // A stall still going on: the heartbeat is overdue (this code runs in the turn that ended it).
    if (this.timer !== null) {
      const overdueFrom = this.lastBeat + BEAT_MS + STALL_MIN_MS;
      if (now > overdueFrom) stalled += now - Math.max(t, this.lastBeat + BEAT_MS);
    }
    return Math.max(0, now - t - stalled);
  }
}
