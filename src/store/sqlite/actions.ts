import type { ActionConfirmation, ActionKind, ActionRecord, ActionStatus, ActionStep, GuardName } from '../../core/actions.js';
import type { ResponseMode } from '../../core/alerts.js';
import type { ActionFilter, ActionRepository, ActionUpdate, NewAction } from '../../core/ports.js';
import { unconfirmedSql } from '../confirmation-sql.js';
import type { Db } from './database.js';

export interface ActionRow {
  id: number;
  action: ActionKind;
  alert_id: string | null;
  by_kind: ActionRecord['byKind'];
  by: string;
  created_at: number;
  updated_at: number;
  mode: ResponseMode;
  dn: string | null;
  dn_sha1: string | null;
  name: string | null;
  namespace: string | null;
  context: string | null;
  status: ActionStatus;
  guard: GuardName | null;
  reason: string | null;
  steps: string;
  error: string | null;
  attempts: number;
  /** JSON ActionConfirmation (schema 14). */
  confirmed: string | null;
}

/** The `actions` table: every response, held or carried out, with its answers. */
export class ActionStore implements ActionRepository {
  private readonly insertStmt;
  private readonly updateStmt;
  private readonly byId;
  private readonly countSince;
  private readonly lastForDn;
  private readonly lastBreaker;
  private readonly unconfirmed;

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare(`
      INSERT INTO actions (action, alert_id, by_kind, by, created_at, updated_at, mode, dn, dn_sha1, name, namespace, context, status, guard, reason)
      VALUES (@action, @alertId, @byKind, @by, @now, @now, @mode, @dn, @dnSha1, @name, @namespace, @context, @status, @guard, @reason)`);
    this.updateStmt = db.prepare(`
      UPDATE actions SET status = @status, steps = COALESCE(@steps, steps), error = @error, reason = COALESCE(@reason, reason),
        attempts = COALESCE(@attempts, attempts), updated_at = @now WHERE id = @id`);
    this.byId = db.prepare('SELECT * FROM actions WHERE id = ?');
    // Actions that count against the budget and the cooldown: end-session actions that were not held.
    this.countSince = db.prepare(
      `SELECT COUNT(*) AS n FROM actions WHERE action = 'end-session' AND by_kind = 'rule' AND status <> 'held' AND created_at > ?`,
    );
    this.lastForDn = db.prepare(
      `SELECT * FROM actions WHERE action = 'end-session' AND status <> 'held' AND dn = ? ORDER BY created_at DESC, id DESC LIMIT 1`,
    );
    this.lastBreaker = db.prepare(`SELECT * FROM actions WHERE action IN ('breaker-open', 'breaker-reset') ORDER BY id DESC LIMIT 1`);
    this.unconfirmed = db.prepare(unconfirmedSql(() => '?'));
  }

  insert(a: NewAction, now: number): ActionRecord {
    const info = this.insertStmt.run({
      ...a,
      dn: a.dn ?? null,
      dnSha1: a.dnSha1 ?? null,
      name: a.name ?? null,
      namespace: a.namespace ?? null,
      context: a.context ?? null,
      guard: a.guard ?? null,
      reason: a.reason ?? null,
      now,
    });
    return this.get(Number(info.lastInsertRowid))!;
  }

  update(id: number, u: ActionUpdate, now: number): void {
    this.updateStmt.run({
      id,
      status: u.status,
      steps: u.steps === undefined ? null : JSON.stringify(u.steps),
      error: u.error ?? null,
      reason: u.reason ?? null,
      attempts: u.attempts ?? null,
      now,
    });
  }

  get(id: number): ActionRecord | null {
    const r = this.byId.get(id) as ActionRow | undefined;
    return r === undefined ? null : actionFromRow(r);
  }

  list(f: ActionFilter = {}): ActionRecord[] {
    const where: string[] = [];
    const args: Array<string | number> = [];
    if (f.status) {
      where.push('status = ?');
      args.push(f.status);
    }
    if (f.dn !== undefined) {
      where.push('dn = ?');
      args.push(f.dn);
    }
    const sql = `SELECT * FROM actions ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ?`;
    args.push(f.limit ?? 50);
    return (this.db.prepare(sql).all(...args) as ActionRow[]).map(actionFromRow);
  }

  /** Automatic end-session actions (not held) since `since` (epoch ms): the budget's count. */
  automaticSince(since: number): number {
    return (this.countSince.get(since) as { n: number }).n;
  }

  /** The latest end-session action for `dn` that was not held (the cooldown's reference). */
  lastEndSession(dn: string): ActionRecord | null {
    const r = this.lastForDn.get(dn) as ActionRow | undefined;
    return r === undefined ? null : actionFromRow(r);
  }

  unconfirmedEndSessions(from: number, to: number): ActionRecord[] {
    return (this.unconfirmed.all(from, to) as ActionRow[]).map(actionFromRow);
  }

  /** The breaker is open from a `breaker-open` action until a `breaker-reset` one. */
  breakerOpenedBy(): ActionRecord | null {
    const r = this.lastBreaker.get() as ActionRow | undefined;
    return r !== undefined && r.action === 'breaker-open' ? actionFromRow(r) : null;
  }
}

export function actionFromRow(r: ActionRow): ActionRecord {
  return {
    id: r.id,
    action: r.action,
    alertId: r.alert_id,
    byKind: r.by_kind,
    by: r.by,
    time: new Date(r.created_at).toISOString(),
    updated: new Date(r.updated_at).toISOString(),
    mode: r.mode,
    dn: r.dn,
    dnSha1: r.dn_sha1,
    name: r.name,
    namespace: r.namespace,
    context: r.context,
    status: r.status,
    guard: r.guard,
    reason: r.reason,
    steps: JSON.parse(r.steps) as ActionStep[],
    error: r.error,
    attempts: r.attempts,
    confirmed: r.confirmed === null || r.confirmed === undefined ? null : (JSON.parse(r.confirmed) as ActionConfirmation),
  };
}
