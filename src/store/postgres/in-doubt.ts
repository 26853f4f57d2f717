import type { StoredAlert } from '../../core/alerts.js';
import type { CommitBatch } from '../../core/ports.js';
import { keyOf } from './bulk.js';

/**
 * A commit whose COMMIT was sent but whose answer was lost with the connection may have been
 * stored. If the next commit finds it stored (writer_commits holds its number), that next
 * batch still carries everything since the last commit this process saw succeed (memory is
 * only marked committed on success): values that replace what is stored are simply written
 * again, but the deltas that add up (sessions, session addresses, hourly activity, evidence
 * lines appended to alerts) must not count twice, and the alerts it stored must still be reported as raised (they were never
 * printed), without running the hooks again (their rows were stored with them).
 *
 * Returns the alerts the stored commit raised; `next`'s deltas are reduced by what it held.
 */
export function subtractLanded(next: CommitBatch, landed: { batch: CommitBatch; raised: StoredAlert[] }): StoredAlert[] {
  const sessions = new Map<string, number>();
  const sessionIps = new Map<string, number>();
  for (const s of landed.batch.history.sessions) {
    const k = keyOf(s.sessionId, s.dn);
    sessions.set(k, (sessions.get(k) ?? 0) + s.count);
    for (const ip of s.ips) {
      const ki = keyOf(s.sessionId, s.dn, ip.ip);
      sessionIps.set(ki, (sessionIps.get(ki) ?? 0) + ip.count);
    }
  }
  next.history.sessions = next.history.sessions.map((s) => {
    const k = keyOf(s.sessionId, s.dn);
    const count = s.count - take(sessions, k, s.count);
    return { ...s, count, ips: s.ips.map((ip) => ({ ...ip, count: ip.count - take(sessionIps, keyOf(s.sessionId, s.dn, ip.ip), ip.count) })) };
  });
  const activity = new Map<string, { events: number; failures: number }>();
  for (const a of landed.batch.history.activity) {
    const k = keyOf(a.dn, a.hour, a.ip);
    const before = activity.get(k) ?? { events: 0, failures: 0 };
    activity.set(k, { events: before.events + a.events, failures: before.failures + a.failures });
  }
  next.history.activity = next.history.activity.map((a) => {
    const done = activity.get(keyOf(a.dn, a.hour, a.ip));
    if (done === undefined) return a;
    const events = Math.min(done.events, a.events);
    const failures = Math.min(done.failures, a.failures);
    done.events -= events;
    done.failures -= failures;
    return { ...a, events: a.events - events, failures: a.failures - failures };
  });
  // Evidence lines are appended to the stored ones: those the stored commit appended are not appended twice.
  const appended = new Map<string, number>();
  for (const u of landed.batch.alerts.updated) appended.set(u.id, (appended.get(u.id) ?? 0) + u.evidenceAdded.length);
  next.alerts.updated = next.alerts.updated.map((u) => {
    const n = appended.get(u.id) ?? 0;
    return n === 0 ? u : { ...u, evidenceAdded: u.evidenceAdded.slice(n) };
  });
  return landed.raised;
}

/** Takes up to `most` from the amount left under `k`. */
function take(left: Map<string, number>, k: string, most: number): number {
  const have = left.get(k) ?? 0;
  const n = Math.min(have, most);
  if (n > 0) left.set(k, have - n);
  return n;
}
