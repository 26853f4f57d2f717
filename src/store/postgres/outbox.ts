import type pg from 'pg';
import type { OutboxKind } from '../../core/actions.js';
import type { NewOutboxItem, OutboxItem, OutboxStatus } from '../../core/delivery.js';
import type { OutboxRepository } from '../../core/ports.js';
import { outboxFromRow, type OutboxRow } from '../sqlite/outbox.js';

/**
 * The outbox on PostgreSQL (see the SQLite OutboxStore). Claiming leases items with one
 * statement (`FOR UPDATE SKIP LOCKED`): two processes never take the same item.
 */
export class PgOutboxStore implements OutboxRepository {
  constructor(private readonly pool: pg.Pool) {}

  async enqueue(item: NewOutboxItem, now: number): Promise<number> {
    const r = await this.pool.query<{ id: number }>(
      `INSERT INTO outbox (kind, target, alert_id, action_id, payload, status, created_at, next_attempt_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8) RETURNING id`,
      [item.kind, item.target, item.alertId, item.actionId, JSON.stringify(item.payload), now, item.dueAt, item.expiresAt],
    );
    return r.rows[0].id;
  }

  async claim(now: number, leaseUntil: number, limit = 200, flush = false): Promise<OutboxItem[]> {
    const due = flush ? `(next_attempt_at <= $1 OR (attempts = 0 AND created_at <= $1))` : `next_attempt_at <= $1`;
    const r = await this.pool.query<OutboxRow>(
      `WITH due AS (
         SELECT id FROM outbox WHERE status = 'pending' AND ${due} ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED
       )
       UPDATE outbox o SET attempts = o.attempts + 1, next_attempt_at = $2 FROM due WHERE o.id = due.id RETURNING o.*`,
      [now, leaseUntil, limit],
    );
    return r.rows.map(outboxFromRow).sort((a, b) => a.id - b.id);
  }

  async delivered(id: number, now: number): Promise<void> {
    await this.pool.query(`UPDATE outbox SET status = 'delivered', finished_at = $1, last_error = NULL WHERE id = $2 AND status = 'pending'`, [now, id]);
  }

  async retryAt(id: number, at: number, error: string): Promise<void> {
    await this.pool.query(`UPDATE outbox SET next_attempt_at = $1, last_error = $2 WHERE id = $3 AND status = 'pending'`, [at, error, id]);
  }

  async failed(id: number, error: string, now: number): Promise<void> {
    await this.pool.query(`UPDATE outbox SET status = 'failed', finished_at = $1, last_error = $2 WHERE id = $3 AND status = 'pending'`, [now, error, id]);
  }

  async nextDue(): Promise<number | null> {
    return (await this.pool.query<{ t: number | null }>(`SELECT min(next_attempt_at) AS t FROM outbox WHERE status = 'pending'`)).rows[0].t;
  }

  async counts(): Promise<Array<{ kind: OutboxKind; status: OutboxStatus; n: number }>> {
    return (await this.pool.query<{ kind: OutboxKind; status: OutboxStatus; n: number }>('SELECT kind, status, count(*) AS n FROM outbox GROUP BY kind, status ORDER BY kind, status')).rows;
  }

  async pending(kind?: OutboxKind): Promise<OutboxItem[]> {
    const r = kind
      ? await this.pool.query<OutboxRow>(`SELECT * FROM outbox WHERE status = 'pending' AND kind = $1 ORDER BY id`, [kind])
      : await this.pool.query<OutboxRow>(`SELECT * FROM outbox WHERE status = 'pending' ORDER BY id`);
    return r.rows.map(outboxFromRow);
  }

  async list(status?: OutboxStatus, limit = 50): Promise<OutboxItem[]> {
    return this.find({ status, limit });
  }

  /** Newest first, optionally one status and one kind. */
  async find(f: { status?: OutboxStatus; kind?: OutboxKind; limit?: number } = {}): Promise<OutboxItem[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.status !== undefined) where.push(`status = $${args.push(f.status)}`);
    if (f.kind !== undefined) where.push(`kind = $${args.push(f.kind)}`);
    const sql = `SELECT * FROM outbox${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${args.push(f.limit ?? 50)}`;
    return (await this.pool.query<OutboxRow>(sql, args)).rows.map(outboxFromRow);
  }

  async assignBatch(ids: number[], batchId: number): Promise<void> {
    if (ids.length === 0) return;
    await this.pool.query('UPDATE outbox SET batch_id = $1 WHERE id = ANY($2::bigint[]) AND batch_id IS NULL', [batchId, ids]);
  }

  async requeueCounts(): Promise<Array<{ kind: OutboxKind; n: number }>> {
    return (await this.pool.query<{ kind: OutboxKind; n: number }>('SELECT kind, sum(requeues) AS n FROM outbox WHERE requeues > 0 GROUP BY kind ORDER BY kind')).rows;
  }

  async prune(before: number): Promise<number> {
    return (await this.pool.query(`DELETE FROM outbox WHERE status = 'delivered' AND finished_at < $1`, [before])).rowCount ?? 0;
  }
}
