import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/app/config.js';
import { openWriterBackend } from '../../src/app/writer-backend.js';
import { silentLog } from '../../src/core/log.js';
import { SAMPLE_LOGS, ok } from '../helpers/cli.js';
import { startPostgres } from '../helpers/postgres.js';
import { tempDir } from '../helpers/tmp.js';

// What a command has printed of the committed alerts, on both stores: a consumer starts at the
// newest alert, reads pages after its cursor in the order alerts were stored, and moves the
// cursor only as far as it says it printed.

const pg = await startPostgres();

test('the output cursor pages through the committed alerts in stored order and moves only as far as told, on SQLite and on PostgreSQL', async () => {
  const dir = tempDir();
  const stores = [join(dir, 'ouwatch.db'), pg.url(await pg.createDatabase('output_cursor'))];
  const seen: string[][] = [];
  for (const db of stores) {
    const config = loadConfig();
    config.store.path = db;
    const open = () => openWriterBackend(config, { command: 'test', log: silentLog });
    // A consumer seen before any alert was stored starts at 0; one seen after, at the newest.
    let backend = await open();
    assert.equal(await backend.output('reader').position(), 0);
    await backend.close(async () => backend.lease.release());
    ok(['replay', ...SAMPLE_LOGS, '--db', db, '--quiet']);
    backend = await open();
    try {
      const late = backend.output('late');
      const newest = await late.position();
      assert.ok(newest > 5, `${db}: the sample's alerts are stored (${newest})`);
      assert.deepEqual(await late.after(newest, 10), [], 'a new consumer starts after the newest alert');
      assert.deepEqual(await late.unprinted(), []);

      // Every alert, a page of 4 at a time, in the order stored.
      const reader = backend.output('reader');
      assert.equal(await reader.position(), 0);
      const all: string[] = [];
      const seqs: number[] = [];
      for (let at = 0; ; ) {
        const page = await reader.after(at, 4);
        if (page.length === 0) break;
        assert.ok(page.length <= 4);
        for (const p of page) {
          assert.ok(p.seq > at, 'seq grows');
          at = p.seq;
          seqs.push(p.seq);
          all.push(p.alert.id);
        }
      }
      assert.equal(seqs[seqs.length - 1], newest);
      assert.equal(new Set(all).size, all.length);
      seen.push(all);

      // The cursor moves as far as said, never back; unprinted() is what lies after it.
      await reader.printedThrough(seqs[2]);
      assert.equal(await reader.position(), seqs[2]);
      assert.deepEqual((await reader.unprinted()).map((a) => a.id), all.slice(3));
      await reader.printedThrough(seqs[1]);
      assert.equal(await reader.position(), seqs[2], 'a cursor never moves back');
      assert.equal(await reader.newest(), newest);
      await reader.printedThrough(await reader.newest());
      assert.equal(await reader.position(), newest);
      assert.deepEqual(await reader.unprinted(), []);
    } finally {
      await backend.close(async () => backend.lease.release());
    }
  }
  assert.deepEqual(seen[1], seen[0], 'both stores return the same alerts in the same order');
});
