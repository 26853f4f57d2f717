import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { CORPORA } from '../../bench/corpus.js';
import { loadConfig } from '../../src/app/config.js';
import { replayFiles } from '../../src/app/replay.js';
import { createRuntime } from '../../src/app/runtime.js';
import type { Log } from '../../src/core/log.js';
import { dumpHistory } from '../helpers/store.js';
import { tempDir } from '../helpers/tmp.js';

// SQLite writes a commit before its call returns, so history hands it the users' own objects
// (HistoryWrites.writeTo) instead of copies of their rows; PostgreSQL still takes the copies.
// Either way the store must end with the same history.

const dir = tempDir();
const SILENT: Log = { info() {}, warn() {}, error() {} };

/** Replays `log` into a new SQLite store, its commits every `commitEvery` lines; `copies`: history copies its rows as for PostgreSQL. */
async function replay(log: string, db: string, copies: boolean): Promise<number> {
  const config = loadConfig();
  config.store.path = db;
  config.store.commitEvery = 2_000;
  let commits = 0;
  const rt = await createRuntime(config, { command: 'replay', log: SILENT, onCommit: () => void commits++ });
  try {
    assert.equal(rt.store.writesWithinCall, true, "SQLite's commits write within the call");
    // The property is data, not code: set as PostgreSQL's store has it.
    if (copies) Object.defineProperty(rt.store, 'writesWithinCall', { value: false });
    await replayFiles([log], rt, { fromStart: true });
  } finally {
    await rt.close();
  }
  return commits;
}

function organisationCounts(db: string): unknown[] {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare('SELECT kind, value, users FROM organisation_counts ORDER BY kind, value').all();
  } finally {
    d.close();
  }
}

for (const [corpus, lines] of [
  ['organisation', 24_000],
  ['storm', 16_000],
] as const) {
  test(`${corpus}: a store that reads history's own objects ends with the history that copies of them give, over many commits`, async () => {
    const log = join(dir, `${corpus}.log`);
    CORPORA[corpus].write(log, { lines, seed: 7 });
    const own = join(dir, `${corpus}-own.db`);
    const copied = join(dir, `${corpus}-copied.db`);
    const commits = await replay(log, own, false);
    assert.ok(commits >= 4, `${commits} commits: users are updated, not only inserted`);
    await replay(log, copied, true);
    const a = dumpHistory(own);
    const b = dumpHistory(copied);
    for (const table of Object.keys(b)) assert.ok(b[table].length > 0, `${table} has rows`);
    assert.deepEqual(a, b);
    assert.deepEqual(organisationCounts(own), organisationCounts(copied));
  });
}
