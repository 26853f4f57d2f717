import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { ALICE, BOB, GB, MIN, SE, SEC, T0, US, az } from '../detect/helpers.js';
import { replayInto } from '../helpers/store.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * A user's sessions and the addresses each was used from: counted per session and per
 * address, whichever order the lines come in (history keeps the last session and address at
 * hand, and must not count a line on them when it is another's), and added to across commits.
 */

const S1 = 'f' + '1'.repeat(40);
const S2 = 'f' + '2'.repeat(40);
const S3 = 'f' + '3'.repeat(40);

function sessionRows(db: string) {
  const d = new Database(db, { readonly: true });
  try {
    return {
      sessions: d.prepare('SELECT u.dn, s.session_id, s.first_seen, s.last_seen, s.count FROM sessions s JOIN users u ON u.id = s.user_id ORDER BY u.dn, s.session_id').all(),
      ips: d.prepare('SELECT u.dn, s.session_id, s.ip, s.first_seen, s.last_seen, s.count FROM session_ips s JOIN users u ON u.id = s.user_id ORDER BY u.dn, s.session_id, s.ip').all(),
    };
  } finally {
    d.close();
  }
}

// Alice goes back and forth between two sessions, and S1 between two addresses; bob's line
// comes in between (another user's session and address); S3 appears once.
const t = (k: number) => T0 + k * MIN;
const lines = [
  az(t(0), ALICE, SE, { session: S1 }),
  az(t(1), ALICE, GB, { session: S1 }),
  az(t(2), ALICE, SE, { session: S2 }),
  az(t(3), BOB, US, { session: S3 }),
  az(t(4), ALICE, SE, { session: S1 }),
  az(t(5), ALICE, GB, { session: S1 }),
  az(t(5) + SEC, ALICE, GB, { session: S1 }),
  az(t(6), ALICE, US, { session: S2 }),
  az(t(7), ALICE, SE, { session: S2 }),
];

const expected = {
  sessions: [
    { dn: ALICE, session_id: S1, first_seen: t(0), last_seen: t(5) + SEC, count: 5 },
    { dn: ALICE, session_id: S2, first_seen: t(2), last_seen: t(7), count: 3 },
    { dn: BOB, session_id: S3, first_seen: t(3), last_seen: t(3), count: 1 },
  ],
  ips: [
    { dn: ALICE, session_id: S1, ip: GB, first_seen: t(1), last_seen: t(5) + SEC, count: 3 },
    { dn: ALICE, session_id: S1, ip: SE, first_seen: t(0), last_seen: t(4), count: 2 },
    { dn: ALICE, session_id: S2, ip: US, first_seen: t(6), last_seen: t(6), count: 1 },
    { dn: ALICE, session_id: S2, ip: SE, first_seen: t(2), last_seen: t(7), count: 2 },
    { dn: BOB, session_id: S3, ip: US, first_seen: t(3), last_seen: t(3), count: 1 },
  ],
};

test('sessions and their addresses are counted line by line when a user switches between them', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'day.log'), lines.join('\n') + '\n');
  const db = join(dir, 'one.db');
  await replayInto(db, [join(dir, 'day.log')]);
  assert.deepEqual(sessionRows(db), expected);
});

test('split over two replays (two commits), the same sessions and counts', async () => {
  const dir = tempDir();
  // The split falls inside S1's second stretch on GB: the second run must not count it on the first's.
  writeFileSync(join(dir, 'day.log'), lines.slice(0, 6).join('\n') + '\n');
  const db = join(dir, 'two.db');
  await replayInto(db, [join(dir, 'day.log')]);
  writeFileSync(join(dir, 'day.log'), lines.join('\n') + '\n');
  await replayInto(db, [join(dir, 'day.log')]);
  assert.deepEqual(sessionRows(db), expected);
});

test('a session used across commits of one run counts every line (what a commit wrote is added to, not lost)', async () => {
  const dir = tempDir();
  const n = 20_000;
  const many = Array.from({ length: n }, (_, k) => az(T0 + k * SEC, ALICE, k % 4000 < 2000 ? SE : GB, { session: S1 }));
  writeFileSync(join(dir, 'day.log'), many.join('\n') + '\n');
  const db = join(dir, 'commits.db');
  await replayInto(db, [join(dir, 'day.log')], { commitEvery: 1000 });
  const rows = sessionRows(db);
  assert.deepEqual(rows.sessions, [{ dn: ALICE, session_id: S1, first_seen: T0, last_seen: T0 + (n - 1) * SEC, count: n }]);
  assert.deepEqual(
    (rows.ips as Array<{ ip: string; count: number }>).map((r) => [r.ip, r.count]),
    [
      [GB, n / 2],
      [SE, n / 2],
    ],
  );
});
