import { LogClock } from './time.js';

const DAY_MS = 86_400_000;
/** 1970-01-01: the earliest log time accepted (a year such as 0001 is a broken line, not history). */
const EARLIEST = 0;

/**
 * log4j's zone-less `yyyy-MM-dd HH:mm:ss,SSS` read from bytes into epoch milliseconds. Lines
 * arrive in time order, so the conversion of the current second is cached and compared
 * byte by byte; each line then only adds its milliseconds. Times before 1970 or more than a
 * day in the future are not accepted (NaN): a line dated 9999 is malformed, not history.
 */
export class ByteClock {
  private readonly clock: LogClock;
  private readonly cached = new Uint8Array(19);
  private cachedEpoch = Number.NaN;
  private latest = 0;
  private latestCheckedAt = -1;

  constructor(readonly timeZone = 'UTC') {
    this.clock = new LogClock(timeZone);
  }

  /** The stamp at `buf[at]` (23 bytes), or NaN when it is not a real, plausible time. */
  epochAt(buf: Uint8Array, at: number): number {
    const c = this.cached;
    let i = 18;
    while (i >= 0 && buf[at + i] === c[i]) i--;
    if (i >= 0) {
      for (let k = 0; k < 19; k++) c[k] = buf[at + k];
      this.cachedEpoch = this.secondToEpoch(String.fromCharCode(...c));
    }
    const sec = this.cachedEpoch;
    if (sec !== sec) return Number.NaN;
    const c0 = buf[at + 20] - 48;
    const c1 = buf[at + 21] - 48;
    const c2 = buf[at + 22] - 48;
    if (buf[at + 19] !== 44 || c0 < 0 || c0 > 9 || c1 < 0 || c1 > 9 || c2 < 0 || c2 > 9) return Number.NaN;
    return sec + c0 * 100 + c1 * 10 + c2;
  }

  private secondToEpoch(s: string): number {
    const t = this.clock.secondToEpoch(s);
    if (t !== t || t < EARLIEST) return Number.NaN;
    if (t > this.latest) {
      // The wall clock is read once per new second of log time, not per line.
      const now = Date.now();
      if (now !== this.latestCheckedAt) {
        this.latestCheckedAt = now;
        this.latest = now + DAY_MS;
      }
      if (t > this.latest) return Number.NaN;
    }
    return t;
  }
}
