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
    this.draining = this.drain().finally(() => {
      this.draining = null;
      if (this.again) {
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
