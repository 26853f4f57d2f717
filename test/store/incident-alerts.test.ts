import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CORPORA } from '../../bench/corpus.js';
import { loadConfig } from '../../src/app/config.js';
import { showIncident } from '../../src/app/review/incidents.js';
import { openReviewStore } from '../../src/app/review/store.js';
import { HELD_ALERT_IDS } from '../../src/core/incidents.js';
import { openDatabase } from '../../src/store/sqlite/database.js';
import { SqlitePipelineStore } from '../../src/store/sqlite/pipeline-store.js';
import { openPool } from '../../src/store/postgres/connection.js';
import { OPEN_ALERTS_PAGE, PgPipelineStore } from '../../src/store/postgres/pipeline-store.js';
import { runCli } from '../helpers/cli.js';
import { accessLine, log4jTime } from '../helpers/lines.js';
import { startPostgres } from '../helpers/postgres.js';
import { replayedReviewStore } from '../helpers/store.js';
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
    const store = await replayedReviewStore(log, db, 120_000);
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

test('an open incident of 1,300 alerts comes back to the next run as its count, without reading its ids back; the alerts that run adds are all linked, on SQLite and on PostgreSQL', async () => {
  const dir = tempDir();
  const DN = 'uid=mmosley,ou=shadow,o=Tremolo';
  const start = Date.UTC(2026, 2, 2, 0, 0, 0);
  const line = (ms: number, ip: string) => accessLine({ time: log4jTime(ms), dn: DN, ip, session: `s${ms}` });
  // A week at the office, then a success a minute from 1,300 public addresses in as many networks.
  const usual = Array.from({ length: 7 * 24 }, (_, h) => line(start + h * 3_600_000, '10.1.2.3'));
  const attackStart = start + 7 * 86_400_000;
  const attack = Array.from({ length: 1_300 }, (_, k) => line(attackStart + k * 60_000, `${40 + (k % 50)}.${(k * 7) % 250}.${Math.floor(k / 50)}.9`));
  const first = join(dir, 'first.log');
  const second = join(dir, 'second.log');
  writeFileSync(first, [...usual, ...attack.slice(0, 650)].join('\n') + '\n');
  writeFileSync(second, attack.slice(650).join('\n') + '\n');

  const loaded: string[] = [];
  const sqlite = join(dir, 'held.db');
  const postgres = pg.url(await pg.createDatabase('held_alert_ids'));
  // Every new network its own alert (by default a rule keeps 10 open per user and counts the rest on the latest).
  const configFile = join(dir, 'ouwatch.yaml');
  writeFileSync(configFile, 'detect:\n  maxOpenAlertsPerUser: 2000\n');
  for (const db of [sqlite, postgres]) {
    for (const log of [first, second]) {
      const r = await runCli(['replay', log, '--db', db, '--config', configFile, '--quiet'], { timeoutMs: 120_000 });
      assert.equal(r.code, 0, r.stderr);
    }
    const config = loadConfig();
    config.store.path = db;
    const review = openReviewStore(config);
    let stored;
    try {
      const open = (await review.incidents.list({ statuses: ['open'], dn: DN }, { offset: 0, limit: null, sort: 'time' })).items;
      assert.equal(open.length, 1, `${db}: one open incident`);
      stored = open[0];
      const alerts = await review.alerts.list({ dn: DN }, { offset: 0, limit: null, sort: 'time' });
      assert.ok(stored.alertIds.length > HELD_ALERT_IDS, `${db}: ${stored.alertIds.length} alerts in the incident`);
      assert.equal(stored.alertIds.length, alerts.total, `${db}: every alert of the user, those of the second run too, is linked`);
    } finally {
      review.close();
    }
    let detection;
    const taken: string[] = [];
    const take = (a: { id: string }) => taken.push(a.id);
    if (db === sqlite) {
      const file = openDatabase(sqlite);
      detection = await new SqlitePipelineStore(file).loadDetection(take);
      file.close();
    } else {
      const pool = openPool({ url: postgres, password: null });
      detection = await new PgPipelineStore(pool, null, '').loadDetection(take);
      await pool.end();
    }
    // Every alert of the week is still open: all are handed over, on PostgreSQL a page at a time.
    assert.ok(taken.length > OPEN_ALERTS_PAGE, `${db}: ${taken.length} alerts taken up`);
    assert.equal(new Set(taken).size, taken.length, `${db}: each once`);
    const held = detection.openIncidents.find((i) => i.id === stored.id)!;
    assert.equal(held.alertCount, stored.alertIds.length, `${db}: the count is of every alert`);
    assert.deepEqual(held.alertIds, [], `${db}: no id is read back`);
    loaded.push(JSON.stringify([held.alertCount, stored.alertIds, [...taken].sort()]));
  }
  assert.equal(loaded[1], loaded[0], 'both stores link the same alerts and give detection the same count and the same open alerts');
});
