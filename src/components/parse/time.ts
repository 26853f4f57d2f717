/**
 * Turns log4j's zone-less `yyyy-MM-dd HH:mm:ss` into the epoch milliseconds of that second.
 * OpenUnison's logs carry no zone, so the zone they were written in is a setting (`--tz`,
 * default UTC).
 * ByteClock reads the stamps from bytes, caches the current second and adds the milliseconds.
 */
export class LogClock {
  private readonly utc: boolean;
  private readonly parts: Intl.DateTimeFormat | null;

  constructor(readonly timeZone = 'UTC') {
    this.utc = timeZone === 'UTC' || timeZone === 'Etc/UTC' || timeZone === 'Z';
    this.parts = this.utc
      ? null
      : new Intl.DateTimeFormat('en-US', {
          timeZone,
          hourCycle: 'h23',
          year: 'numeric',
          month: '2-digit',
          day: '2-digit',
          hour: '2-digit',
          minute: '2-digit',
          second: '2-digit',
        });
  }

  /** Throws a RangeError naming the zone when it is not an IANA zone this runtime knows. */
  static validateZone(timeZone: string): void {
    // The default needs no check, and the first Intl.DateTimeFormat costs ~15 ms (ICU's zone data).
    if (timeZone === 'UTC') return;
    try {
      new Intl.DateTimeFormat('en-US', { timeZone });
    } catch {
      throw new RangeError(`unknown time zone '${timeZone}' (expected an IANA name such as UTC or Europe/Stockholm)`);
    }
  }

  /** `yyyy-MM-dd HH:mm:ss` (or ISO 8601's `T` between them) in the zone -> epoch ms, or NaN when it is not a real date and time. */
  secondToEpoch(s: string): number {
    if (s.length !== 19 || s[4] !== '-' || s[7] !== '-' || (s[10] !== ' ' && s[10] !== 'T') || s[13] !== ':' || s[16] !== ':') return NaN;
    const y = digits(s, 0, 4);
    const mo = digits(s, 5, 2);
    const d = digits(s, 8, 2);
    const h = digits(s, 11, 2);
    const mi = digits(s, 14, 2);
    const se = digits(s, 17, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59) return NaN;
    const asUtc = Date.UTC(y, mo - 1, d, h, mi, se);
    if (new Date(asUtc).getUTCDate() !== d) return NaN; // 31 April, 30 February
    if (this.utc) return asUtc;
    // Local wall time -> instant. The offsets in force a day before and a day after bracket
    // any transition (zones change offset at most once a day); usually they are equal.
    const before = this.offsetAt(asUtc - DAY_MS);
    const after = this.offsetAt(asUtc + DAY_MS);
    if (before === after) return asUtc - before;
    // Near a transition, resolve as java.time does: a wall time that occurs twice is the
    // earlier instant; one that never occurs (spring gap) moves forward by the gap.
    const early = asUtc - before;
    const late = asUtc - after;
    const earlyExists = this.offsetAt(early) === before;
    const lateExists = this.offsetAt(late) === after;
    if (earlyExists && lateExists) return Math.min(early, late);
    if (earlyExists) return early;
    if (lateExists) return late;
    return asUtc - before;
  }

  /** Zone offset (local - UTC) in ms at an instant. */
  private offsetAt(epoch: number): number {
    const fields: Record<string, number> = {};
    for (const p of this.parts!.formatToParts(new Date(epoch))) if (p.type !== 'literal') fields[p.type] = Number(p.value);
    const local = Date.UTC(fields.year, fields.month - 1, fields.day, fields.hour, fields.minute, fields.second);
    return local - Math.floor(epoch / 1000) * 1000;
  }
}

const DAY_MS = 86_400_000;

function digits(s: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}
