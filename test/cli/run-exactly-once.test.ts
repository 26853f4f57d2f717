import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { fingerprintOf } from '../../src/components/sources/files/fingerprint.js';
import { OUWATCH, spawnDaemon, type DaemonProcess } from '../helpers/daemon.js';
import { tempDir } from '../helpers/tmp.js';
import { logText } from '../helpers/log-lines.js';
import { stateSnapshot } from '../helpers/state-snapshot.js';
import { waitFor } from '../helpers/wait.js';

const RECORDS = 3000;

let current: DaemonProcess | null = null;
after(() => current?.child.kill('SIGKILL'));

/** Small seeded PRNG: the seed is in the failure message, so a schedule can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every log file in `dir` has a committed checkpoint at its end (the daemon has caught up). */
function caughtUp(dir: string, dbPath: string): boolean {
  if (!existsSync(dbPath)) return false;
  const db = new Database(dbPath, { readonly: true });
  try {
    const get = db.prepare('SELECT offset FROM checkpoints WHERE fingerprint = ?');
    for (const name of readdirSync(dir)) {
      const bytes = readFileSync(join(dir, name));
      if (bytes.length === 0) continue;
      const fp = fingerprintOf(bytes, false);
      const row = fp === null ? undefined : (get.get(fp) as { offset: number } | undefined);
      if (row?.offset !== bytes.length) return false;
    }
    return true;
  } catch {
    return false;
  } finally {
    db.close();
  }
}

test('SIGKILL at random moments while lines are appended and files rotated: the history equals one replay of the same lines', async (t) => {
  const seed = Number(process.env.OUWATCH_SEED ?? Date.now() % 1_000_000);
  const rand = prng(seed);
  const dir = tempDir();
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  const file = join(logs, 'app.log');
  const dbPath = join(dir, 'live.db');
  const args = ['--file', join(logs, 'app.log*'), '--db', dbPath, '--listen', '127.0.0.1:0', '--poll-ms', '20', '--rescan-ms', '200', '--log-level', 'warn'];
  const events = { kills: 0, renames: 0, copytruncates: 0, partial: 0 };

  let writing = true;
  const writer = (async () => {
    let generation = 0;
    for (let i = 0; i < RECORDS; ) {
      const n = Math.min(RECORDS - i, 5 + Math.floor(rand() * 40));
      const text = logText(i, i + n);
      if (rand() < 0.2) {
        // A line written in two parts: the reader must wait for its end.
        const cut = text.length - 1 - Math.floor(rand() * 60);
        appendFileSync(file, text.slice(0, cut));
        await sleep(rand() * 30);
        appendFileSync(file, text.slice(cut));
        events.partial++;
      } else appendFileSync(file, text);
      i += n;
      const r = rand();
      if (r < 0.05) {
        renameSync(file, `${file}.${++generation}`);
        events.renames++;
      } else if (r < 0.1) {
        copyFileSync(file, `${file}.${++generation}`);
        truncateSync(file, 0);
        events.copytruncates++;
      }
      await sleep(20 + rand() * 60);
    }
    writing = false;
  })();

  const killer = (async () => {
    while (writing) {
      current = spawnDaemon(args);
      await sleep(250 + rand() * 1200);
      if (!writing) break;
      current.child.kill('SIGKILL');
      await current.exited;
      events.kills++;
      current = null;
      if (rand() < 0.3) await sleep(rand() * 400); // stopped for a while: rotations happen meanwhile
    }
  })();
  await Promise.all([writer, killer]);
  current ??= spawnDaemon(args);

  const context = `seed ${seed}, ${JSON.stringify(events)}`;
  await waitFor(`the daemon to catch up (${context})`, () => caughtUp(logs, dbPath), 30_000);
  current.child.kill('SIGTERM');
  assert.equal((await current.exited).code, 0, context);
  current = null;

  // The same lines, once, in one file, through replay.
  const all = join(dir, 'all.log');
  writeFileSync(all, logText(0, RECORDS));
  const refDb = join(dir, 'replay.db');
  await promisify(execFile)(process.execPath, [OUWATCH, 'replay', all, '--db', refDb, '--quiet']);

  assert.ok(events.kills >= 3, `the daemon was killed ${events.kills} times (${context})`);
  const live = stateSnapshot(dbPath);
  const replayed = stateSnapshot(refDb);
  assert.ok(replayed.users.length > 0);
  assert.deepEqual(live, replayed, context);
  assert.ok((replayed.alerts ?? []).length > 0, `the lines raise alerts (${context})`);
  t.diagnostic(`${context}: ${replayed.users.length} users, ${replayed.user_ips.length} user addresses, ${replayed.sessions.length} sessions, ${replayed.alerts.length} alerts, ${replayed.actions.length} actions identical`);
});
