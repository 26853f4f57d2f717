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
import { STATE_TABLES, stateSnapshot, type TableSpec } from '../helpers/state-snapshot.js';
import { waitFor } from '../helpers/wait.js';

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

interface Schedule {
  /** How files are rotated while the daemon is up or down. */
  rotation: 'rename' | 'copytruncate';
  records: number;
  /**
   * Also stop each daemon (SIGSTOP) for 1-3 s now and then, as a loaded machine starves a
   * process of CPU, and let it run longer between kills.
   */
  stalls?: boolean;
}

/** Stops the daemon for 1-3 s every few hundred milliseconds while `going()`. */
async function stallNowAndThen(daemon: DaemonProcess, rand: () => number, going: () => boolean, events: { stalls: number }, stopped: { now: boolean; rotated: boolean }): Promise<void> {
  while (going()) {
    await sleep(100 + rand() * 300);
    if (!going()) return;
    daemon.child.kill('SIGSTOP');
    Object.assign(stopped, { now: true, rotated: false });
    events.stalls++;
    await sleep(1000 + rand() * 2000);
    stopped.now = false;
    daemon.child.kill('SIGCONT');
  }
}

/**
 * Appends `records` lines to app.log (some written in two parts) and rotates it now and then,
 * while a daemon is started and killed with SIGKILL at random moments; then lets a last daemon
 * catch up, stops it with SIGTERM, and replays the same lines once into another db.
 */
async function killedWhileWriting(t: { diagnostic(s: string): void }, schedule: Schedule): Promise<{ live: string; replayed: string; context: string }> {
  const seed = Number(process.env.OUWATCH_SEED ?? Date.now() % 1_000_000);
  const rand = prng(seed);
  const dir = tempDir();
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  const file = join(logs, 'app.log');
  const dbPath = join(dir, 'live.db');
  const args = ['--file', join(logs, 'app.log*'), '--db', dbPath, '--listen', '127.0.0.1:0', '--poll-ms', '20', '--rescan-ms', '200', '--log-level', 'warn'];
  const events = { kills: 0, rotations: 0, partial: 0, stalls: 0 };
  const stopped = { now: false, rotated: false };

  let writing = true;
  const writer = (async () => {
    let generation = 0;
    for (let i = 0; i < schedule.records; ) {
      const n = Math.min(schedule.records - i, 5 + Math.floor(rand() * 40));
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
      // At most one rotation while a daemon is stopped (see the stalls test).
      if (rand() < 0.1 && !(stopped.now && stopped.rotated)) {
        if (stopped.now) stopped.rotated = true;
        if (schedule.rotation === 'rename') renameSync(file, `${file}.${++generation}`);
        else {
          copyFileSync(file, `${file}.${++generation}`);
          truncateSync(file, 0);
        }
        events.rotations++;
      }
      await sleep(20 + rand() * 60);
    }
    writing = false;
  })();

  const killer = (async () => {
    while (writing) {
      const daemon = (current = spawnDaemon(args));
      if (schedule.stalls) void stallNowAndThen(daemon, rand, () => writing && current === daemon, events, stopped);
      await sleep(schedule.stalls ? 2500 + rand() * 3000 : 250 + rand() * 1200);
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

  const context = `seed ${seed}, ${schedule.rotation}, ${JSON.stringify(events)}`;
  await waitFor(`the daemon to catch up (${context})`, () => caughtUp(logs, dbPath), 30_000);
  current.child.kill('SIGTERM');
  assert.equal((await current.exited).code, 0, context);
  current = null;
  assert.ok(events.kills >= (schedule.stalls ? 2 : 3), `the daemon was killed ${events.kills} times (${context})`);

  // The same lines, once, in one file, through replay.
  const all = join(dir, 'all.log');
  writeFileSync(all, logText(0, schedule.records));
  const refDb = join(dir, 'replay.db');
  await promisify(execFile)(process.execPath, [OUWATCH, 'replay', all, '--db', refDb, '--quiet']);
  t.diagnostic(context);
  return { live: dbPath, replayed: refDb, context };
}

test('SIGKILL at random moments while lines are appended and files renamed away: the history, the alerts and the responses equal one replay of the same lines', async (t) => {
  const { live, replayed, context } = await killedWhileWriting(t, { rotation: 'rename', records: 2500 });
  const got = stateSnapshot(live);
  const want = stateSnapshot(replayed);
  assert.ok(want.users.length > 0 && want.alerts.length > 0, `the lines make history and raise alerts (${context})`);
  assert.deepEqual(got, want, context);
});

// A stopped process finds, when it goes on, that seconds of wall time passed without a line
// from a file it had no turn to read; the merge's waits count only the time it could run
// (test/pipeline/merge-stall.test.ts), and a start lists the files again until nothing new
// appears (test/sources/rotated-while-starting.test.ts). With any number of rotations per
// stop this schedule differed from the replay in 5 of 14 runs before either, 3 of 33 after
// the first, 0 of 24 after both; here at most one rotation happens per stop, which keeps the
// case within what the suite can run without a chance of failing for reasons of its own.
test('SIGKILL and seconds-long stops (SIGSTOP) at random moments while files are renamed away: the alerts still equal one replay of the same lines', async (t) => {
  const { live, replayed, context } = await killedWhileWriting(t, { rotation: 'rename', records: 8000, stalls: true });
  const got = stateSnapshot(live);
  const want = stateSnapshot(replayed);
  assert.ok(want.alerts.length > 0, context);
  assert.deepEqual(got, want, context);
});

// After a copytruncate, the lines the reader had not reached are read from the copy once a
// rescan finds it, after newer lines of the truncated file: processing order is not log order
// there, so what follows processing order (detector windows, the last network of a session,
// which address was learnt first, and so which alerts) may differ. The history may not.
const HISTORY: Record<string, TableSpec> = {
  users: STATE_TABLES.users,
  user_ips: { orderBy: 'dn, ip', ignore: ['learnt', 'quarantined_by'] },
  user_countries: STATE_TABLES.user_countries,
  sessions: STATE_TABLES.sessions,
  session_ips: STATE_TABLES.session_ips,
};

test('SIGKILL at random moments while lines are appended and files copied and truncated: the history equals one replay of the same lines', async (t) => {
  const { live, replayed, context } = await killedWhileWriting(t, { rotation: 'copytruncate', records: 2500 });
  const got = stateSnapshot(live, HISTORY);
  const want = stateSnapshot(replayed, HISTORY);
  assert.ok(want.users.length > 0, context);
  assert.deepEqual(got, want, context);
});
