import { LogClock } from './time.js';

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
/** 1970-01-01: the earliest log time accepted (a year such as 0001 is a broken line, not history). */
const EARLIEST = 0;

/** The epoch of the wall-clock second `yyyy-MM-dd HH:mm:ss` last read through it, in one clock's zone. */
class SecondCache {
  private readonly bytes = new Uint8Array(19);
  private epoch = Number.NaN;

  constructor(private readonly clock: LogClock) {}

  /** The 19 bytes at `buf[at]` as an epoch (NaN when they are not a real date and time). */
  at(buf: Uint8Array, at: number): number {
    const c = this.bytes;
    let i = 18;
    while (i >= 0 && buf[at + i] === c[i]) i--;
    if (i >= 0) {
      for (let k = 0; k < 19; k++) c[k] = buf[at + k];
      this.epoch = this.clock.secondToEpoch(String.fromCharCode(...c));
    }
    return this.epoch;
  }
}

/**
 * log4j's `yyyy-MM-dd HH:mm:ss,SSS` read from bytes into epoch milliseconds. Lines arrive in
 * time order, so the conversion of the current second is cached and compared byte by byte;
 * each line then only adds its milliseconds.
 *
 * OpenUnison's layout writes that stamp with no zone: it is read in the configured zone. A
 * custom log4j2 configuration may write the same instant as ISO 8601 (`T` between date and
 * time, `.` before the milliseconds) and may add a zone designator (`Z`, `+01:00`, `+0100`,
 * `+01`): the separators are accepted, and a designator is the line's own zone, which then
 * wins over the configured one. Times before 1970 or more than a day in the future are not
 * accepted (NaN): a line dated 9999 is malformed, not history.
 */
export class ByteClock {
  private readonly local: SecondCache;
  /** For stamps that carry their zone: the wall time read as UTC, the offset then taken off. */
  private zoned: SecondCache | null = null;
  private latest = 0;
  private latestCheckedAt = -1;
  /** Characters of the stamp `epochAt` last accepted: 23, or up to 29 with a zone designator. */
  length = 23;

  constructor(readonly timeZone = 'UTC') {
    this.local = new SecondCache(new LogClock(timeZone));
  }

  /** The stamp at `buf[at]` (ending before `end`), or NaN when it is not a real, plausible time. */
  epochAt(buf: Uint8Array, at: number, end = buf.length): number {
    if (end - at < 23) return Number.NaN;
    const sep = buf[at + 19];
    const c0 = buf[at + 20] - 48;
    const c1 = buf[at + 21] - 48;
    const c2 = buf[at + 22] - 48;
    if ((sep !== 44 /* , */ && sep !== 46) /* . */ || c0 < 0 || c0 > 9 || c1 < 0 || c1 > 9 || c2 < 0 || c2 > 9) return Number.NaN;
    const millis = c0 * 100 + c1 * 10 + c2;
    const z = at + 23 < end ? buf[at + 23] : -1;
    let t: number;
    if (z !== 90 /* Z */ && z !== 43 /* + */ && z !== 45 /* - */) {
      this.length = 23;
      t = this.local.at(buf, at) + millis;
    } else {
      let offset = 0;
      if (z === 90) this.length = 24;
      else offset = this.offsetAt(buf, at + 23, end);
      if (offset !== offset) return Number.NaN;
      this.zoned ??= new SecondCache(new LogClock('UTC'));
      t = this.zoned.at(buf, at) + millis - offset;
    }
    if (t !== t) return Number.NaN;
    if (t < EARLIEST) return Number.NaN;
    if (t > this.latest) {
      // The wall clock is read only for a time past the bound it last set, not per line.
      const now = Date.now();
      if (now !== this.latestCheckedAt) {
        this.latestCheckedAt = now;
        this.latest = now + DAY_MS;
      }
      if (t > this.latest) return Number.NaN;
    }
    return t;
  }

  /**
   * The offset of the designator `±hh:mm`, `±hhmm` or `±hh` at `buf[at]` in ms (sets `length`),
   * or NaN. log4j2 writes it as the JVM's zone had it: at most ±18 hours, minutes below 60.
   */
  private offsetAt(buf: Uint8Array, at: number, end: number): number {
    const h = twoDigits(buf, at + 1, end);
    if (h < 0 || h > 18) return Number.NaN;
    let m = 0;
    let len = 3;
    if (at + 3 < end && buf[at + 3] === 58 /* : */) {
      m = twoDigits(buf, at + 4, end);
      len = 6;
    } else if (at + 3 < end && buf[at + 3] >= 48 && buf[at + 3] <= 57) {
      m = twoDigits(buf, at + 3, end);
      len = 5;
    }
    if (m < 0 || m > 59) return Number.NaN;
    this.length = 23 + len;
    return (buf[at] === 45 ? -1 : 1) * (h * 60 + m) * MINUTE_MS;
  }
}

/** The number written by the two ASCII digits at `buf[at]`, or -1. */
function twoDigits(buf: Uint8Array, at: number, end: number): number {
  if (at + 2 > end) return -1;
  const a = buf[at] - 48;
  const b = buf[at + 1] - 48;
  return a < 0 || a > 9 || b < 0 || b > 9 ? -1 : a * 10 + b;
}
