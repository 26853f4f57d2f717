import { join } from 'node:path';
import { after } from 'node:test';
import type { Config } from '../../src/app/config.js';
import type { StoredAlert } from '../../src/core/alerts.js';
import { buildDelivery, type Delivery } from '../../src/app/delivery.js';
import { Pipeline, type CommitHook, type CommitResult, type DetectionStage } from '../../src/pipeline/pipeline.js';
import { AlertStore } from '../../src/store/sqlite/alerts.js';
import { openDatabase, type Db } from '../../src/store/sqlite/database.js';
import type { Log } from '../../src/core/log.js';
import { makeConfig } from './alerts.js';

/**
 * Drives the pipeline's commit with given alerts: a detection stage whose persist() stores
 * the alerts a test hands it in the real alerts table and returns them, so the response and
 * notification hooks run exactly as they do behind real detection (inside the commit
 * transaction, after persist()).
 */
export class ScriptedDetection implements DetectionStage {
  next: StoredAlert[] = [];
  constructor(private readonly alerts: AlertStore) {}
  onEvent(): void {}
  persist() {
    const raised = this.next;
    this.next = [];
    for (const a of raised) this.alerts.insert(a, Date.now());
    return { raised, updated: [] };
  }
  reset(): void {}
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
  pipeline: Pipeline;
  log: MemoryLog;
  stored: StoredAlert[];
  /** Commits one batch with these alerts raised; returns what the commit returned. */
  raise(...alerts: StoredAlert[]): CommitResult;
  close(): Promise<void>;
}

/** The response and notification stages on a real SQLite file, with fast retries; closed after the test. */
export function harness(dir: string, partial: Record<string, unknown>, o: { now?: () => number; dbName?: string; extraHooks?: CommitHook[] } = {}): Harness {
  const config = makeConfig({ ...partial, outbox: { baseDelayMs: 10, maxDelayMs: 50, pollMs: 20, ...(partial.outbox as object | undefined) } });
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
  const detection = new ScriptedDetection(alerts);
  const pipeline = new Pipeline({ db, detection, onCommit: [...delivery.hooks, ...(o.extraHooks ?? [])] });
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
    pipeline,
    log,
    stored,
    raise(...raised) {
      detection.next = raised;
      return pipeline.commit();
    },
    close,
  };
}
