import type { OutboxKind } from './actions.js';

/**
 * The outbox: deliveries (actions, notifications) written in the commit transaction of the
 * alert that caused them, and carried out afterwards by the delivery worker, one sink (a
 * `Deliverer`) per kind. A row stays `pending` until it is `delivered`, or `failed` (a
 * permanent error or expiry): nothing is lost by a crash or an outage.
 */

export type OutboxStatus = 'pending' | 'delivered' | 'failed';

export interface NewOutboxItem {
  kind: OutboxKind;
  /** Which sink: the webhook's name, `email`, `jsonl`, or the action's mode. */
  target: string;
  alertId: string | null;
  actionId: number | null;
  payload: unknown;
  /** First attempt not before (epoch ms): now, or the end of the email digest window. */
  dueAt: number;
  expiresAt: number;
}

export interface OutboxItem {
  id: number;
  kind: OutboxKind;
  target: string;
  alertId: string | null;
  actionId: number | null;
  payload: unknown;
  status: OutboxStatus;
  /** Attempts made, including the one being made now for a claimed item. */
  attempts: number;
  createdAt: number;
  nextAttemptAt: number;
  expiresAt: number;
  finishedAt: number | null;
  lastError: string | null;
  /** The email digest this item was first sent in (its smallest outbox id), or null. */
  batchId: number | null;
  /** Times a person requeued it after it failed. */
  requeues: number;
}

export interface DeliveryResult {
  ok: boolean;
  /** For a failure: whether a later attempt can succeed (network, 5xx) or not (403, 4xx). */
  retryable?: boolean;
  error?: string;
}

export interface Deliverer {
  readonly kind: OutboxKind;
  /**
   * Delivers due items of one target. A batching deliverer (the email digest) gets every due
   * item of its target at once and returns one result for all; others get one item at a time.
   */
  readonly batch: boolean;
  deliver(target: string, items: OutboxItem[]): Promise<DeliveryResult>;
  /** The item failed for good (permanent error or expiry): record it where people look. */
  failed?(item: OutboxItem, error: string): void | Promise<void>;
}

