import type pg from 'pg';
import type { ActionRecord } from '../../core/actions.js';
import type { AlertResponse, StoredAlert } from '../../core/alerts.js';
import type { NewOutboxItem } from '../../core/delivery.js';
import type { ActionLedger, CommitEffects, CommitHookPlan, NewAction } from '../../core/ports.js';
import { actionFromRow, type ActionRow } from '../sqlite/actions.js';
import { columnsOf, lastByKey, unnestOf } from './bulk.js';
import { insertAlerts } from './commit-writes.js';

/**
 * The commit hooks on PostgreSQL. The transaction is asynchronous and the hooks are not, so the
 * store first loads what the hooks' plans say they will read (the breaker, the budget's recent
 * actions, the cooldown of their DNs), inside the commit's transaction; the hooks then run
 * against that ledger, which also counts what they record; last, what they recorded is written,
 * still in the same transaction.
 *
 * Action ids are numbered as SQLite numbers them, without gaps: when a hook may record actions,
 * the commit locks the actions table against inserts (a person's `endsession` waits the few
 * milliseconds), the ids follow the sequence's last value as they are recorded, and the
 * sequence is moved past the last one used.
 */

const isAutomatic = (a: Pick<ActionRecord, 'action' | 'byKind' | 'status'>) => a.action === 'end-session' && a.byKind === 'rule' && a.status !== 'held';

/** The action log as loaded for this commit, plus the actions recorded in it so far. */
class CommitLedger implements ActionLedger {
  constructor(
    private readonly breaker: ActionRecord | null,
    private readonly automatic: number[],
    private readonly automaticFrom: number | null,
    private readonly lastByDn: Map<string, ActionRecord | null>,
    private readonly recorded: readonly ActionRecord[],
  ) {}

  automaticSince(since: number): number {
    if (this.automaticFrom === null || since < this.automaticFrom) throw new Error(`the action ledger of this commit was loaded from ${this.automaticFrom ?? 'nothing'}, not ${since}: the hook's plan must say so`);
    let n = this.automatic.filter((t) => t > since).length;
    for (const a of this.recorded) if (isAutomatic(a) && Date.parse(a.time) > since) n++;
    return n;
  }

  lastEndSession(dn: string): ActionRecord | null {
    for (let i = this.recorded.length - 1; i >= 0; i--) {
      const a = this.recorded[i];
      if (a.action === 'end-session' && a.status !== 'held' && a.dn === dn) return a;
    }
    if (!this.lastByDn.has(dn)) throw new Error('the action ledger of this commit was not loaded for this DN: the hook\'s plan must name it');
    return this.lastByDn.get(dn)!;
  }

  breakerOpenedBy(): ActionRecord | null {
    for (let i = this.recorded.length - 1; i >= 0; i--) {
      const a = this.recorded[i];
      if (a.action === 'breaker-open') return a;
      if (a.action === 'breaker-reset') return null;
    }
    return this.breaker;
  }
}

/** What the hooks of one commit record, written by `write` in the commit's transaction. */
export class PgCommitEffects implements CommitEffects {
  readonly actions: ActionLedger;
  private readonly recorded: ActionRecord[] = [];
  private readonly outbox: Array<NewOutboxItem & { now: number }> = [];
  private readonly responses: Array<{ alertId: string; response: AlertResponse }> = [];
  private readonly alerts: StoredAlert[] = [];

  private nextId: number;
  private readonly lastId: number;

  private constructor(
    ids: { first: number; count: number },
    load: { breaker: ActionRecord | null; automatic: number[]; automaticFrom: number | null; lastByDn: Map<string, ActionRecord | null> },
  ) {
    this.actions = new CommitLedger(load.breaker, load.automatic, load.automaticFrom, load.lastByDn, this.recorded);
    this.nextId = ids.first;
    this.lastId = ids.first + ids.count - 1;
  }

  /** Loads the ledger the plans ask for and allocates their action ids (in the transaction of `c`). */
  static async prepare(c: pg.ClientBase, plans: readonly CommitHookPlan[]): Promise<PgCommitEffects> {
    const count = plans.reduce((s, p) => s + p.actions, 0);
    const dns = [...new Set(plans.flatMap((p) => p.dns))];
    const froms = plans.flatMap((p) => (p.since === null ? [] : [p.since]));
    const automaticFrom = froms.length === 0 ? null : Math.min(...froms);
    let first = 0;
    if (count > 0) {
      await c.query('LOCK TABLE actions IN SHARE ROW EXCLUSIVE MODE');
      const r = await c.query<{ last: number }>(
        `SELECT GREATEST(coalesce(pg_sequence_last_value(pg_get_serial_sequence('actions', 'id')::regclass), 0), coalesce((SELECT max(id) FROM actions), 0))::bigint AS last`,
      );
      first = r.rows[0].last + 1;
    }
    let breaker: ActionRecord | null = null;
    let automatic: number[] = [];
    const lastByDn = new Map<string, ActionRecord | null>();
    if (count > 0) {
      const b = await c.query<ActionRow>(`SELECT * FROM actions WHERE action IN ('breaker-open', 'breaker-reset') ORDER BY id DESC LIMIT 1`);
      breaker = b.rows[0]?.action === 'breaker-open' ? actionFromRow(b.rows[0]) : null;
    }
    if (automaticFrom !== null) {
      const r = await c.query<{ t: number }>(
        `SELECT created_at AS t FROM actions WHERE action = 'end-session' AND by_kind = 'rule' AND status <> 'held' AND created_at > $1`,
        [automaticFrom],
      );
      automatic = r.rows.map((x) => x.t);
    }
    if (dns.length > 0) {
      const r = await c.query<ActionRow>(
        `SELECT DISTINCT ON (dn) * FROM actions WHERE action = 'end-session' AND status <> 'held' AND dn = ANY($1::text[]) ORDER BY dn, created_at DESC, id DESC`,
        [dns],
      );
      for (const dn of dns) lastByDn.set(dn, null);
      for (const row of r.rows) lastByDn.set(row.dn!, actionFromRow(row));
    }
    return new PgCommitEffects({ first, count }, { breaker, automatic, automaticFrom, lastByDn });
  }

  recordAction(a: NewAction, now: number): ActionRecord {
    if (this.nextId > this.lastId) throw new Error('a commit hook recorded more actions than its plan allowed');
    const id = this.nextId++;
    const time = new Date(now).toISOString();
    const record: ActionRecord = {
      id,
      action: a.action,
      alertId: a.alertId,
      byKind: a.byKind,
      by: a.by,
      time,
      updated: time,
      mode: a.mode,
      dn: a.dn ?? null,
      dnSha1: a.dnSha1 ?? null,
      name: a.name ?? null,
      namespace: a.namespace ?? null,
      context: a.context ?? null,
      status: a.status,
      guard: a.guard ?? null,
      reason: a.reason ?? null,
      steps: [],
      error: null,
      attempts: 0,
      confirmed: null,
    };
    this.recorded.push(record);
    return record;
  }

  enqueue(item: NewOutboxItem, now: number): void {
    this.outbox.push({ ...item, now });
  }

  setResponse(alertId: string, response: AlertResponse): void {
    this.responses.push({ alertId, response });
  }

  raise(alert: StoredAlert): void {
    this.alerts.push(alert);
  }

  /** Writes what the hooks recorded: their alerts, the responses, the actions, then the outbox items naming them. */
  async write(c: pg.ClientBase, now: number): Promise<void> {
    await insertAlerts(c, this.alerts, now, true);
    const responses = lastByKey(this.responses, (r) => r.alertId);
    if (responses.length > 0) {
      await c.query(
        `UPDATE alerts SET response = u.response FROM ${unnestOf(['text', 'text'])} AS u(id, response) WHERE alerts.id = u.id`,
        columnsOf(responses, [(r) => r.alertId, (r) => JSON.stringify(r.response)]),
      );
    }
    if (this.recorded.length > 0) {
      await c.query(
        `INSERT INTO actions (id, action, alert_id, by_kind, by, created_at, updated_at, mode, dn, dn_sha1, name, namespace, context, status, guard, reason)
         SELECT * FROM ${unnestOf(['bigint', 'text', 'text', 'text', 'text', 'bigint', 'bigint', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'text'])}`,
        columnsOf(this.recorded, [
          (a) => a.id, (a) => a.action, (a) => a.alertId, (a) => a.byKind, (a) => a.by, (a) => Date.parse(a.time), (a) => Date.parse(a.updated), (a) => a.mode,
          (a) => a.dn, (a) => a.dnSha1, (a) => a.name, (a) => a.namespace, (a) => a.context, (a) => a.status, (a) => a.guard, (a) => a.reason,
        ]),
      );
      await c.query(`SELECT setval(pg_get_serial_sequence('actions', 'id'), $1)`, [this.nextId - 1]);
    }
    if (this.outbox.length > 0) {
      await c.query(
        `INSERT INTO outbox (kind, target, alert_id, action_id, payload, status, created_at, next_attempt_at, expires_at)
         SELECT kind, target, alert_id, action_id, payload, 'pending', created_at, next_attempt_at, expires_at
         FROM ${unnestOf(['text', 'text', 'text', 'bigint', 'text', 'bigint', 'bigint', 'bigint'])}
           WITH ORDINALITY AS x(kind, target, alert_id, action_id, payload, created_at, next_attempt_at, expires_at, ord)
         ORDER BY ord`,
        columnsOf(this.outbox, [(o) => o.kind, (o) => o.target, (o) => o.alertId, (o) => o.actionId, (o) => JSON.stringify(o.payload), (o) => o.now, (o) => o.dueAt, (o) => o.expiresAt]),
      );
    }
  }
}
