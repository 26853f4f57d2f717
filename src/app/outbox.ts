import type { Config } from './config.js';
import { OUTBOX_KINDS, type OutboxKind } from '../core/actions.js';
import type { AlertResponse, ResponseMode } from '../core/alerts.js';
import type { OutboxItem, OutboxStatus } from '../core/delivery.js';
import { ActionStore } from '../store/sqlite/actions.js';
import { AlertResponseWriter } from '../store/sqlite/alert-responses.js';
import { openDatabase } from '../store/sqlite/database.js';
import { OutboxStore } from '../store/sqlite/outbox.js';
import { withAnnotation } from './store-access.js';
import { storeLocation } from './store-location.js';
import { openPostgres } from '../store/postgres/database.js';
import { PgOutboxStore } from '../store/postgres/outbox.js';
import { PgActionStore, PgAlertResponses } from '../store/postgres/actions.js';
import { inTransaction } from '../store/postgres/review-sql.js';
import { outboxFromRow, type OutboxRow } from '../store/sqlite/outbox.js';

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
export async function listOutbox(config: Config, f: OutboxFilter): Promise<OutboxView[]> {
  const statuses = f.statuses ?? OUTBOX_STATUSES;
  const newest = (items: OutboxItem[]) => items.sort((a, b) => b.id - a.id).slice(0, f.limit).map(view);
  const loc = storeLocation(config);
  if (loc.kind === 'postgres') {
    const pg = await openPostgres(loc.pg, 'read');
    try {
      const store = new PgOutboxStore(pg.pool);
      const found: OutboxItem[] = [];
      for (const status of statuses) found.push(...(await store.find({ status, kind: f.kind, limit: f.limit })));
      return newest(found);
    } finally {
      await pg.close();
    }
  }
  const db = openDatabase(loc.path, { mode: 'read' });
  try {
    const store = new OutboxStore(db);
    return newest(statuses.flatMap((status) => store.find({ status, kind: f.kind, limit: f.limit })));
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
export async function retryOutbox(config: Config, ids: number[], now: number = Date.now()): Promise<RetryOutcome[]> {
  const loc = storeLocation(config);
  if (loc.kind === 'postgres') {
    const pg = await openPostgres(loc.pg, 'annotate', 6);
    try {
      return await inTransaction(pg.pool, async (c) => {
        const out: RetryOutcome[] = [];
        for (const id of ids) {
          const row = (await c.query<OutboxRow>('SELECT * FROM outbox WHERE id = $1 FOR UPDATE', [id])).rows[0];
          const plan = planRetry(id, row === undefined ? null : outboxFromRow(row), config, now);
          if (plan.retry !== null) {
            const r = plan.retry;
            await c.query(
              `UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $1, expires_at = $2, finished_at = NULL, requeues = requeues + 1 WHERE id = $3 AND status = 'failed'`,
              [now, r.expiresAt, id],
            );
            if (r.actionId !== null) await new PgActionStore(c).update(r.actionId, { status: 'queued', error: null, reason: REQUEUED }, now);
            if (r.response !== null) await new PgAlertResponses(c).set(r.response.alertId, r.response.value);
          }
          out.push(plan.outcome);
        }
        return out;
      });
    } finally {
      await pg.close();
    }
  }
  return withAnnotation(
    loc.path,
    (db) =>
      db.transaction(() => {
        const store = new OutboxStore(db);
        const actions = new ActionStore(db);
        const responses = new AlertResponseWriter(db);
        return ids.map((id): RetryOutcome => {
          const plan = planRetry(id, store.get(id), config, now);
          const r = plan.retry;
          if (r !== null) {
            store.requeue(id, now, r.expiresAt);
            if (r.actionId !== null) actions.update(r.actionId, { status: 'queued', error: null, reason: REQUEUED }, now);
            if (r.response !== null) responses.set(r.response.alertId, r.response.value);
          }
          return plan.outcome;
        });
      })(),
    { minVersion: 6 },
  );
}

const REQUEUED = 'requeued by a person (ouwatch outbox retry)';

/** What requeuing one item changes: the item (a new expiry), its end-session action and its alert's response. */
function planRetry(
  id: number,
  it: OutboxItem | null,
  config: Config,
  now: number,
): { outcome: RetryOutcome; retry: { expiresAt: number; actionId: number | null; response: { alertId: string; value: AlertResponse } | null } | null } {
  if (it === null) return { outcome: { id, requeued: false, why: 'no such outbox item' }, retry: null };
  if (it.status !== 'failed') return { outcome: { id, requeued: false, why: `it is ${it.status}, not failed` }, retry: null };
  const minutes = it.kind === 'end-session' ? config.respond.expireMinutes : config.notify.expireMinutes;
  const expiresAt = now + minutes * 60_000;
  let actionId: number | null = null;
  let response: { alertId: string; value: AlertResponse } | null = null;
  if (it.kind === 'end-session' && it.actionId !== null) {
    actionId = it.actionId;
    const p = it.payload as { mode?: ResponseMode; target?: { name?: string } };
    if (it.alertId !== null && p.mode && p.target?.name) response = { alertId: it.alertId, value: { action: 'end-session', mode: p.mode, name: p.target.name, status: 'queued' } };
  }
  return { outcome: { id, requeued: true, kind: it.kind, expiresAt: iso(expiresAt) }, retry: { expiresAt, actionId, response } };
}
