import type { RunStats, WorkerStats } from '../../core/runtime.js';

/**
 * Counters across the daemon's sessions: after a storage pause a new pipeline and new workers
 * count from zero, and /metrics adds what the earlier sessions had committed (lines consumed
 * but not committed before the pause are read again, and counted once).
 */

export function emptyRunStats(): RunStats {
  return { linesRead: 0, events: {}, lineKinds: {}, users: 0, alertsRaised: 0, alertsUpdated: 0 };
}

export function addRunStats(a: RunStats, b: RunStats): RunStats {
  return {
    linesRead: a.linesRead + b.linesRead,
    events: addCounts(a.events, b.events),
    lineKinds: addCounts(a.lineKinds, b.lineKinds),
    // distinct users per session: the larger is the better lower bound of the whole
    users: Math.max(a.users, b.users),
    alertsRaised: a.alertsRaised + b.alertsRaised,
    alertsUpdated: a.alertsUpdated + b.alertsUpdated,
  };
}

/** Earlier sessions' worker counters plus the current workers'; store-derived gauges from the newest. */
export function addWorkerStats(earlier: WorkerStats, current: WorkerStats[]): WorkerStats {
  let out: WorkerStats = { ...earlier };
  for (const w of current) {
    const notifications: Record<string, Record<string, number>> = { ...(out.notifications ?? {}) };
    for (const [channel, byResult] of Object.entries(w.notifications ?? {})) notifications[channel] = addTotals(notifications[channel] ?? {}, byResult);
    out = {
      outboxDepth: w.outboxDepth ?? out.outboxDepth,
      outboxItems: w.outboxItems ?? out.outboxItems,
      outboxRequeued: w.outboxRequeued ?? out.outboxRequeued,
      actions: addTotals(out.actions ?? {}, w.actions ?? {}),
      notifications,
    };
  }
  return out;
}

function addCounts<K extends string>(a: Partial<Record<K, number>>, b: Partial<Record<K, number>>): Partial<Record<K, number>> {
  const out: Partial<Record<K, number>> = { ...a };
  for (const [k, n] of Object.entries(b) as Array<[K, number]>) out[k] = (out[k] ?? 0) + n;
  return out;
}

function addTotals(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [k, n] of Object.entries(b)) out[k] = (out[k] ?? 0) + n;
  return out;
}
