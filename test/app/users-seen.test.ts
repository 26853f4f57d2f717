import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { userDn } from '../../bench/corpora/lines.js';
import { loadConfig } from '../../src/app/config.js';
import { replayFiles } from '../../src/app/replay.js';
import { createRuntime } from '../../src/app/runtime.js';
import { silentLog } from '../../src/core/log.js';
import { FEW_USERS_HELD, writeLogins } from '../helpers/logins.js';
import { tempDir } from '../helpers/tmp.js';

// The replay summary's "users: N seen" counts distinct users. Memory holds a bounded number of
// them (lowered here so that a few thousand cross it, as a directory of 100,000 people would
// cross the default), and a user let go who comes back is loaded as the store has them: they
// must not be counted twice.

async function usersSeen(log: string, db: string): Promise<{ users: number; exact: boolean }> {
  const config = loadConfig();
  config.store.path = db;
  const runtime = await createRuntime(config, { command: 'replay', log: silentLog, limits: FEW_USERS_HELD });
  try {
    await replayFiles([log], runtime, { fromStart: true });
    return { users: runtime.counters.users, exact: runtime.counters.usersExact };
  } finally {
    await runtime.close();
  }
}

test('users who come back after memory let them go are counted once (an estimate, said to be one)', async () => {
  const dir = tempDir('users-seen');
  const others = Array.from({ length: 12_000 }, (_, i) => userDn(i + 1));
  // Three users come back after 12,000 others, and the first 1,000 of those after them: long after memory let them go.
  const returning = [userDn(90_001), userDn(90_002), userDn(90_003)];
  writeLogins(join(dir, 'back.log'), [...returning, ...others, ...returning, ...others.slice(0, 1_000)]);
  const { users, exact } = await usersSeen(join(dir, 'back.log'), join(dir, 'back.db'));
  assert.equal(exact, false);
  assert.ok(Math.abs(users - 12_003) <= 120, `about 12,003 users, not ${users} (each return counted again would make 13,006)`);
});

test('users let go who do not come back leave the count exact', async () => {
  const dir = tempDir('users-seen');
  // 12,000 users once each: memory (1,000 here) lets most of them go, and none returns.
  const once = Array.from({ length: 12_000 }, (_, i) => userDn(i + 1));
  writeLogins(join(dir, 'once.log'), once);
  assert.deepEqual(await usersSeen(join(dir, 'once.log'), join(dir, 'once.db')), { users: 12_000, exact: true });
});

test('while memory holds every user seen, the count is exact', async () => {
  const dir = tempDir('users-seen');
  const some = Array.from({ length: 200 }, (_, i) => userDn(i + 1));
  writeLogins(join(dir, 'held.log'), [...some, ...some, ...some]);
  assert.deepEqual(await usersSeen(join(dir, 'held.log'), join(dir, 'held.db')), { users: 200, exact: true });
});
