/**
 * Writes an instant as log4j's `%d` writes it: `yyyy-MM-dd HH:mm:ss,SSS` in the JVM's zone.
 * JSON layouts carry an instant; OpenUnison's PatternLayout wrote local time, so a line
 * rebuilt from JSON must be written in the zone `--tz` names, which the scanner then reads
 * back to the same instant. Offsets are cached per quarter of an hour (a zone changes its
 * offset at most once in such a span), so most records cost no Intl call.
 */
export class WallClock {
  private readonly parts: Intl.DateTimeFormat | null;
  private cachedBucket = NaN;
  private cachedOffset = 0;

  constructor(readonly timeZone = 'UTC') {
    const utc = timeZone === 'UTC' || timeZone === 'Etc/UTC' || timeZone === 'Z';
    this.parts = utc
      ? null
      : new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  }

  /** `yyyy-MM-dd HH:mm:ss,SSS` of epoch milliseconds `ms` in the zone. */
  format(ms: number): string {
    const local = ms + this.offset(ms);
    // Events come in log order, many in the same second: its text up to the comma is kept.
    const second = Math.floor(local / 1000);
    if (second !== this.cachedSecond) {
      const d = new Date(second * 1000);
      this.cachedSecond = second;
      this.cachedPrefix = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)} ${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)},`;
    }
    return this.cachedPrefix + pad(local - second * 1000, 3);
  }

  private cachedSecond = NaN;
  private cachedPrefix = '';

  /** Zone offset (local - UTC) in ms at `ms`. */
  private offset(ms: number): number {
    if (this.parts === null) return 0;
    const bucket = Math.floor(ms / BUCKET_MS);
    if (bucket === this.cachedBucket) return this.cachedOffset;
    const first = this.offsetAt(bucket * BUCKET_MS);
    const last = this.offsetAt(bucket * BUCKET_MS + BUCKET_MS - 1000);
    if (first !== last) return this.offsetAt(ms); // a transition inside this quarter: no cache
    this.cachedBucket = bucket;
    this.cachedOffset = first;
    return first;
  }

  private offsetAt(epoch: number): number {
    const f: Record<string, number> = {};
    for (const p of this.parts!.formatToParts(new Date(epoch))) if (p.type !== 'literal') f[p.type] = Number(p.value);
    const local = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second);
    return local - Math.floor(epoch / 1000) * 1000;
  }
}

const BUCKET_MS = 15 * 60 * 1000;

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}
