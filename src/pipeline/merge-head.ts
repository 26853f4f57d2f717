import type { Feed } from './feed.js';
import type { FreeTime } from './loop-clock.js';

/** What the merge reads of an input (a Feed). */
export type MergeInput = Pick<Feed, 'available' | 'headKey' | 'done' | 'live' | 'inFlight' | 'unreadWait'>;

/**
 * One look across the inputs for the merge by log time: the input whose next event comes
 * first, the key that ends its run (the runner-up's head), and what the merge must wait for
 * before it may take that run. Reused from look to look (the merge looks once per run of
 * events, not per event).
 */
export class MergeHead<F extends MergeInput = Feed> {
  /** The input whose parsed head comes first, or null when none has one. */
  best: F | null = null;
  bestKey = 0;
  /** The next-lowest head key (+Infinity when `best` is alone): `best`'s run ends there. */
  second = Number.POSITIVE_INFINITY;
  runnerUp: F | null = null;
  /** An input has bytes sent for parsing (or is finite with nothing parsed yet): its events may come first. */
  waitFinite = false;
  /** A live input is quiet: `best` may go once it has waited the merge window. */
  waitLive = false;
  /** Milliseconds to wait for bytes a live source knows it has not read yet (+Infinity: none). */
  waitUnread = Number.POSITIVE_INFINITY;

  /** `free`: the event loop's free time since a moment (the patience for unread bytes is counted in it). */
  look(feeds: readonly F[], free: FreeTime, stopping: boolean): void {
    this.best = null;
    this.bestKey = 0;
    this.second = Number.POSITIVE_INFINITY;
    this.runnerUp = null;
    this.waitFinite = false;
    this.waitLive = false;
    this.waitUnread = Number.POSITIVE_INFINITY;
    for (const f of feeds) {
      if (f.available()) {
        const k = f.headKey();
        if (this.best === null || k < this.bestKey) {
          if (this.best !== null) {
            this.second = this.bestKey;
            this.runnerUp = this.best;
          }
          this.best = f;
          this.bestKey = k;
        } else if (k < this.second) {
          this.second = k;
          this.runnerUp = f;
        }
      } else if (!f.done && !stopping) {
        // Bytes already sent for parsing are waited for, live or not: they arrived, and
        // their events may come first (the first batch also waits for the address tables).
        // So are bytes a live source knows it has not read yet (a backlog being read, a
        // rotated file's rest), for a bounded time: only a quiet input gets just the window.
        if (f.live && f.inFlight === 0) {
          const unread = f.unreadWait(free);
          if (unread > 0) this.waitUnread = Math.min(this.waitUnread, unread);
          else this.waitLive = true;
        } else this.waitFinite = true;
      }
    }
  }

  /** Whether `best` may take events whose key equals `second`: ties go to the input opened first. */
  bestTakesTies(feeds: readonly F[]): boolean {
    const second = this.second;
    if (second === Number.POSITIVE_INFINITY) return true;
    const mine = feeds.indexOf(this.best!);
    for (let i = 0; i < mine; i++) {
      const f = feeds[i];
      if (f.available() && f.headKey() === second) return false;
    }
    return true;
  }
}
