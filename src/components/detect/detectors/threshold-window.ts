import { appended } from '../../../core/arrays.js';
import type { Evidence } from '../../../core/alerts.js';
import type { StateCodec } from '../state-table.js';

/** Event times kept one by one, at least (a rule's threshold when larger). */
const MIN_EXACT = 256;
/** Buckets a window's older events are counted in, at most. */
const BUCKETS = 64;

/** How large a key's window may grow, from the rule's parameters. */
export interface WindowShape {
  /** Events kept one by one: at least the threshold, so a count reaching it is exact. */
  exact: number;
  /** Width of the buckets older events are counted in (ms of log time). */
  bucketMs: number;
}

export function windowShape(threshold: number, windowMs: number): WindowShape {
  return { exact: Math.max(threshold, MIN_EXACT), bucketMs: Math.max(1, Math.ceil(windowMs / BUCKETS)) };
}

/**
 * One key's recent events, in a bounded size whatever their rate. A window that never
 * reaches its threshold keeps every event of its span (a script retrying one forbidden
 * request at 50 a second: 15,000 in authz-probing's 5 minutes), and kept them as lists of
 * times and values, which a live run stored again at every commit (1.2 MB for that key, ten
 * times a second). Now:
 * - the newest `exact` event times one by one (the decision "at least threshold events" only
 *   needs the newest threshold of them); older ones as counts per bucket of log time, so a
 *   burst still says how many events it saw (exact until the window overflows, then within a
 *   bucket at its start);
 * - each distinct value and each spread value with the time it was last seen, oldest first:
 *   a value counts while its last event is in the window, exactly.
 */
export class Window {
  /** Times of the newest events, oldest first; those before `head` have left the window. */
  times: number[] = [];
  /**
   * Entries of `times` before this index left the window: cut off in one splice once they are
   * half of it (a splice per event copied the whole list each time).
   */
  head = 0;
  /** Events pushed out of `times`, oldest first: [first event's time, events]. All older than `times`. */
  older: Array<[number, number]> = [];
  /**
   * Distinct values (a rule with `distinct`): the log time each was last seen, oldest first.
   * Null until the first: most rules count no values, and an empty Map costs about 180 bytes
   * per window (tens of thousands of windows when many people fail a request now and then).
   */
  latest: Map<string, number> | null = null;
  /** The `spread` field's values, likewise. */
  spreadLatest: Map<string, number> | null = null;
  evidence: Evidence[] = [];
  lastIp: string | null = null;
  lastCountry: string | null = null;
  lastUrl: string | null = null;
  lastDn: string | null = null;
  lastDnSha1: string | null = null;

  constructor(private readonly shape: WindowShape) {}

  /** Distinct values in the window. */
  get distinctValues(): number {
    return this.latest?.size ?? 0;
  }

  /** Distinct spread values in the window. */
  get spreadValues(): number {
    return this.spreadLatest?.size ?? 0;
  }

  /** Events in the window (exact unless older events are counted in buckets: then a bucket at most over). */
  get size(): number {
    let n = this.times.length - this.head;
    for (const b of this.older) n += b[1];
    return n;
  }

  /** Whether the window holds no event. */
  get empty(): boolean {
    return this.head === this.times.length;
  }

  /** Log time of the window's first event (earlier while a bucket is leaving the window). */
  get firstTime(): number {
    return this.older.length > 0 ? this.older[0][0] : this.times[this.head];
  }

  /** Log time of the newest event. */
  get lastTime(): number {
    return this.times[this.times.length - 1];
  }

  /** Forgets what is older than `from` (a window includes its boundary). */
  slide(from: number): void {
    let keep = this.head;
    while (keep < this.times.length && this.times[keep] < from) keep++;
    if (keep > this.head) {
      this.head = keep;
      // Counted events are older than every one kept by time: one of those left, so did they.
      this.older = [];
      if (this.head * 2 >= this.times.length) this.compact();
    } else {
      while (this.older.length > 0 && this.older[0][0] + this.shape.bucketMs <= from) this.older.shift();
    }
    if (this.latest !== null) dropBefore(this.latest, from);
    if (this.spreadLatest !== null) dropBefore(this.spreadLatest, from);
  }

  /**
   * An event at `ts`, with its distinct and spread values (null: none). Usually the newest; one
   * logged out of order (another thread's line written a little later) is put in its place,
   * so the first and last times stay true.
   */
  add(ts: number, value: string | null, spread: string | null): void {
    const late = !this.empty && ts < this.lastTime;
    if (late) this.insertLate(ts);
    else this.times = appended(this.times, ts);
    if (this.times.length - this.head > this.shape.exact) {
      // A bucket starts at its first event and takes those of the next bucketMs.
      const t = this.times[this.head++];
      const last = this.older[this.older.length - 1];
      if (last !== undefined && t < last[0] + this.shape.bucketMs) last[1]++;
      else this.older.push([t, 1]);
      if (this.head * 2 >= this.times.length) this.compact();
    }
    if (value !== null && value !== '') seen((this.latest ??= new Map()), value, ts, late);
    if (spread !== null && spread !== '') seen((this.spreadLatest ??= new Map()), spread, ts, late);
  }

  /** Puts a late event's time in order among the times kept one by one (never before the buckets', which are all older). */
  private insertLate(ts: number): void {
    const times = this.times;
    let i = times.length - 1;
    while (i > this.head && times[i - 1] > ts) i--;
    const floor = this.older.length > 0 ? this.older[this.older.length - 1][0] : Number.NEGATIVE_INFINITY;
    times.splice(i, 0, Math.max(ts, floor));
  }

  /** Cuts off the times that left the window (before it is stored, and when they are many). */
  compact(): void {
    if (this.head === 0) return;
    this.times.splice(0, this.head);
    this.head = 0;
  }
}

/** `value` seen at `ts`; the map stays oldest first (dropBefore stops at the first value still in the window). */
function seen(m: Map<string, number>, value: string, ts: number, late: boolean): void {
  if (!late) {
    m.delete(value);
    m.set(value, ts);
    return;
  }
  const prev = m.get(value);
  if (prev !== undefined && prev >= ts) return;
  // A late event's value goes in its place by time: sorting again is rare (only for lines out of order).
  m.set(value, ts);
  const inOrder = [...m].sort((a, b) => a[1] - b[1]);
  m.clear();
  for (const [v, t] of inOrder) m.set(v, t);
}

/** Drops the values last seen before `from` (they are at the oldest end). */
function dropBefore(m: Map<string, number>, from: number): void {
  for (const [v, ts] of m) {
    if (ts >= from) return;
    m.delete(v);
  }
}

function entriesOf(m: Map<string, number> | null): Array<[string, number]> {
  return m === null ? [] : [...m];
}

/** Marks the stored form written since windows are bounded (older rows hold one value per event). */
const BOUNDED = 3;

type Stored = [times: number[], latest: Array<[string, number]>, evidence: Array<[string, string]>, lastIp: string | null, lastCountry: string | null, lastUrl: string | null, lastDn: string | null, lastDnSha1: string | null, spreads: Array<[string, number]>, older: Array<[number, number]>, form: number];
/** The form before: a value (and a spread value) per event. */
type StoredLists = [times: number[], values: string[], evidence: Array<[string, string]>, lastIp: string | null, lastCountry: string | null, lastUrl: string | null, lastDn: string | null, lastDnSha1: string | null, spreads?: string[]];

/** How a window is stored: its times from `head` on, counts, values, first lines and latest fields. */
export function windowCodec(span: number, shape: WindowShape): StateCodec<Window> {
  return {
    encode: (w) => {
      w.compact();
      const stored: Stored = [w.times, entriesOf(w.latest), w.evidence.map((e) => [e.source, e.line]), w.lastIp, w.lastCountry, w.lastUrl, w.lastDn, w.lastDnSha1, entriesOf(w.spreadLatest), w.older, BOUNDED];
      return JSON.stringify(stored);
    },
    decode: (json) => {
      const j = JSON.parse(json) as Stored | StoredLists;
      if (!Array.isArray(j)) return null;
      const w = new Window(shape);
      if (j.length === 11 && j[10] === BOUNDED) {
        const s = j as Stored;
        w.times = s[0];
        w.latest = s[1].length === 0 ? null : new Map(s[1]);
        w.spreadLatest = s[8].length === 0 ? null : new Map(s[8]);
        w.older = s[9];
      } else if (j.length === 8 || j.length === 9) {
        // Written before windows were bounded: its events replayed into one that is.
        const s = j as StoredLists;
        const spreads = s[8] ?? [];
        s[0].forEach((ts, i) => w.add(ts, s[1][i] ?? null, spreads[i] ?? null));
      } else return null;
      w.evidence = j[2].map(([source, line]) => ({ source, line }));
      [w.lastIp, w.lastCountry, w.lastUrl, w.lastDn, w.lastDnSha1] = [j[3], j[4], j[5], j[6], j[7]];
      return w;
    },
    expires: (w) => (w.times.length === 0 ? null : w.lastTime + span),
  };
}
