import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { AUTH_URL, THREADS, access, head, userDn } from '../../bench/corpora/lines.js';
import { randomPrivateAddress } from '../../bench/corpora/public-ranges.js';
import { seeded, sessionId } from '../../bench/corpora/random.js';
import { replayCommits } from '../helpers/commits.js';
import { dumpHistory } from '../helpers/store.js';
import { tempDir } from '../helpers/tmp.js';

// Users met for the first time are the heaviest part of what waits for a commit (every part of
// their history created, every row of theirs new): a commit is due once enough of them wait,
// before the backlog of changed users says so. Users who come back are stored already and do
// not count. Where a run commits must not change what it stores.

const USERS = 20_000;

/** Each of USERS users logs in once, then each of them again: 2 * USERS lines, a second apart. */
function writeTwice(path: string): void {
  const rand = seeded(11);
  const start = Date.parse('2026-03-02T00:00:00Z');
  const dns = Array.from({ length: USERS }, (_, i) => userDn(i + 1));
  const lines = [...dns, ...dns].map((dn, i) => access(head(start + i * 1_000, THREADS[i % THREADS.length]!), 'AuSuccess', 'k8sIdp', AUTH_URL, dn, '20 / oauth2k8s', randomPrivateAddress(rand), sessionId(rand)));
  writeFileSync(path, lines.join('\n') + '\n');
}

/** Replays `log` into `db`; the lines each commit covered. */
const replayLineCommits = (db: string, log: string, commitAtNewUsers: number) =>
  // The backlogs of changed users and of rows begun out of the way: only users new to the store make commits here.
  replayCommits(db, log, (r) => r.lines, { limits: { commitAtBacklog: 1_000_000, commitAtHeldRows: 1_000_000, commitAtNewUsers } });

test('users met for the first time make a commit due at the bound; the same users coming back do not', async () => {
  const dir = tempDir('ouwatch-commit-at-new-users-');
  const log = join(dir, 'twice.log');
  writeTwice(log);

  const once = await replayLineCommits(join(dir, 'once.db'), log, Number.MAX_SAFE_INTEGER);
  assert.deepEqual(once, [2 * USERS], 'without the bound, one commit at the end');

  const bound = 2_000;
  const bounded = await replayLineCommits(join(dir, 'bounded.db'), log, bound);
  // The bound is looked at between the worker's batches (thousands of lines each): each commit
  // made by it covers at least `bound` new users, one line each.
  let covered = 0;
  const inFirstPass: number[] = [];
  for (const n of bounded) {
    if (covered + n <= USERS) inFirstPass.push(n);
    covered += n;
  }
  assert.equal(covered, 2 * USERS);
  assert.ok(inFirstPass.length >= 4, `${bounded.length} commits of ${bounded.join(', ')} lines: the first ${USERS} users made too few`);
  for (const n of inFirstPass) assert.ok(n >= bound, `a commit of ${n} lines of new users, under the bound of ${bound}`);
  // The second pass: users already stored. At most one commit straddles the passes, then only the end commits.
  const last = bounded[bounded.length - 1]!;
  assert.ok(bounded.length - inFirstPass.length <= 2 && last >= USERS / 2, `after the first pass: commits of ${bounded.slice(inFirstPass.length).join(', ')} lines (returning users counted as new?)`);

  assert.deepEqual(dumpHistory(join(dir, 'bounded.db')), dumpHistory(join(dir, 'once.db')));
});
