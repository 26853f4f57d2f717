import type { BackgroundWorker, WorkerStats } from '../../core/runtime.js';
import type { OutboxKind } from '../../core/actions.js';
import type { Delivery } from '../delivery.js';

const NOTIFICATION_KINDS: OutboxKind[] = ['email', 'webhook', 'jsonl'];

/**
 * The outbox worker (EndSession actions, email, webhooks, JSONL) as a daemon background
 * worker: started after the sources, stopped before the store closes (what it has not
 * delivered stays in the outbox for the next start). Its counters feed /metrics.
 */
export function deliveryWorker(delivery: Delivery): BackgroundWorker {
  const { worker, responder, notifier } = delivery;
  return {
    name: 'outbox',
    start: () => worker.start(),
    stop: () => worker.stop(),
    stats: (): WorkerStats => {
      const depth = worker.depth();
      const end = worker.counters['end-session'];
      const actions: Record<string, number> = {
        planned: responder.counters.planned,
        queued: responder.counters.queued,
        done: end.delivered,
        failed: end.failed,
        retrying: end.retrying,
        'breaker-opened': responder.counters.breakerOpened,
      };
      for (const [guard, n] of Object.entries(responder.counters.held)) actions[`held-${guard}`] = n;
      const notifications: Record<string, Record<string, number>> = {};
      for (const kind of NOTIFICATION_KINDS) {
        const c = worker.counters[kind];
        notifications[kind] = { queued: notifier.counters.queued[kind as 'email' | 'webhook' | 'jsonl'], sent: c.delivered, failed: c.failed, retrying: c.retrying };
      }
      const requeued: Record<string, number> = {};
      for (const [kind, n] of Object.entries(worker.requeued())) requeued[kind] = n ?? 0;
      return { outboxDepth: Object.values(depth).reduce((a, b) => a + b, 0), actions, notifications, outboxItems: worker.items(), outboxRequeued: requeued };
    },
  };
}
