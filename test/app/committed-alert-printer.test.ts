import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { CommittedAlertPrinter } from '../../src/app/run/alert-output.js';
import type { StoredAlert } from '../../src/core/alerts.js';
import type { AlertOutput } from '../../src/core/ports.js';
import { makeAlert } from '../helpers/alerts.js';

// The daemon's stdout printer against an output cursor held in memory (the stores' own cursors
// are tested in test/store/output-cursor.test.ts, the daemon end to end in stdout-backpressure).

function memoryOutput(alerts: StoredAlert[], at: number): AlertOutput & { cursor(): number } {
  let cursor = at;
  const page = (after: number, limit: number) => alerts.map((alert, i) => ({ seq: i + 1, alert })).filter((p) => p.seq > after).slice(0, limit);
  return {
    position: async () => cursor,
    after: async (seq, limit) => page(seq, limit),
    printedThrough: async (seq) => {
      cursor = Math.max(cursor, seq);
    },
    newest: async () => alerts.length,
    unprinted: async () => page(cursor, Infinity).map((p) => p.alert),
    cursor: () => cursor,
  };
}

const tick = () => new Promise((r) => setTimeout(r, 20));

test('pages of the given size, in stored order, from the cursor on; the cursor follows what was written', async () => {
  const alerts = Array.from({ length: 7 }, (_, i) => makeAlert({ id: `a${i + 1}` }));
  const store = memoryOutput(alerts, 2);
  const chunks: string[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const warnings: string[] = [];
  const printer = new CommittedAlertPrinter({ out, store, json: true, pageSize: 2, log: { info: () => undefined, warn: (m) => warnings.push(m), error: () => undefined } });
  await printer.start();
  assert.equal(await printer.close(5_000), true);
  assert.deepEqual(chunks.map((c) => c.trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id)), [['a3', 'a4'], ['a5', 'a6'], ['a7']]);
  assert.equal(store.cursor(), 7);
  assert.deepEqual(warnings, []);
});

test('stdout that goes away stops the printing for this run and leaves the cursor before what was not written', async () => {
  const alerts = Array.from({ length: 5 }, (_, i) => makeAlert({ id: `b${i + 1}` }));
  const store = memoryOutput(alerts, 0);
  let writes = 0;
  const out = new Writable({
    write(_chunk, _enc, done) {
      writes++;
      done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    },
  });
  out.on('error', () => undefined);
  const warnings: string[] = [];
  const printer = new CommittedAlertPrinter({ out, store, json: true, pageSize: 2, log: { info: () => undefined, warn: (m) => warnings.push(m), error: () => undefined } });
  await printer.start();
  await tick();
  printer.wake();
  await tick();
  assert.equal(writes, 1, 'no write after stdout failed');
  assert.equal(store.cursor(), 0);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /stdout is closed/);
});
