import type { Evidence } from '../../core/alerts.js';
import { StateEntry, type StateCodec } from './state.js';

/**
 * The recent events of one key (an address or a DN) within a sliding window of log time:
 * their times, and the evidence of the first few. Burst detectors count them.
 */
export class EventWindow extends StateEntry {
  times: number[] = [];
  /** Parallel to `times`; null where the line was not kept (beyond the evidence cap). */
  evidence: Array<Evidence | null> = [];
  /** The address of the latest event (the alert names it). */
  lastIp: string | null = null;
  /** Entries of `evidence` that are not null. */
  keptLines = 0;

  get count(): number {
    return this.times.length;
  }

  /** Forgets events older than `span` before `now` (a window includes its boundary). */
  prune(now: number, span: number): void {
    const from = now - span;
    let n = 0;
    while (n < this.times.length && this.times[n] < from) {
      if (this.evidence[n] !== null) this.keptLines--;
      n++;
    }
    if (n > 0) {
      this.times.splice(0, n);
      this.evidence.splice(0, n);
    }
  }

  add(t: number, ev: Evidence | null): void {
    this.times.push(t);
    this.evidence.push(ev);
    if (ev !== null) this.keptLines++;
  }

  /** Whether a new event's line should be kept (while fewer than `max` lines are). */
  wantsEvidence(max: number): boolean {
    return this.keptLines < max;
  }

  kept(): Evidence[] {
    const out: Evidence[] = [];
    for (const e of this.evidence) if (e !== null) out.push(e);
    return out;
  }

  clear(): void {
    this.times = [];
    this.evidence = [];
    this.keptLines = 0;
  }

  get first(): number {
    return this.times[0];
  }

  get last(): number {
    return this.times[this.times.length - 1];
  }
}

interface WindowJson {
  t: number[];
  e: Array<[string, string] | null>;
  ip: string | null;
}

export function windowCodec(span: number): StateCodec<EventWindow> {
  return {
    encode: (w) => JSON.stringify({ t: w.times, e: w.evidence.map((e) => (e === null ? null : [e.source, e.line])), ip: w.lastIp } satisfies WindowJson),
    decode: (json) => {
      const j = JSON.parse(json) as Partial<WindowJson>;
      if (!Array.isArray(j.t) || !Array.isArray(j.e) || j.t.length !== j.e.length) return null;
      const w = new EventWindow();
      w.times = j.t;
      w.evidence = j.e.map((e) => (e === null ? null : { source: e[0], line: e[1] }));
      w.keptLines = w.evidence.filter((e) => e !== null).length;
      w.lastIp = j.ip ?? null;
      return w;
    },
    expires: (w) => (w.times.length === 0 ? null : w.last + span),
  };
}
