import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { replayFiles } from '../../src/app/replay.js';
import type { CommitBatch, CommitHook, PipelineStore } from '../../src/core/ports.js';
import { StoreCommitter } from '../../src/pipeline/committer.js';
import { openDatabase } from '../../src/store/sqlite/database.js';
import { ALICE, H, SE, T0, US, allAlerts, az, history, rulesDir, runtimeFor, scratch } from '../detect/helpers.js';

// The committer notices analysts' changes (before each batch is prepared, and before each
// commit) and writes commits. A commit to a database server takes time, and a batch arriving
// meanwhile is prepared meanwhile: what it notices must land in a commit, never between a
// commit's collect and the end that marks everything collected as stored.

const s = scratch();
after(() => s.done());

function closeAsBenign(db: string, id: string): void {
  const d = openDatabase(db);
  try {
    d.transaction(() => {
      d.prepare("UPDATE alerts SET status = 'closed', closed_benign = 1 WHERE id = ?").run(id);
      d.prepare('INSERT INTO alert_status_changes (alert_id, status, by, at, comment) VALUES (?, ?, ?, ?, ?)').run(id, 'closed', 'alice', Date.now(), 'benign: her trip');
    })();
  } finally {
    d.close();
  }
}

function learnt(db: string, ip: string): number {
  const d = new Database(db, { readonly: true });
  try {
    return (d.prepare('SELECT learnt FROM user_ips WHERE ip = ?').get(ip) as { learnt: number }).learnt;
  } finally {
    d.close();
  }
}

test('a benign close noticed while a commit is still being acknowledged is written by the next commit', async () => {
  const db = s.path('c1.db');
  const log = s.path('c1.log');
  writeFileSync(log, [...history(ALICE, SE), az(T0 + 3 * H, ALICE, US)].join('\n') + '\n');
  const rt = await runtimeFor(db, rulesDir(s.path('r1'), ['new-country']));
  try {
    await replayFiles([log], rt);
    const [alert] = allAlerts(rt);
    assert.equal(learnt(db, US), 0, 'quarantined by the new-country alert');

    // The store's commit is written, and its acknowledgement takes a while (a server's round trip).
    let acknowledge!: () => void;
    const acknowledged = new Promise<void>((r) => (acknowledge = r));
    const store: PipelineStore = Object.create(rt.store) as PipelineStore;
    store.commit = async (b: CommitBatch, hooks: readonly CommitHook[]) => {
      await rt.store.commit(b, hooks);
      await acknowledged;
    };
    const committer = new StoreCommitter({
      store,
      history: rt.history,
      detection: rt.detection,
      hooks: [],
      minLiveDnId: () => Number.POSITIVE_INFINITY,
      namesInFlight: () => false,
      statusVersion: (await rt.store.statusChangesSince(0)).version,
    });
    const scope = { feeds: [], lines: 0, arrivals: [], logTimeTick: null };
    const first = committer.commit(scope);
    await new Promise((r) => setImmediate(r));
    closeAsBenign(db, alert.id);
    // A batch is prepared while the commit waits for its acknowledgement.
    const noticed = committer.noticeChanges();
    await new Promise((r) => setImmediate(r));
    acknowledge();
    await Promise.all([first, noticed]);
    await committer.commit(scope);
    assert.equal(learnt(db, US), 1, 'the address the close released is stored as learnt');
  } finally {
    await rt.close();
  }
});
