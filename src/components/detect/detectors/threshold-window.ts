import type { Evidence } from '../../../core/alerts.js';
import type { StateCodec } from '../state-table.js';

/** One key's recent events: their times, counted values, and the first lines. */
export class Window {
  times: number[] = [];
  values: string[] = [];
  /** The `spread` field's value of each event (empty when the rule has no spread). */
  spreads: string[] = [];
  /**
   * Entries before this index have left the window but are still in the lists: they are cut
   * off in one splice once they are half of them. A splice at every event that moved the
   * window copied the whole list each time (15,000 events a key for a script retrying one
   * request for 5 minutes).
   */
  head = 0;
  /** `values` and `spreads` counted, kept beside them (not stored: rebuilt from them after a start). */
  distinctTally: Tally | null = null;
  spreadTally: Tally | null = null;

  /** The window's `values` counted (built from the lists at its first use after a start, then kept). */
  distinctValues(): Tally {
    return (this.distinctTally ??= new Tally(this.values.slice(this.head)));
  }

  /** The window's `spreads` counted, likewise. */
  spreadValues(): Tally {
    return (this.spreadTally ??= new Tally(this.spreads.slice(this.head)));
  }

  /** Events in the window. */
  get size(): number {
    return this.times.length - this.head;
  }

  /** The events before index `to` left the window. */
  leave(to: number): void {
    this.distinctTally?.remove(this.values, this.head, to);
    this.spreadTally?.remove(this.spreads, this.head, to);
    this.head = to;
    if (this.head * 2 >= this.times.length) this.compact();
  }

  /** Cuts off the entries that left the window (before it is stored, and when they are many). */
  compact(): void {
    if (this.head === 0) return;
    this.times.splice(0, this.head);
    this.values.splice(0, this.head);
    if (this.spreads.length > 0) this.spreads.splice(0, this.head);
    this.head = 0;
  }
  evidence: Evidence[] = [];
  lastIp: string | null = null;
  lastCountry: string | null = null;
  lastUrl: string | null = null;
  lastDn: string | null = null;
  lastDnSha1: string | null = null;
}

/**
 * How often each non-empty value occurs in a window, kept up to date as events enter and
 * leave it. Counting distinct values by building a set at every event made a window that
 * never reaches its threshold quadratic: a script retrying one forbidden URL at 50 requests a
 * second keeps 15,000 events in authz-probing's 5-minute window, all one value.
 */
export class Tally {
  private readonly counts = new Map<string, number>();

  constructor(values: readonly string[]) {
    for (const v of values) this.add(v);
  }

  get size(): number {
    return this.counts.size;
  }

  add(v: string): void {
    if (v !== '') this.counts.set(v, (this.counts.get(v) ?? 0) + 1);
  }

  /** `values[from..to)` left the window (a list stored by an older version may be shorter). */
  remove(values: readonly string[], from: number, to: number): void {
    for (let i = from; i < Math.min(to, values.length); i++) {
      const v = values[i];
      if (v === '') continue;
      const left = this.counts.get(v)! - 1;
      if (left === 0) this.counts.delete(v);
      else this.counts.set(v, left);
    }
  }
}

/** How a window is stored (the lists from `head` on, its first lines and its latest fields). */
export function windowCodec(span: number): StateCodec<Window> {
  return {
    encode: (w) => {
      w.compact();
      return JSON.stringify([w.times, w.values, w.evidence.map((e) => [e.source, e.line]), w.lastIp, w.lastCountry, w.lastUrl, w.lastDn, w.lastDnSha1, w.spreads]);
    },
    decode: (json) => {
      const j = JSON.parse(json) as [number[], string[], Array<[string, string]>, string | null, string | null, string | null, string | null, string | null, string[]?];
      if (!Array.isArray(j) || (j.length !== 8 && j.length !== 9)) return null;
      const w = new Window();
      [w.times, w.values] = [j[0], j[1]];
      w.spreads = j[8] ?? [];
      w.evidence = j[2].map(([source, line]) => ({ source, line }));
      [w.lastIp, w.lastCountry, w.lastUrl, w.lastDn, w.lastDnSha1] = [j[3], j[4], j[5], j[6], j[7]];
      return w;
    },
    expires: (w) => (w.times.length === 0 ? null : w.times[w.times.length - 1] + span),
  };
}
