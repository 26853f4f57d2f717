import type { Config } from './config.js';
import { OUTBOX_KINDS, type OutboxKind } from '../core/actions.js';
import type { ResponseMode } from '../core/alerts.js';
import type { OutboxItem, OutboxStatus } from '../core/delivery.js';
import { ActionStore } from '../store/sqlite/actions.js';
import { AlertResponseWriter } from '../store/sqlite/alert-responses.js';
import { openDatabase } from '../store/sqlite/database.js';
import { OutboxStore } from '../store/sqlite/outbox.js';
import { withAnnotation } from './store-access.js';

/**
 * The outbox for people: what is queued, delivered or failed, and requeuing failed items.
 * A permanent failure (an SMTP 550, a webhook's 4xx, an expiry) fails an item at once and
 * visibly; once its cause is fixed, `ouwatch outbox retry ID` sends it again.
 */

export const OUTBOX_STATUSES: readonly OutboxStatus[] = ['pending', 'delivered', 'failed'];
export { OUTBOX_KINDS };

export interface OutboxView {
  id: number;
  kind: OutboxKind;
  target: string;
  status: OutboxStatus;
  attempts: number;
  requeues: number;
  alertId: string | null;
  actionId: number | null;
  createdAt: string;
  nextAttemptAt: string | null;
  expiresAt: string;
  finishedAt: string | null;
  lastError: string | null;
}

export interface OutboxFilter {
  statuses?: OutboxStatus[];
  kind?: OutboxKind;
  limit: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

function view(it: OutboxItem): OutboxView {
  return {
    id: it.id,
    kind: it.kind,
    target: it.target,
    status: it.status,
    attempts: it.attempts,
    requeues: it.requeues,
    alertId: it.alertId,
    actionId: it.actionId,
    createdAt: iso(it.createdAt),
    nextAttemptAt: it.status === 'pending' ? iso(it.nextAttemptAt) : null,
    expiresAt: iso(it.expiresAt),
    finishedAt: it.finishedAt === null ? null : iso(it.finishedAt),
    lastError: it.lastError,
  };
}

/** Outbox items, newest first (read-only). */
export function listOutbox(path: string, f: OutboxFilter): OutboxView[] {
  const db = openDatabase(path, { mode: 'read' });
  try {
    const store = new OutboxStore(db);
    const statuses = f.statuses ?? OUTBOX_STATUSES;
    const items = statuses.flatMap((status) => store.find({ status, kind: f.kind, limit: f.limit }));
    return items
      .sort((a, b) => b.id - a.id)
      .slice(0, f.limit)
      .map(view);
  } finally {
    db.close();
  }
}

export type RetryOutcome = { id: number; requeued: true; kind: OutboxKind; expiresAt: string } | { id: number; requeued: false; why: string };

/**
 * Makes failed items pending again: attempts start over, due now, a new expiry (the kind's
 * `expireMinutes`). An end-session action and its alert's response go back to `queued`. Items
 * that are not failed are left alone and reported. Runs beside a daemon (no writer lease):
 * the daemon's worker picks the items up at its next poll.
 */
export async function retryOutbox(path: string, ids: number[], config: Config, now: number = Date.now()): Promise<RetryOutcome[]> {
  return withAnnotation(
    path,
    (db) =>
      db.transaction(() => {
        const store = new OutboxStore(db);
        const actions = new ActionStore(db);
        const responses = new AlertResponseWriter(db);
        return ids.map((id): RetryOutcome => {
          const it = store.get(id);
          if (it === null) return { id, requeued: false, why: 'no such outbox item' };
          if (it.status !== 'failed') return { id, requeued: false, why: `it is ${it.status}, not failed` };
          const minutes = it.kind === 'end-session' ? config.respond.expireMinutes : config.notify.expireMinutes;
          const expiresAt = now + minutes * 60_000;
          store.requeue(id, now, expiresAt);
          if (it.kind === 'end-session' && it.actionId !== null) {
            actions.update(it.actionId, { status: 'queued', error: null, reason: 'requeued by a person (ouwatch outbox retry)' }, now);
            const p = it.payload as { mode?: ResponseMode; target?: { name?: string } };
            if (it.alertId !== null && p.mode && p.target?.name) {
              responses.set(it.alertId, { action: 'end-session', mode: p.mode, name: p.target.name, status: 'queued' });
            }
          }
          return { id, requeued: true, kind: it.kind, expiresAt: iso(expiresAt) };
        });
      })(),
    { minVersion: 6 },
  );
}
