import type { Logger } from 'pino';
import { StorageFault } from '../../core/storage-fault.js';

/** What /readyz says while the daemon is paused. */
export interface PauseReport {
  state: 'paused';
  reason: string;
  since: string;
  retries: number;
  nextAttemptInSeconds: number;
}

export interface PauseSteps {
  log: Logger;
  /** Stops reading and writing: sources, the ingest loop, the workers, the store connection. */
  suspend(): Promise<void>;
  /** Opens the store again and starts a new session from the last commit; throws while it cannot. */
  resume(): Promise<void>;
  /** The StorageFault behind a failed resume, or null when it failed for another reason. */
  classify(err: unknown): StorageFault | null;
  /** A failure that is not a storage fault: the daemon cannot go on. */
  fatal(err: unknown): void;
}

const FIRST_RETRY_MS = 1_000;
const LONGEST_RETRY_MS = 60_000;
const LOG_EVERY_MS = 60_000;

/**
 * A daemon that cannot write its store pauses instead of crashing: it stops reading (nothing is
 * consumed that cannot be committed), says why on /readyz (503) and in one error line a minute,
 * retries with backoff (1 s doubling to 60 s), and resumes from its last commit (every input
 * from its checkpoint) once the store can be written again, as a restart would. A fault again
 * soon after resuming keeps the backoff growing.
 */
export class StoragePause {
  private state: { fault: StorageFault; since: number; retries: number; nextAt: number } | null = null;
  private delay = FIRST_RETRY_MS;
  private lastLogged = -Infinity;
  private resumedAt = -Infinity;
  private wake: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private cancelled = false;
  private loop: Promise<void> | null = null;

  constructor(private readonly steps: PauseSteps) {}

  /** The store cannot be written: pause (idempotent while paused). */
  enter(fault: StorageFault): void {
    if (this.state !== null || this.cancelled) return;
    if (Date.now() - this.resumedAt > LOG_EVERY_MS) this.delay = FIRST_RETRY_MS;
    this.state = { fault, since: Date.now(), retries: 0, nextAt: Date.now() + this.delay };
    this.complain(`storage fault: reading paused, retrying with backoff; nothing read is lost (it is read again from the last commit): ${fault.reason}`, true);
    this.loop = this.run();
  }

  report(): PauseReport | null {
    const s = this.state;
    if (s === null) return null;
    return {
      state: 'paused',
      reason: s.fault.message,
      since: new Date(s.since).toISOString(),
      retries: s.retries,
      nextAttemptInSeconds: Math.max(0, Math.round((s.nextAt - Date.now()) / 1000)),
    };
  }

  /** Shutdown: stop retrying and wait for the loop to end. */
  async cancel(): Promise<void> {
    this.cancelled = true;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    try {
      await this.steps.suspend();
    } catch (err) {
      this.steps.log.warn({ err: (err as Error).message }, 'stopping reading for the pause did not finish cleanly');
    }
    while (!this.cancelled && this.state !== null) {
      await this.sleepUntil(this.state.nextAt);
      if (this.cancelled) return;
      const s = this.state;
      s.retries++;
      try {
        await this.steps.resume();
        this.steps.log.info({ pausedSeconds: Math.round((Date.now() - s.since) / 1000), retries: s.retries }, 'storage writable again: reading resumed from the last commit');
        this.state = null;
        this.resumedAt = Date.now();
        return;
      } catch (err) {
        const fault = this.steps.classify(err);
        if (fault === null) {
          this.state = null;
          this.steps.fatal(err);
          return;
        }
        s.fault = fault;
        this.delay = Math.min(this.delay * 2, LONGEST_RETRY_MS);
        s.nextAt = Date.now() + this.delay;
        this.complain(`storage fault: still paused after ${s.retries} attempt${s.retries === 1 ? '' : 's'} (next in ${Math.round(this.delay / 1000)} s): ${fault.reason}`, false);
      }
    }
  }

  /** One error line a minute at most, however often the store is tried. */
  private complain(msg: string, entering: boolean): void {
    const now = Date.now();
    if (now - this.lastLogged < LOG_EVERY_MS) return;
    this.lastLogged = now;
    const s = this.state!;
    this.steps.log.error({ db: s.fault.store, kind: s.fault.kind, since: new Date(s.since).toISOString(), entering }, msg);
  }

  private sleepUntil(at: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, Math.max(0, at - Date.now()));
    }).then(() => {
      this.wake = null;
      this.timer = null;
    });
  }
}
