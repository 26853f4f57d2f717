import type { OutboxKind } from '../../core/actions.js';
import type { NewOutboxItem, OutboxItem, OutboxStatus } from '../../core/delivery.js';
import type { OutboxRepository } from '../../core/ports.js';
import type { Db } from './database.js';

/**
 * The outbox: deliveries (actions, notifications) written in the commit transaction of the
 * alert that caused them, and delivered afterwards by the worker (src/outbox). A row stays
 * `pending` until it is `delivered`, or `failed` (a permanent error or expiry): it is never
 * deleted before that, so a crash or an outage loses nothing.
 */

export interface OutboxRow {
  id: number;
  kind: OutboxKind;
  target: string;
  alert_id: string | null;
  action_id: number | null;
  payload: string;
  status: OutboxStatus;
  attempts: number;
  created_at: number;
  next_attempt_at: number;
  expires_at: number;
  finished_at: number | null;
  last_error: string | null;
  /** Absent before schema version 6 (a reader of an older db). */
  batch_id?: number | null;
  requeues?: number;
}

export class OutboxStore implements OutboxRepository {
  private readonly insertStmt;
  private readonly dueStmt;
  private readonly dueOrFirstStmt;
  private readonly leaseStmt;
  private readonly deliveredStmt;
  private readonly retryStmt;
  private readonly failStmt;
  private readonly nextDueStmt;
  private readonly countsStmt;
  private readonly pruneStmt;
  private readonly claimTx;

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare(`
      INSERT INTO outbox (kind, target, alert_id, action_id, payload, status, created_at, next_attempt_at, expires_at)
      VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?)`);
    this.dueStmt = db.prepare(`SELECT * FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`);
    // At the end of a replay, items never attempted (an open email digest window) are due too.
    this.dueOrFirstStmt = db.prepare(
      `SELECT * FROM outbox WHERE status = 'pending' AND (next_attempt_at <= ? OR (attempts = 0 AND created_at <= ?)) ORDER BY next_attempt_at, id LIMIT ?`,
    );
    this.leaseStmt = db.prepare(`UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ? AND status = 'pending' AND next_attempt_at = ?`);
    this.deliveredStmt = db.prepare(`UPDATE outbox SET status = 'delivered', finished_at = ?, last_error = NULL WHERE id = ? AND status = 'pending'`);
    this.retryStmt = db.prepare(`UPDATE outbox SET next_attempt_at = ?, last_error = ? WHERE id = ? AND status = 'pending'`);
    this.failStmt = db.prepare(`UPDATE outbox SET status = 'failed', finished_at = ?, last_error = ? WHERE id = ? AND status = 'pending'`);
    this.nextDueStmt = db.prepare(`SELECT MIN(next_attempt_at) AS t FROM outbox WHERE status = 'pending'`);
    this.countsStmt = db.prepare(`SELECT kind, status, COUNT(*) AS n FROM outbox GROUP BY kind, status`);
    this.pruneStmt = db.prepare(`DELETE FROM outbox WHERE status = 'delivered' AND finished_at < ?`);
    this.claimTx = db.transaction((now: number, leaseUntil: number, limit: number, flush: boolean): OutboxItem[] => {
      const rows = (flush ? this.dueOrFirstStmt.all(now, now, limit) : this.dueStmt.all(now, limit)) as OutboxRow[];
      const claimed: OutboxItem[] = [];
      for (const r of rows) {
        // The lease: pushed ahead while being delivered, so a crash makes it due again, and a
        // second process on the same db (a replay beside the daemon) does not deliver it twice.
        if (this.leaseStmt.run(leaseUntil, r.id, r.next_attempt_at).changes === 1) {
          claimed.push({ ...outboxFromRow(r), attempts: r.attempts + 1, nextAttemptAt: leaseUntil });
        }
      }
      return claimed;
    });
  }

  /** Call inside the commit transaction of the alert (or action) that needs the delivery. */
  enqueue(item: NewOutboxItem, now: number): number {
    const info = this.insertStmt.run(
      item.kind,
      item.target,
      item.alertId,
      item.actionId,
      JSON.stringify(item.payload),
      now,
      item.dueAt,
      item.expiresAt,
    );
    return Number(info.lastInsertRowid);
  }

  /**
   * Takes the items due at `now` (up to `limit`) for delivery, leasing them until `leaseUntil`.
   * `flush`: also take items never attempted yet, whatever their first due time.
   */
  claim(now: number, leaseUntil: number, limit = 200, flush = false): OutboxItem[] {
    return this.claimTx.immediate(now, leaseUntil, limit, flush);
  }

  delivered(id: number, now: number): void {
    this.deliveredStmt.run(now, id);
  }

  retryAt(id: number, at: number, error: string): void {
    this.retryStmt.run(at, error, id);
  }

  failed(id: number, error: string, now: number): void {
    this.failStmt.run(now, error, id);
  }

  /** When the next pending item is due (epoch ms), or null when nothing is pending. */
  nextDue(): number | null {
    return (this.nextDueStmt.get() as { t: number | null }).t;
  }

  /** Rows by kind and status (outbox depth for /metrics and the replay summary). */
  counts(): Array<{ kind: OutboxKind; status: OutboxStatus; n: number }> {
    return this.countsStmt.all() as Array<{ kind: OutboxKind; status: OutboxStatus; n: number }>;
  }

  pending(kind?: OutboxKind): OutboxItem[] {
    const rows = (kind
      ? this.db.prepare(`SELECT * FROM outbox WHERE status = 'pending' AND kind = ? ORDER BY id`).all(kind)
      : this.db.prepare(`SELECT * FROM outbox WHERE status = 'pending' ORDER BY id`).all()) as OutboxRow[];
    return rows.map(outboxFromRow);
  }

  list(status?: OutboxStatus, limit = 50): OutboxItem[] {
    const rows = (status
      ? this.db.prepare('SELECT * FROM outbox WHERE status = ? ORDER BY id DESC LIMIT ?').all(status, limit)
      : this.db.prepare('SELECT * FROM outbox ORDER BY id DESC LIMIT ?').all(limit)) as OutboxRow[];
    return rows.map(outboxFromRow);
  }

  /** Marks items as sent together in the digest `batchId` (their first attempt). */
  assignBatch(ids: number[], batchId: number): void {
    const stmt = this.db.prepare('UPDATE outbox SET batch_id = ? WHERE id = ? AND batch_id IS NULL');
    this.db.transaction(() => {
      for (const id of ids) stmt.run(batchId, id);
    })();
  }

  get(id: number): OutboxItem | null {
    const r = this.db.prepare('SELECT * FROM outbox WHERE id = ?').get(id) as OutboxRow | undefined;
    return r === undefined ? null : outboxFromRow(r);
  }

  /** Newest first, optionally one status and one kind. */
  find(f: { status?: OutboxStatus; kind?: OutboxKind; limit?: number } = {}): OutboxItem[] {
    const where: string[] = [];
    const args: Array<string | number> = [];
    if (f.status !== undefined) (where.push('status = ?'), args.push(f.status));
    if (f.kind !== undefined) (where.push('kind = ?'), args.push(f.kind));
    const sql = `SELECT * FROM outbox${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, f.limit ?? 50) as OutboxRow[]).map(outboxFromRow);
  }

  /**
   * A failed item made pending again (a person's decision): attempts start over, due now, a
   * new expiry. Returns false when the item is not failed (delivered, pending, or unknown).
   */
  requeue(id: number, now: number, expiresAt: number): boolean {
    return (
      this.db
        .prepare(
          `UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?, expires_at = ?, finished_at = NULL, requeues = requeues + 1
           WHERE id = ? AND status = 'failed'`,
        )
        .run(now, expiresAt, id).changes === 1
    );
  }

  /** Items requeued by a person, by kind (for /metrics). */
  requeueCounts(): Array<{ kind: OutboxKind; n: number }> {
    return this.db.prepare('SELECT kind, SUM(requeues) AS n FROM outbox WHERE requeues > 0 GROUP BY kind').all() as Array<{ kind: OutboxKind; n: number }>;
  }

  /** Forgets delivered items finished before `before` (failed ones stay visible). */
  prune(before: number): number {
    return this.pruneStmt.run(before).changes;
  }
}

export function outboxFromRow(r: OutboxRow): OutboxItem {
  return {
    id: r.id,
    kind: r.kind,
    target: r.target,
    alertId: r.alert_id,
    actionId: r.action_id,
    payload: JSON.parse(r.payload) as unknown,
    status: r.status,
    attempts: r.attempts,
    createdAt: r.created_at,
    nextAttemptAt: r.next_attempt_at,
    expiresAt: r.expires_at,
    finishedAt: r.finished_at,
    lastError: r.last_error,
    batchId: r.batch_id ?? null,
    requeues: r.requeues ?? 0,
  };
}
