import { join } from 'node:path';
import { after } from 'node:test';
import type { Config } from '../../src/app/config.js';
import type { StoredAlert } from '../../src/core/alerts.js';
import { buildDelivery, type Delivery } from '../../src/app/delivery.js';
import type { CommitHook, IncidentChanges } from '../../src/core/ports.js';
import { AlertStore } from '../../src/store/sqlite/alerts.js';
import { openDatabase, type Db } from '../../src/store/sqlite/database.js';
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
  delivery: Delivery;
  log: MemoryLog;
  stored: StoredAlert[];
  /**
   * Commits these alerts as detection would: one transaction that stores them in the real
   * alerts table and runs the commit hooks (response, then notifications) with those that were
   * new, exactly as the pipeline store's commit does behind real detection.
   */
  raise(...alerts: StoredAlert[]): ScriptedCommit;
  /** Commits alerts with the incidents they opened or escalated (what `notify.on: incidents` and `respond.incidentRisk` act on). */
  commit(alerts: StoredAlert[], incidents: Partial<IncidentChanges>): ScriptedCommit;
  close(): Promise<void>;
}

/** The response and notification stages on a real SQLite file, with fast retries; closed after the test. */
export function harness(dir: string, partial: Record<string, unknown>, o: { now?: () => number; dbName?: string; extraHooks?: CommitHook[] } = {}): Harness {
  // Sink mechanics are tested on alert notices unless a test asks for incidents.
  const notify = partial.notify === undefined ? undefined : { on: 'alerts', ...(partial.notify as object) };
  const config = makeConfig({ ...partial, ...(notify ? { notify } : {}), outbox: { baseDelayMs: 10, maxDelayMs: 50, pollMs: 20, ...(partial.outbox as object | undefined) } });
  const db = openDatabase(join(dir, o.dbName ?? 'ouwatch.db'));
  const alerts = new AlertStore(db);
  const log = new MemoryLog();
  const stored: StoredAlert[] = [];
  const delivery = buildDelivery(db, config, {
    log,
    now: o.now,
    storeAlert: (a) => {
      stored.push(a);
      alerts.insert(a, Date.now());
      return a;
    },
  });
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
      return db.transaction(() => {
        const fresh = raised.filter((a) => alerts.insert(a, Date.now()));
        const changes: IncidentChanges = { opened: incidents.opened ?? [], escalated: incidents.escalated ?? [] };
        for (const hook of hooks) hook(fresh, [], changes);
        return { raised: fresh, updated: [] };
      })();
    },
    close,
  };
}
