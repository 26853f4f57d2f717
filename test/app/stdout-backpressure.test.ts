import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import pino from 'pino';
import { CORPORA } from '../../bench/corpus.js';
import { loadConfig } from '../../src/app/config.js';
import { Daemon } from '../../src/app/run/daemon.js';
import { createRuntime } from '../../src/app/runtime.js';
import { silentLog } from '../../src/core/log.js';
import { committedOffset } from '../helpers/store.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

// `ouwatch run --json | reader`: a reader that stops reading must not make the daemon keep every
// alert it commits in memory, nor stop it detecting. Alerts are printed from the store after a
// cursor, a page at a time: the rest waits in the store, and a stop before the reader caught up
// leaves it for the next start.

/** A stdout whose reader can stall: writes are held (callbacks not called) until released. */
class StallingReader extends Writable {
  readonly text: string[] = [];
  private held: Array<() => void> = [];
  stalled = true;

  constructor() {
    super({ highWaterMark: 16 * 1024, decodeStrings: false });
  }

  override _write(chunk: string | Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.text.push(String(chunk));
    if (this.stalled) this.held.push(() => done());
    else done();
  }

  release(): void {
    this.stalled = false;
    for (const done of this.held.splice(0)) done();
  }

  ids(): string[] {
    return this.text
      .join('')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => (JSON.parse(l) as { id: string }).id);
  }
}

function storeState(db: string): { alerts: string[]; cursor: number | null; newest: number } {
  const d = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return {
      alerts: (d.prepare('SELECT id FROM alerts ORDER BY rowid').all() as Array<{ id: string }>).map((r) => r.id),
      cursor: (d.prepare("SELECT seq FROM output_cursors WHERE consumer = 'run'").get() as { seq: number } | undefined)?.seq ?? null,
      newest: (d.prepare('SELECT coalesce(max(rowid), 0) AS n FROM alerts').get() as { n: number }).n,
    };
  } finally {
    d.close();
  }
}

async function startDaemon(db: string, log: string, out: Writable): Promise<Daemon> {
  const config = loadConfig();
  config.store.path = db;
  config.sources.files = [log];
  config.sources.startAt = 'beginning';
  config.sources.pollIntervalMs = 20;
  const runtime = await createRuntime(config, { log: silentLog, command: 'run', commitIntervalMs: 100, onFailure: (err) => assert.fail(String(err)) });
  const daemon = new Daemon({
    runtime,
    listen: { host: '127.0.0.1', port: 0 },
    json: true,
    log: pino({ level: 'silent' }),
    configFile: 'test configuration',
    out,
    onFatal: (err) => assert.fail(String(err)),
  });
  runtime.onCommit((r) => daemon.committed(r));
  await daemon.start();
  return daemon;
}

test('a stalled stdout holds one page of alerts: the daemon goes on committing, and prints every alert once, in order, when the reader comes back', { timeout: 120_000 }, async () => {
  const dir = tempDir();
  const log = join(dir, 'storm.log');
  // About 1,500 alerts: three pages (500), far more than the reader's buffer.
  CORPORA.storm.write(log, { lines: 40_000, seed: 5 });
  const size = statSync(log).size;
  const db = join(dir, 'ouwatch.db');
  const out = new StallingReader();
  const daemon = await startDaemon(db, log, out);
  try {
    await waitFor('the daemon to commit the whole file', () => committedOffset(db) >= size || undefined, 90_000);
    const held = storeState(db);
    assert.ok(held.alerts.length > 1000, `a storm's alerts (${held.alerts.length})`);
    // One page written and waiting for the reader; nothing else queued in memory.
    assert.ok(out.writableLength < 2 * 1024 * 1024, `stdout holds ${out.writableLength} bytes while its reader is stalled`);
    assert.ok(out.ids().length <= 500, `${out.ids().length} alerts written to a stalled reader: at most a page`);
    assert.ok(held.cursor !== null && held.cursor < held.newest, 'the cursor stays before what the reader has not taken');

    out.release();
    await waitFor('every alert printed', () => out.ids().length >= held.alerts.length || undefined, 30_000);
    const printed = out.ids();
    assert.deepEqual(printed, held.alerts, 'every committed alert once, in the order stored');
    await waitFor('the cursor to reach the newest alert', () => storeState(db).cursor === held.newest || undefined, 10_000);
  } finally {
    await daemon.stop('test');
  }
});

test('a stop while the reader is stalled does not wait for it: the next start prints what it had not taken, and nothing is lost', { timeout: 120_000 }, async () => {
  const dir = tempDir();
  const log = join(dir, 'storm.log');
  CORPORA.storm.write(log, { lines: 30_000, seed: 6 });
  const size = statSync(log).size;
  const db = join(dir, 'ouwatch.db');
  const stalled = new StallingReader();
  const first = await startDaemon(db, log, stalled);
  await waitFor('the daemon to commit the whole file', () => committedOffset(db) >= size || undefined, 90_000);
  const started = Date.now();
  await first.stop('test');
  assert.ok(Date.now() - started < 10_000, 'the stop gave up on the stalled reader');
  const { alerts, cursor } = storeState(db);
  assert.ok(alerts.length > 500 && cursor !== null, `${alerts.length} alerts, cursor ${cursor}`);

  const reader = new StallingReader();
  reader.release();
  const second = await startDaemon(db, log, reader);
  try {
    await waitFor('the rest to be printed', () => storeState(db).cursor === storeState(db).newest || undefined, 30_000);
    const printed = reader.ids();
    // Exactly what the first run's reader had not acknowledged: everything after the cursor.
    assert.deepEqual(printed, alerts.slice(alerts.length - printed.length));
    assert.equal(printed.length, alerts.length - cursor!, 'nothing after the cursor is skipped');
    assert.ok(printed.length > 0);
  } finally {
    await second.stop('test');
  }
});
