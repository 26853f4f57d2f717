import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { CommitPolicy } from '../../src/pipeline/commit-policy.js';
import { writeAddressMonth } from '../helpers/address-month.js';
import { replayCommits } from '../helpers/commits.js';
import { dumpDetection, dumpHistory } from '../helpers/store.js';
import { tempDir } from '../helpers/tmp.js';

// Users who come back day after day begin a session and hours of activity each day: a replay
// of months of them must not hold every one until a commit by lines. A commit is due once the
// rows begun since the last one reach a bound; where it commits must not change what it stores.

test('a commit is due once the rows begun since the last one reach the bound', () => {
  const processor = { pending: 1, backlog: 0, newUsers: 0, heldAlerts: 0, heldRows: 499 };
  const policy = new CommitPolicy(processor, { commit: async () => undefined }, { commitEveryLines: 1_000_000, commitAtHeldRows: 500, commitIntervalMs: null });
  assert.equal(policy.dueIn(), null, '499 rows held, under the bound of 500');
  processor.heldRows = 500;
  assert.equal(policy.dueIn(), 0);
});

test('a month of returning users commits each time the rows held reach the bound, and stores exactly what one commit at the end does', async () => {
  const dir = tempDir('ouwatch-commit-at-rows-');
  const log = join(dir, 'month.log');
  writeAddressMonth(log);
  const lines = (r: { lines: number }) => r.lines;
  const once = await replayCommits(join(dir, 'once.db'), log, lines);
  assert.equal(once.length, 1, 'the month is one commit by lines, users and alerts');
  const bounded = await replayCommits(join(dir, 'bounded.db'), log, lines, { limits: { commitAtHeldRows: 50 } });
  assert.ok(bounded.length >= 5, `${bounded.length} commits`);
  assert.deepEqual({ ...dumpHistory(join(dir, 'bounded.db')), ...dumpDetection(join(dir, 'bounded.db')) }, { ...dumpHistory(join(dir, 'once.db')), ...dumpDetection(join(dir, 'once.db')) });
});
