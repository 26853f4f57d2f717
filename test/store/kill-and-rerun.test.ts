import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { writeCorpus } from '../../bench/corpus.js';
import { runCli, startCli } from '../helpers/cli.js';
import { checkpointRows, dumpDetection, dumpHistory } from '../helpers/store.js';
import { tempDir } from '../helpers/tmp.js';

// kill -9 at any moment, run again, and the store equals an uninterrupted run's (history,
// alerts, detector state, incidents): each commit stores the state and the checkpoint of the
// lines that produced it in one transaction, so a killed run loses only uncommitted work,
// which the next run reads again.

const dir = tempDir();

function committedOffset(dbPath: string): number {
  try {
    const db = new Database(dbPath, { readonly: true, fileMustExist: true });
    try {
      const row = db.prepare('SELECT max(offset) AS o FROM checkpoints').get() as { o: number | null };
      return row.o ?? 0;
    } finally {
      db.close();
    }
  } catch {
    return 0; // not created yet
  }
}

/** Starts a replay and kills it with SIGKILL as soon as it has committed past `beyond`. */
async function replayKilledAfter(log: string, db: string, beyond: number): Promise<number> {
  // Small commits, so that there is a middle to kill it in.
  const child = startCli(['replay', log, '--db', db, '--commit-every', '20000']);
  child.stdin!.end();
  const exited = once(child, 'exit');
  for (;;) {
    assert.equal(child.exitCode, null, 'the replay finished before it could be killed: give it a larger file');
    const offset = committedOffset(db);
    if (offset > beyond) {
      child.kill('SIGKILL');
      const [code, signal] = await exited;
      assert.equal(signal, 'SIGKILL', `exit code ${String(code)}`);
      return committedOffset(db);
    }
    await sleep(5);
  }
}

test('SIGKILL twice in the middle of a replay, then a rerun: the same history, alerts, detector state and incidents as an uninterrupted run', { timeout: 180_000 }, async () => {
  const log = join(dir, 'big.log');
  const { bytes } = await writeCorpus(log, { lines: 300_000, seed: 9 });
  assert.equal(statSync(log).size, bytes);

  const reference = join(dir, 'uninterrupted.db');
  const killed = join(dir, 'killed.db');
  const [whole, firstKill] = await Promise.all([
    runCli(['replay', log, '--db', reference], { timeoutMs: 150_000 }),
    replayKilledAfter(log, killed, 0),
  ]);
  assert.equal(whole.code, 0, whole.stderr);
  assert.ok(firstKill > 0 && firstKill < bytes, `killed with ${firstKill} of ${bytes} bytes committed`);

  const secondKill = await replayKilledAfter(log, killed, firstKill);
  assert.ok(secondKill > firstKill && secondKill < bytes, `killed again with ${secondKill} of ${bytes} bytes committed`);

  const rerun = await runCli(['replay', log, '--db', killed], { timeoutMs: 150_000 });
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.match(rerun.stderr, new RegExp(`resumed at byte ${secondKill.toLocaleString('en-US')}`));

  assert.deepEqual(checkpointRows(killed), checkpointRows(reference));
  const want = { ...dumpHistory(reference), ...dumpDetection(reference) };
  const got = { ...dumpHistory(killed), ...dumpDetection(killed) };
  assert.ok(want.alerts.length > 50 && want.incidents.length > 0, 'the corpus raises alerts and opens incidents');
  for (const table of Object.keys(want)) {
    assert.equal(got[table].length, want[table].length, `${table}: row count`);
    assert.deepEqual(got[table], want[table], table);
  }
});
