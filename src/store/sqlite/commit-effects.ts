import type { AlertResponse, StoredAlert } from '../../core/alerts.js';
import type { NewOutboxItem } from '../../core/delivery.js';
import type { ActionLedger, CommitEffects, NewAction } from '../../core/ports.js';
import type { ActionRecord } from '../../core/actions.js';
import { ActionStore } from './actions.js';
import { AlertResponseWriter } from './alert-responses.js';
import { AlertStore } from './alerts.js';
import type { Db } from './database.js';
import { OutboxStore } from './outbox.js';

/**
 * The commit hooks' effects on SQLite: written at once, inside the commit's (synchronous)
 * transaction. The guards read the action log live, so an action recorded earlier in the same
 * commit counts against the budget like any other.
 */
export class SqliteCommitEffects implements CommitEffects {
  readonly actions: ActionLedger;
  private readonly actionStore: ActionStore;
  private readonly outbox: OutboxStore;
  private readonly responses: AlertResponseWriter;
  private readonly alerts: AlertStore;

  constructor(db: Db) {
    this.actionStore = new ActionStore(db);
    this.actions = this.actionStore;
    this.outbox = new OutboxStore(db);
    this.responses = new AlertResponseWriter(db);
    this.alerts = new AlertStore(db);
  }

  recordAction(a: NewAction, now: number): ActionRecord {
    return this.actionStore.insert(a, now);
  }

  enqueue(item: NewOutboxItem, now: number): void {
    this.outbox.enqueue(item, now);
  }

  setResponse(alertId: string, response: AlertResponse): void {
    this.responses.set(alertId, response);
  }

  raise(alert: StoredAlert): void {
    this.alerts.insert(alert, Date.now());
  }
}
