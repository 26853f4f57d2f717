import { join } from 'node:path';
import { after } from 'node:test';
import type { Config } from '../../src/app/config.js';
import type { StoredAlert } from '../../src/core/alerts.js';
import type { CommitBatch, CommitHook, IncidentChanges } from '../../src/core/ports.js';
import { buildDelivery, sqliteDeliveryStore, type Delivery } from '../../src/app/delivery.js';
import { openDatabase, type Db } from '../../src/store/sqlite/database.js';
import { SqlitePipelineStore } from '../../src/store/sqlite/pipeline-store.js';
import type { Log } from '../../src/core/log.js';
import { makeConfig } from './alerts.js';

/** What one scripted commit stored and handed to the hooks. */
export interface ScriptedCommit {
  raised: StoredAlert[];
  updated: StoredAlert[];
}

/** A Log that keeps lines for assertions. */
export class MemoryLog implements Log {
  readonly lines: Array<{ level: string; msg: string; fields?: Record<string, unknown> }> = [];
  info(msg: string, fields?: Record<string, unknown>) {
    this.lines.push({ level: 'info', msg, fields });
  }
  warn(msg: string, fields?: Record<string, unknown>) {
    this.lines.push({ level: 'warn', msg, fields });
  }
  error(msg: string, fields?: Record<string, unknown>) {
    this.lines.push({ level: 'error', msg, fields });
  }
  text(): string {
    return this.lines.map((l) => `${l.level}: ${l.msg}${typeof l.fields?.text === 'string' ? '\n' + l.fields.text : ''}`).join('\n');
  }
}

export interface Harness {
  db: Db;
  config: Config;
  delivery: Delivery<ReturnType<typeof sqliteDeliveryStore>>;
  log: MemoryLog;
  /** Alerts ouwatch raised itself in the commits so far (the breaker's), as stored. */
  stored: StoredAlert[];
  /**
   * Commits these alerts as detection would: one transaction of the pipeline store that stores
   * them in the real alerts table and runs the commit hooks (response, then notifications) with
   * those that were new, writing what they record in the same transaction.
   */
  raise(...alerts: StoredAlert[]): ScriptedCommit;
  /** Commits alerts with the incidents they opened or escalated (what `notify.on: incidents` and `respond.incidentRisk` act on). */
  commit(alerts: StoredAlert[], incidents: Partial<IncidentChanges>): ScriptedCommit;
  close(): Promise<void>;
}

/** A commit that raises `alerts` (with these incident changes) and changes nothing else. */
export function alertsOnly(alerts: StoredAlert[], incidents: Partial<IncidentChanges> = {}): CommitBatch {
  return {
    history: { users: [], addresses: [], countries: [], sessions: [], activity: [] },
    state: { puts: [], deletes: [], expiredBefore: null },
    alerts: { raised: alerts, updated: [] },
    incidents: [],
    incidentLinks: [],
    incidentChanges: { opened: incidents.opened ?? [], escalated: incidents.escalated ?? [] },
    positions: [],
    releases: [],
  };
}

/** The response and notification stages on a real SQLite file, with fast retries; closed after the test. */
export function harness(dir: string, partial: Record<string, unknown>, o: { now?: () => number; dbName?: string; extraHooks?: CommitHook[] } = {}): Harness {
  // Sink mechanics are tested on alert notices unless a test asks for incidents.
  const notify = partial.notify === undefined ? undefined : { on: 'alerts', ...(partial.notify as object) };
  const config = makeConfig({ ...partial, ...(notify ? { notify } : {}), outbox: { baseDelayMs: 10, maxDelayMs: 50, pollMs: 20, ...(partial.outbox as object | undefined) } });
  const db = openDatabase(join(dir, o.dbName ?? 'ouwatch.db'));
  const log = new MemoryLog();
  const stored: StoredAlert[] = [];
  const delivery = buildDelivery(sqliteDeliveryStore(db), config, { log, now: o.now });
  const store = new SqlitePipelineStore(db);
  const hooks: CommitHook[] = [...delivery.hooks, ...(o.extraHooks ?? [])];
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await delivery.close();
    db.close();
  };
  // also when the test fails half-way: a running worker would keep the test process alive
  after(close);
  return {
    db,
    config,
    delivery,
    log,
    stored,
    raise(...raised) {
      return this.commit(raised, {});
    },
    commit(raised, incidents) {
      const batch = alertsOnly(raised, incidents);
      store.commitNow(batch, hooks);
      stored.push(...batch.alerts.raised.filter((a) => !raised.includes(a)));
      return { raised: batch.alerts.raised, updated: [] };
    },
    close,
  };
}
