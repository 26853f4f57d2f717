import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { backoffDelay } from '../../src/pipeline/delivery/backoff.js';
import { OutboxWorker, describeDrain } from '../../src/pipeline/delivery/outbox-worker.js';
import { type Deliverer, type DeliveryResult } from '../../src/core/delivery.js';
import { openDatabase } from '../../src/store/sqlite/database.js';
import { OutboxStore } from '../../src/store/sqlite/outbox.js';
import { type OutboxItem } from '../../src/core/delivery.js';
import { makeAlert } from '../helpers/alerts.js';
import { tempDir } from '../helpers/tmp.js';
import { MemoryLog, harness } from '../helpers/delivery.js';

const dir = tempDir();
let n = 0;
const file = () => join(dir, `o${++n}.db`);
const item = (now: number, over: Partial<Parameters<OutboxStore['enqueue']>[0]> = {}) => ({
  kind: 'jsonl' as const,
  target: 'jsonl',
  alertId: 'a1',
  actionId: null,
  payload: { hello: 'wörld\n' },
  dueAt: now,
  expiresAt: now + 60_000,
  ...over,
});

/** A deliverer that answers from a script and records what it was given. */
class Scripted implements Deliverer {
  readonly kind = 'jsonl' as const;
  readonly batch = false;
  readonly seen: number[] = [];
  constructor(private readonly script: DeliveryResult[]) {}
  async deliver(_t: string, [it]: OutboxItem[]): Promise<DeliveryResult> {
    this.seen.push(it.id);
    return this.script.shift() ?? { ok: true };
  }
}

describe('outbox store', () => {
  test('survives a restart: an item queued before the process stopped is delivered after', async () => {
    const path = file();
    const db1 = openDatabase(path);
    const id = db1.transaction(() => new OutboxStore(db1).enqueue(item(Date.now()), Date.now()))();
    db1.close();
    const db2 = openDatabase(path);
    const store = new OutboxStore(db2);
    assert.deepEqual(store.pending().map((i) => [i.id, i.payload]), [[id, { hello: 'wörld\n' }]]);
    const d = new Scripted([]);
    const w = new OutboxWorker({ store, deliverers: [d], log: new MemoryLog(), baseDelayMs: 5, maxDelayMs: 10, pollMs: 10 });
    await w.drain(1_000);
    assert.deepEqual(d.seen, [id]);
    assert.equal(store.pending().length, 0);
    db2.close();
  });

  test('a claimed item is leased: not handed out twice, due again if its deliverer died', () => {
    const db = openDatabase(file());
    const store = new OutboxStore(db);
    const now = Date.now();
    store.enqueue(item(now), now);
    const first = store.claim(now, now + 1_000);
    assert.equal(first.length, 1);
    assert.equal(first[0].attempts, 1);
    assert.equal(store.claim(now + 10, now + 1_010).length, 0, 'leased');
    const again = store.claim(now + 1_000, now + 2_000);
    assert.equal(again.length, 1, 'the lease ran out: a crashed delivery is retried');
    assert.equal(again[0].attempts, 2);
    db.close();
  });

  test('outbox rows are written in the commit transaction: a failed commit leaves none', () => {
    const h = harness(dir, { notify: { jsonl: { path: join(dir, 'x.jsonl') } } }, {
      dbName: 'rollback.db',
      extraHooks: [
        {
          run: () => {
            throw new Error('disk full');
          },
        },
      ],
    });
    assert.throws(() => h.raise(makeAlert()), /disk full/);
    assert.equal(h.delivery.outbox.pending().length, 0);
    assert.equal(h.delivery.actions.list().length, 0, 'nor the action');
  });
});

describe('outbox worker', () => {
  test('retries with backoff until success, then stops', async () => {
    const db = openDatabase(file());
    const store = new OutboxStore(db);
    const now = Date.now();
    store.enqueue(item(now), now);
    const d = new Scripted([{ ok: false, retryable: true, error: 'down' }, { ok: false, retryable: true, error: 'still down' }]);
    const w = new OutboxWorker({ store, deliverers: [d], log: new MemoryLog(), baseDelayMs: 5, maxDelayMs: 20, pollMs: 10 });
    const r = await w.drain(2_000);
    assert.equal(d.seen.length, 3);
    assert.deepEqual(w.counters.jsonl, { delivered: 1, failed: 0, retrying: 2 });
    assert.equal(r.delivered, 1);
    assert.equal(describeDrain(r), 'outbox: 1 delivered, 0 failed');
    db.close();
  });

  test('an item that expires becomes a visible failure: status, reason, error log, counter', async () => {
    const db = openDatabase(file());
    const store = new OutboxStore(db);
    let now = 1_000_000;
    store.enqueue(item(now, { expiresAt: now + 1_000 }), now);
    const log = new MemoryLog();
    const d = new Scripted(Array.from({ length: 50 }, () => ({ ok: false, retryable: true, error: 'connect ECONNREFUSED' })));
    const w = new OutboxWorker({ store, deliverers: [d], log, baseDelayMs: 100, maxDelayMs: 400, pollMs: 10, now: () => now, random: () => 1 });
    // attempts at +0, +100, +300, +700; the next would be at +1100, past the expiry at +1000
    for (let i = 0; i < 10 && store.pending().length; i++) {
      await w.runOnce();
      const next = store.pending()[0];
      if (next) now = next.nextAttemptAt;
    }
    assert.equal(d.seen.length, 4);
    const [failed] = store.list('failed');
    assert.ok(failed, 'failed, not dropped');
    assert.match(failed.lastError!, /^expired after 4 attempts since 1970-01-01T00:16:40\.000Z: connect ECONNREFUSED$/);
    assert.equal(w.counters.jsonl.failed, 1);
    assert.ok(log.lines.some((l) => l.level === 'error' && /failed for good: expired/.test(l.msg)));
    db.close();
  });

  test('an item found already expired (the process was down) fails without an attempt', async () => {
    const db = openDatabase(file());
    const store = new OutboxStore(db);
    const now = Date.now();
    store.enqueue(item(now - 120_000, { expiresAt: now - 60_000 }), now - 120_000);
    const d = new Scripted([]);
    const w = new OutboxWorker({ store, deliverers: [d], log: new MemoryLog(), baseDelayMs: 5, maxDelayMs: 10, pollMs: 10 });
    await w.runOnce();
    assert.deepEqual(d.seen, []);
    assert.match(store.list('failed')[0].lastError!, /expired before delivery/);
    db.close();
  });

  test('drain leaves what cannot be delivered in time queued, and says so', async () => {
    const db = openDatabase(file());
    const store = new OutboxStore(db);
    const now = Date.now();
    store.enqueue(item(now), now);
    const d = new Scripted(Array.from({ length: 1000 }, () => ({ ok: false, retryable: true, error: 'down' })));
    const w = new OutboxWorker({ store, deliverers: [d], log: new MemoryLog(), baseDelayMs: 1_000, maxDelayMs: 1_000, pollMs: 10 });
    const r = await w.drain(100);
    assert.deepEqual(r.pending, { jsonl: 1 });
    assert.match(describeDrain(r)!, /^outbox: 0 delivered, 0 failed, 1 jsonl still queued, next attempt in \d+ s: they stay in the outbox and 'ouwatch run' or the next replay delivers them$/);
    db.close();
  });

  test('start/stop: the running worker delivers what is queued while it runs, and stops cleanly', async () => {
    const db = openDatabase(file());
    const store = new OutboxStore(db);
    const d = new Scripted([]);
    const w = new OutboxWorker({ store, deliverers: [d], log: new MemoryLog(), baseDelayMs: 5, maxDelayMs: 10, pollMs: 5_000 });
    w.start();
    const now = Date.now();
    store.enqueue(item(now), now);
    w.nudge(); // as the commit hooks do: no need to wait for the 5 s poll
    const end = Date.now() + 5_000;
    while (d.seen.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    assert.equal(d.seen.length, 1);
    await w.stop();
    assert.deepEqual(w.depth().jsonl, 0);
    db.close();
  });
});

describe('backoff', () => {
  test('doubles per attempt, capped, with jitter between half and all of the delay', () => {
    const p = { baseDelayMs: 1_000, maxDelayMs: 60_000 };
    assert.equal(backoffDelay(1, p, () => 1), 1_000);
    assert.equal(backoffDelay(1, p, () => 0), 500);
    assert.equal(backoffDelay(4, p, () => 1), 8_000);
    assert.equal(backoffDelay(30, p, () => 1), 60_000);
    assert.equal(backoffDelay(30, p, () => 0), 30_000);
  });
});
