import { ACTION_STATUSES, type ActionRecord, type ActionStatus } from '../../core/actions.js';
import type { ReviewStore } from '../../core/review-ports.js';
import { NotFoundError, ReviewError } from '../errors.js';
import type { ReviewContext } from './alerts.js';
import { parseListQuery, type ListQuery } from './query.js';

/** Recorded actions, newest first (`ouwatch actions list --json`, `GET /api/actions`). */
export async function listActions(store: ReviewStore, q: Pick<ListQuery, 'status' | 'dn' | 'since' | 'until' | 'limit' | 'offset'>, ctx: ReviewContext) {
  const p = parseListQuery<ActionStatus>(q, { ...ctx, statuses: ACTION_STATUSES, defaultStatus: 'all' });
  const page = { offset: p.page.offset, limit: p.page.limit };
  const { items, total } = await store.actions.list({ statuses: p.statuses, dnPattern: p.dnPattern, since: p.since, until: p.until }, page);
  return { items, total, ...page };
}

export async function showAction(store: ReviewStore, id: string): Promise<ActionRecord> {
  const n = Number(id);
  if (!/^\d+$/.test(id) || !Number.isSafeInteger(n) || n < 1) throw new ReviewError(`action ids are positive whole numbers, got '${id}'`);
  const a = await store.actions.get(n);
  if (a === null) throw new NotFoundError(`no action ${n} in ${store.name}`);
  return a;
}

/** Closes the response circuit breaker (after a person has looked): automatic actions resume. */
export async function resetBreaker(store: ReviewStore, by: string, now: number): Promise<ActionRecord | null> {
  const log = store.actionLog;
  const open = await log.breakerOpenedBy();
  if (open === null) return null;
  return log.insert(
    { action: 'breaker-reset', alertId: open.alertId, byKind: 'person', by, mode: open.mode, status: 'done', reason: `breaker opened by action ${open.id} at ${open.time} reset by ${by}` },
    now,
  );
}
