/**
 * Runs the ingest loop's drain one at a time: asked while one runs, it runs once more after
 * it; a timer asks later (a merge window, a commit interval). Waiters for the loop to go idle
 * are woken when a drain ends with nothing more asked.
 */
export class DrainScheduler {
  private draining: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private idleWaiters: Array<() => void> = [];
  /** Exclusive work waiting for the drain in progress to end (see exclusive). */
  private readonly turns: Array<() => void> = [];

  constructor(private readonly drain: () => Promise<void>) {}

  /** The drain in progress, or null. */
  get running(): Promise<void> | null {
    return this.draining;
  }

  schedule(): void {
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.settle(this.drain());
  }

  /**
   * Runs `work` in a drain's place: after the drain in progress and before any asked since,
   * with none beside it. A commit made outside the loop (a timer's, a reload's, the stop's)
   * is such work: events processed while it awaited its store would be marked stored by it
   * without having been written. It goes before the drains asked meanwhile, which a busy
   * log asks for without pause: waiting for the loop to go idle could wait for ever.
   */
  exclusive(work: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const start = () => {
        // Begun once it holds the turn: a drain asked from its first steps waits too.
        const run = Promise.resolve().then(work);
        this.draining = this.settle(run.catch(() => undefined));
        run.then(resolve, reject);
      };
      if (this.draining === null) start();
      else this.turns.push(start);
    });
  }

  private settle(run: Promise<void>): Promise<void> {
    return run.finally(() => {
      this.draining = null;
      // Started here, synchronously: nothing can begin a drain in between.
      const turn = this.turns.shift();
      if (turn !== undefined) turn();
      else if (this.again) {
        this.again = false;
        this.schedule();
      } else this.wakeIdle();
    });
  }

  /** Schedules a drain in `ms` (unless one is already timed, or the timer was stopped). */
  wakeAt(ms: number): void {
    if (this.timer !== null || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.schedule();
    }, Math.max(1, Math.ceil(ms)));
  }

  /** No more timed drains (the run stops). */
  stopTimer(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** Resolves at the next wake-up: a drain that went idle, or `wakeIdle()`. */
  idle(): Promise<void> {
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  wakeIdle(): void {
    const ws = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of ws) w();
  }
}
