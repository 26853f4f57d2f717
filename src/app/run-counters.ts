import { EVENT_TYPES, kindName, type EventType, type LineKind } from '../core/events.js';
import type { RunStats } from '../core/runtime.js';
import type { SeenCount } from '../components/history/seen-users.js';
import type { EventBatch } from '../pipeline/batch.js';
import type { CommitReport } from '../pipeline/committer.js';

/** Counters of one replay or daemon run (the summary, the progress line and /metrics read these). */
export class RunCounters implements RunStats {
  linesRead = 0;
  bytesRead = 0;
  skippedBytes = 0;
  events: Partial<Record<EventType, number>> = {};
  lineKinds: Partial<Record<LineKind, number>> = {};
  alertsRaised = 0;
  alertsUpdated = 0;
  incidentsOpened = 0;
  readonly bySeverity: Record<string, number> = {};
  /** Log time of the newest event consumed (null before the first). */
  lastEventTs: number | null = null;

  /** `seen`: the distinct users so far, read when asked (an estimate costs a pass over its sketch: not once per commit). */
  constructor(private readonly seen: () => SeenCount) {}

  get users(): number {
    return this.seen().users;
  }

  get usersExact(): boolean {
    return this.seen().exact;
  }

  batch(b: EventBatch): void {
    this.linesRead += b.lines;
    this.bytesRead += b.bytes;
    this.skippedBytes += b.skippedBytes;
    for (let t = 0; t < b.typeCounts.length; t++) {
      const n = b.typeCounts[t];
      if (n > 0) this.events[EVENT_TYPES[t]] = (this.events[EVENT_TYPES[t]] ?? 0) + n;
    }
    for (let k = 1; k < b.kinds.length; k++) {
      const n = b.kinds[k];
      if (n > 0) {
        const name = kindName(k);
        this.lineKinds[name] = (this.lineKinds[name] ?? 0) + n;
      }
    }
    if (b.count > 0) {
      const last = b.times[b.count - 1];
      if (this.lastEventTs === null || last > this.lastEventTs) this.lastEventTs = last;
    }
  }

  committed(r: CommitReport): void {
    this.alertsRaised += r.raised.length;
    this.alertsUpdated += r.updated.length;
    this.incidentsOpened += r.opened.length;
    for (const a of r.raised) this.bySeverity[a.severity] = (this.bySeverity[a.severity] ?? 0) + 1;
  }
}
