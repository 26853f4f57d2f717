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
// replay on the store of 5 M storm lines: 9.4 s and 920 MB); the store now hands each to
// detection as it reads it. (PostgreSQL's pages: test/store/incident-alerts.test.ts.)

test('a start is handed each alert that may still count repeats as the store reads it: every one, in stored order, with its evidence', async () => {
  const dir = tempDir();
  const log = join(dir, 'storm.log');
  CORPORA.storm.write(log, { lines: 20_000, seed: 5, publicShare: 0.3 });
  const path = join(dir, 'ouwatch.db');
  const r = await runCli(['replay', log, '--db', path, '--quiet'], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);

  const db = openDatabase(path);
  try {
    const store = new SqlitePipelineStore(db);
    const taken: StoredAlert[] = [];
    const loaded = await store.loadDetection((a) => taken.push(a));
    assert.ok(loaded.openIncidents.length > 0);
    // The read is over when it returns: the connection runs other statements.
    assert.ok((await store.checkpoints()).length > 0);

    const latest = db.prepare('SELECT max(time) FROM alerts').pluck().get() as number;
    const expected = db.prepare(`SELECT id FROM alerts WHERE status != 'closed' AND time >= ?`).pluck().all(latest - 7 * 86_400_000) as string[];
    assert.ok(expected.length > 1_000, `${expected.length} open alerts`);
    assert.deepEqual(taken.map((a) => a.id), expected);
    const sample = taken[Math.floor(taken.length / 2)];
    const row = db.prepare('SELECT rule, count, evidence_total FROM alerts WHERE id = ?').get(sample.id) as { rule: string; count: number; evidence_total: number };
    assert.deepEqual([sample.rule, sample.count, sample.evidenceTotal], [row.rule, row.count, row.evidence_total]);
    assert.ok(sample.evidence.length > 0, 'with its evidence lines');
  } finally {
    db.close();
  }
});
