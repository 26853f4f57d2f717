import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { CORPORA } from '../../bench/corpus.js';
import { loadConfig } from '../../src/app/config.js';
import { showIncident } from '../../src/app/review/incidents.js';
import { openReviewStore } from '../../src/app/review/store.js';
import { runCli } from '../helpers/cli.js';
import { startPostgres } from '../helpers/postgres.js';
import { tempDir } from '../helpers/tmp.js';

// An incident left open through an alert storm holds hundreds of alerts per user: its detail
// (the console's incident page, `incidents show`) reads them in a few queries, not three per
// alert (thousands of round trips on PostgreSQL), in the incident's order, oldest first.

const pg = await startPostgres();

test("an incident's alerts are read by id in batches, in the order asked, on SQLite and on PostgreSQL", async () => {
  const dir = tempDir();
  const log = join(dir, 'storm.log');
  CORPORA.storm.write(log, { lines: 20_000, seed: 11, publicShare: 0.3 });
  const details: string[] = [];
  for (const db of [join(dir, 'ouwatch.db'), pg.url(await pg.createDatabase('incident_alerts'))]) {
    // Thousands of alerts on stdout: the asynchronous runner keeps them all.
    const r = await runCli(['replay', log, '--db', db, '--quiet'], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    const config = loadConfig();
    config.store.path = db;
    const store = openReviewStore(config);
    try {
      const page = await store.incidents.list({ statuses: ['open'] }, { offset: 0, limit: null, sort: 'time' });
      const biggest = page.items.reduce((a, b) => (b.alertIds.length > a.alertIds.length ? b : a));
      assert.ok(biggest.alertIds.length >= 5, `${db}: the largest incident holds ${biggest.alertIds.length} alerts`);

      const detail = await showIncident(store, biggest.id);
      assert.deepEqual(detail.alerts.map((a) => a.id), biggest.alertIds, 'every alert, in the incident order');
      const times = detail.alerts.map((a) => a.time);
      assert.deepEqual(times, [...times].sort(), 'oldest first');
      for (const a of detail.alerts.slice(0, 5)) {
        const one = await store.alerts.detail(a.id);
        assert.equal(a.count, one!.count);
        assert.deepEqual(a.evidence, one!.evidence);
      }
      details.push(JSON.stringify(detail.alerts));

      // More ids than one query takes, in another order, with unknown and repeated ones.
      const all = (await store.alerts.list({}, { offset: 0, limit: null, sort: 'time' })).items.map((a) => a.id);
      assert.ok(all.length > 1_000, `${all.length} alerts`);
      const asked = [...all].reverse().concat(['0000000000000000', all[0]]);
      assert.deepEqual((await store.alerts.byIds(asked)).map((a) => a.id), [...all].reverse());
      assert.deepEqual(await store.alerts.byIds([]), []);
    } finally {
      store.close();
    }
  }
  assert.equal(details[1], details[0], 'both stores show the same alerts');
});
