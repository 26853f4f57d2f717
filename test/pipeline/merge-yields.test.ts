import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_NETWORK_BITS } from '../../src/components/enrich/address-info.js';
import type { LogEvent } from '../../src/core/log-event.js';
import { Ingest, type EventProcessor } from '../../src/pipeline/ingest.js';
import { IngestWorker } from '../../src/pipeline/worker-client.js';

// The source reads its next chunk, and the worker's parsed batches come in, only while the
// main thread's event loop runs. A merge that processed every batch waiting before it let the
// loop run left the worker with nothing to parse meanwhile, then itself with nothing to
// process while the worker caught up: on a benign replay the main thread idled 13 % of the
// time and the worker 43 %. After each batch it uses up, the merge lets the loop run.

const settings = { timeZone: 'UTC', maxLineBytes: 65_536, networkBits: DEFAULT_NETWORK_BITS };
const BATCHES = 4;
const LINES_PER_BATCH = 200;

function lines(from: number, n: number): Buffer {
  const out: string[] = [];
  for (let i = from; i < from + n; i++) {
    const t = new Date(Date.UTC(2026, 2, 2, 0, 0, 0, i * 10)).toISOString().replace('T', ' ').replace('Z', '').replace('.', ',');
    out.push(`[${t}][XNIO-1 task-1] INFO  AccessLog - [AzSuccess] - k8s - https://k8sou.example.com/k8s - uid=user${i % 7},ou=users,o=Tremolo - 20 / oauth2k8s [10.0.0.${i % 200}] - [s${i % 5}]`);
  }
  return Buffer.from(out.join('\n') + '\n');
}

test('with several parsed batches waiting, the merge lets the event loop run after each batch it uses up', async () => {
  const worker = new IngestWorker(settings);
  // Counts turns of the event loop (a setImmediate that schedules itself while the test runs).
  let turns = 0;
  let ticking = true;
  const tick = () => {
    turns++;
    if (ticking) setImmediate(tick);
  };
  /** The loop's turn at which each event was processed, by its line number. */
  const turnOfLine = new Map<number, number>();
  let pending = 0;
  const processor: EventProcessor = {
    prepare() {},
    event(e: LogEvent) {
      turnOfLine.set(e.lineNo, turns);
      pending++;
    },
    get pending() {
      return pending;
    },
    backlog: 0,
    newUsers: 0,
    heldAlerts: 0,
    heldRows: 0,
  };
  const ingest = new Ingest({
    worker,
    processor,
    committer: { commit: async () => void (pending = 0) },
    mergeWindowMs: 0,
    commitEveryLines: 1_000_000,
    commitIntervalMs: null,
  });
  try {
    // Held while all four batches are parsed and waiting: the merge then meets them at once.
    ingest.hold();
    const feed = ingest.open({ origin: 'test.log', identity: { kind: 'none' }, startOffset: 0, startLineNo: 0, live: false });
    feed.warm();
    for (let b = 0; b < BATCHES; b++) feed.push(lines(b * LINES_PER_BATCH, LINES_PER_BATCH));
    feed.end();
    for (let waited = 0; feed.batches.length < BATCHES + 1; waited += 5) {
      assert.ok(waited < 10_000, `only ${feed.batches.length} batches parsed after 10 s`);
      await new Promise((r) => setTimeout(r, 5));
    }
    setImmediate(tick);
    ingest.resume();
    await ingest.finish();
    ticking = false;

    assert.equal(turnOfLine.size, BATCHES * LINES_PER_BATCH, 'every line processed');
    const turnsOfBatch = (b: number) => new Set(Array.from({ length: LINES_PER_BATCH }, (_, i) => turnOfLine.get(b * LINES_PER_BATCH + i + 1)));
    for (let b = 0; b < BATCHES; b++) assert.equal(turnsOfBatch(b).size, 1, `batch ${b + 1} is processed in one go`);
    const turnOf = (b: number) => [...turnsOfBatch(b)][0]!;
    for (let b = 1; b < BATCHES; b++) {
      assert.ok(turnOf(b) > turnOf(b - 1), `the loop ran between batch ${b} (turn ${turnOf(b - 1)}) and batch ${b + 1} (turn ${turnOf(b)})`);
    }
  } finally {
    ticking = false;
    await worker.terminate();
  }
});
