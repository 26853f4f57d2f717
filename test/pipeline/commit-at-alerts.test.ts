import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { CORPORA } from '../../bench/corpus.js';
import { CommitPolicy } from '../../src/pipeline/commit-policy.js';
import { replayCommits } from '../helpers/commits.js';
import { dumpDetection, dumpHistory } from '../helpers/store.js';
import { tempDir } from '../helpers/tmp.js';

// An alert storm must not hold all the alerts of a commit's lines in memory: a commit is due
// once the alerts raised or repeated since the last one reach a bound, whatever the lines and
// users say. Where a run commits must not change what it stores.

/** Replays `log` into `db`; the alerts (new and repeated) each commit wrote. */
const replayAlertCommits = (db: string, log: string, commitAtAlerts?: number) => replayCommits(db, log, (r) => r.raised.length + r.updated.length, { commitAtAlerts });

test('a storm commits each time the alerts waiting for a commit reach the bound, and stores exactly what one commit at the end does', async () => {
  const dir = tempDir('ouwatch-commit-at-alerts-');
  const log = join(dir, 'storm.log');
  CORPORA.storm.write(log, { lines: 20_000, seed: 9 });

  const once = await replayAlertCommits(join(dir, 'once.db'), log);
  assert.equal(once.length, 1, '20,000 lines of 2,000 users make one commit by lines and users');
  const total = once[0];
  assert.ok(total > 400, `the storm raised only ${total} alerts`);

  const bound = 100;
  const bounded = await replayAlertCommits(join(dir, 'bounded.db'), log, bound);
  // The bound is looked at between the worker's batches (thousands of lines each): every commit
  // but the last was made by it, and holds at least `bound` alerts.
  assert.ok(bounded.length >= 3, `${bounded.length} commits: ${bounded.join(', ')} alerts`);
  for (const n of bounded.slice(0, -1)) assert.ok(n >= bound, `a commit before the end held ${n} alerts, under the bound of ${bound}`);
  assert.ok(bounded.reduce((a, b) => a + b, 0) >= total, 'the commits together hold at least the one commit\'s alerts (a repeat in a later commit is an update)');

  assert.deepEqual({ ...dumpHistory(join(dir, 'bounded.db')), ...dumpDetection(join(dir, 'bounded.db')) }, { ...dumpHistory(join(dir, 'once.db')), ...dumpDetection(join(dir, 'once.db')) });
});

test('while the reader of the alerts is behind, a commit is due at a quarter of the bound', () => {
  let behind = false;
  const processor = { pending: 1, backlog: 0, newUsers: 0, heldAlerts: 100, heldRows: 0 };
  const policy = new CommitPolicy(processor, { commit: async () => undefined }, { commitEveryLines: 1_000_000, commitAtAlerts: 400, commitIntervalMs: null, outputBehind: () => behind });
  assert.equal(policy.dueIn(), null, '100 alerts held, under the bound of 400');
  behind = true;
  assert.equal(policy.dueIn(), 0, '100 alerts held, at a quarter of the bound');
  processor.heldAlerts = 99;
  assert.equal(policy.dueIn(), null);
  behind = false;
  processor.heldAlerts = 399;
  assert.equal(policy.dueIn(), null);
  processor.heldAlerts = 400;
  assert.equal(policy.dueIn(), 0);
});
