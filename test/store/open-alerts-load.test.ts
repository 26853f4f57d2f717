import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { CORPORA } from '../../bench/corpus.js';
import type { StoredAlert } from '../../src/core/alerts.js';
import { openDatabase } from '../../src/store/sqlite/database.js';
import { SqlitePipelineStore } from '../../src/store/sqlite/pipeline-store.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

// A start after an alert storm takes up every alert that may still count repeats: hundreds of
// thousands. Read into one array they were most of a start's time and memory (a 1,000-line
// replay on the store of 5 M storm lines: 9.4 s and 920 MB); they are now read row by row as
// detection takes them.

test('the alerts a start takes up are read row by row as detection iterates them, not before: the same alerts, in stored order', async () => {
  const dir = tempDir();
  const log = join(dir, 'storm.log');
  CORPORA.storm.write(log, { lines: 20_000, seed: 5, publicShare: 0.3 });
  const path = join(dir, 'ouwatch.db');
  const r = await runCli(['replay', log, '--db', path, '--quiet'], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);

  const db = openDatabase(path);
  try {
    const store = new SqlitePipelineStore(db);
    const loaded = await store.loadDetection();
    assert.ok(!Array.isArray(loaded.openAlerts), 'not an array');
    // Nothing is read yet: the connection still runs other statements (an open iteration would refuse them).
    assert.ok((await store.checkpoints()).length > 0);

    const latest = db.prepare('SELECT max(time) FROM alerts').pluck().get() as number;
    const expected = db.prepare(`SELECT id FROM alerts WHERE status != 'closed' AND time >= ?`).pluck().all(latest - 7 * 86_400_000) as string[];
    assert.ok(expected.length > 1_000, `${expected.length} open alerts`);
    const taken: StoredAlert[] = [];
    for (const a of loaded.openAlerts) taken.push(a);
    assert.deepEqual(taken.map((a) => a.id), expected);
    const sample = taken[Math.floor(taken.length / 2)];
    const row = db.prepare('SELECT rule, count, evidence_total FROM alerts WHERE id = ?').get(sample.id) as { rule: string; count: number; evidence_total: number };
    assert.deepEqual([sample.rule, sample.count, sample.evidenceTotal], [row.rule, row.count, row.evidence_total]);
    assert.ok(sample.evidence.length > 0, 'with its evidence lines');
  } finally {
    db.close();
  }
});
