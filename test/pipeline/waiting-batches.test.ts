import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CORPORA } from '../../bench/corpus.js';
import { AUTH_URL, THREADS, access, head, userDn } from '../../bench/corpora/lines.js';
import { randomPrivateAddress } from '../../bench/corpora/public-ranges.js';
import { seeded, sessionId } from '../../bench/corpora/random.js';
import { loadConfig } from '../../src/app/config.js';
import { replayFiles } from '../../src/app/replay.js';
import { createRuntime, type PipelineLimits } from '../../src/app/runtime.js';
import { silentLog } from '../../src/core/log.js';
import { powerOfTwoAtLeast } from '../../src/core/numbers.js';
import { MAX_IDS_PER_BATCH } from '../../src/pipeline/tables.js';
import { dumpDetection, dumpHistory } from '../helpers/store.js';
import { tempDir } from '../helpers/tmp.js';

// Replaying an older log beside a newer one: the merge goes by log time, so the newer log's
// first batches wait, parsed, until the older one has caught up, while the older one issues
// any number of new DN, address and session ids. What a waiting batch refers to must still
// be there when it is consumed: its values, and the users history had loaded for it.
//
// The bounds are lowered so that a few thousand users cross them, as a million would cross
// the defaults: the tables start over every 4,096 DNs (the main thread holds the DN ids of
// that many and of one batch more: DN_RING), and history keeps 2,000 users after each commit,
// one every 2,000 new users.
// (A batch may name 5,000 new values: the address and session tables hold more than that.)
const LIMITS: PipelineLimits = {
  tables: { dns: 4_096, ips: 8_192, sessions: 8_192, threads: 1_024 },
  usersHeld: 2_000,
  commitAtBacklog: 2_000,
};
const DN_RING = powerOfTwoAtLeast(LIMITS.tables!.dns + MAX_IDS_PER_BATCH);
const NEW_USERS = DN_RING + 4_000;

async function replay(db: string, logs: string[]): Promise<void> {
  const config = loadConfig();
  config.store.path = db;
  const runtime = await createRuntime(config, { command: 'replay', log: silentLog, limits: LIMITS });
  try {
    await replayFiles(logs, runtime, {});
  } finally {
    await runtime.close();
  }
}

/** `n` logins, each by a user not seen before, from a private address, on 2 March 2026. */
function writeNewUsers(path: string, n: number): void {
  const rand = seeded(3);
  const lines: string[] = [];
  const start = Date.parse('2026-03-02T00:00:00Z');
  for (let i = 0; i < n; i++) {
    const h = head(start + i * 500, THREADS[i % THREADS.length]!);
    lines.push(access(h, 'AuSuccess', 'k8sIdp', AUTH_URL, userDn(i), '20 / oauth2k8s', randomPrivateAddress(rand), sessionId(rand)));
  }
  writeFileSync(path, lines.join('\n') + '\n');
}

/** The same lines on another day (the corpora's lines all fall on 2 March 2026). */
function onDay(from: string, to: string, day: string): void {
  writeFileSync(to, readFileSync(from, 'utf8').replaceAll('[2026-03-02 ', `[${day} `));
}

test(`a newer log waiting in the merge while an older one brings ${NEW_USERS.toLocaleString('en')} new users: its events keep their users and values`, async () => {
  const dir = tempDir('ouwatch-waiting-batches-');
  const older = join(dir, 'older.log');
  // A new DN on every line: more than the ring of DNs holds.
  writeNewUsers(older, NEW_USERS);
  const usual = join(dir, 'usual.log');
  CORPORA.benign.write(usual, { lines: 3_000, seed: 5 });
  const before = join(dir, 'before.log');
  const newer = join(dir, 'newer.log');
  onDay(usual, before, '2026-03-01');
  onDay(usual, newer, '2026-03-03');

  // The newer log's users are stored already (a day before): history loads them for its batches.
  const merged = join(dir, 'merged.db');
  await replay(merged, [before]);
  await replay(merged, [older, newer]);

  const oneByOne = join(dir, 'one-by-one.db');
  await replay(oneByOne, [before]);
  await replay(oneByOne, [older]);
  await replay(oneByOne, [newer]);

  const history = dumpHistory(merged);
  assert.ok(history.users.length > NEW_USERS, `${history.users.length} users`);
  assert.deepEqual(history, dumpHistory(oneByOne));
  assert.deepEqual(dumpDetection(merged), dumpDetection(oneByOne));
});
