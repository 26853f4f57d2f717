import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import type { HistoryWrites, UserWrite } from '../../src/core/history.js';
import { BatchedUpsert } from '../../src/store/sqlite/batched-upsert.js';
import { openDatabase } from '../../src/store/sqlite/database.js';
import { SqliteHistoryWriter } from '../../src/store/sqlite/history-writes.js';
import { tempDir } from '../helpers/tmp.js';

// A commit writes its history rows many to a statement: the tables must end as they would
// with one statement per row, and a commit that failed part way must leave nothing behind
// for the next one.

const dir = tempDir();

const TABLE = 'CREATE TABLE hits (k TEXT NOT NULL, h INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (k, h)) WITHOUT ROWID';
const HEAD = 'INSERT INTO hits (k, h, n) VALUES';
const TAIL = 'ON CONFLICT (k, h) DO UPDATE SET n = n + excluded.n';

/** Rows with repeated keys, some repeats inside one statement's worth. */
function rowsOf(count: number): Array<[string, number, number]> {
  return Array.from({ length: count }, (_, i) => [`key-${i % 7}`, i % 3, i + 1]);
}

function freshDb(name: string): Database.Database {
  const db = new Database(join(dir, name));
  db.exec(TABLE);
  return db;
}

const dump = (db: Database.Database) => db.prepare('SELECT k, h, n FROM hits ORDER BY k, h').all();

test('rows written many to a statement leave the table as one statement per row would, repeats added in order', () => {
  for (const count of [0, 1, 4, 5, 31, 32, 33, 100]) {
    for (const perStatement of [4, 32]) {
      const single = freshDb(`single-${count}-${perStatement}.db`);
      const one = single.prepare(`${HEAD} (?, ?, ?) ${TAIL}`);
      single.transaction(() => {
        for (const r of rowsOf(count)) one.run(r);
      })();
      const batched = freshDb(`batched-${count}-${perStatement}.db`);
      const upsert = new BatchedUpsert(batched, HEAD, 3, TAIL, perStatement);
      batched.transaction(() => {
        for (const r of rowsOf(count)) upsert.add(...r);
        upsert.flush();
      })();
      assert.deepEqual(dump(batched), dump(single), `${count} rows, ${perStatement} to a statement`);
      single.close();
      batched.close();
    }
  }
});

test('a full statement is written as it fills, the rest at flush; a row of the wrong width is refused', () => {
  const db = freshDb('fills.db');
  const upsert = new BatchedUpsert(db, HEAD, 3, TAIL, 4);
  const stored = () => (db.prepare('SELECT count(*) FROM hits').pluck().get() as number);
  for (let i = 0; i < 3; i++) upsert.add(`k${i}`, 0, 1);
  assert.equal(stored(), 0, 'three rows held');
  upsert.add('k3', 0, 1);
  assert.equal(stored(), 4, 'the fourth filled the statement');
  upsert.add('k4', 0, 1);
  upsert.flush();
  assert.equal(stored(), 5);
  assert.throws(() => upsert.add('k5', 0), /2 values for 3 columns/);
  db.close();
});

const user = (dn: string): UserWrite => ({
  dn,
  dnSha1: '0'.repeat(40),
  firstSeen: 1,
  lastSeen: 2,
  counts: { AzSuccess: 1 },
  successCount: 1,
  firstSuccess: 1,
  lastSuccess: 2,
  lastGeo: null,
});

const activity = (dn: string, hour: number) => ({ dn, hour, ip: '10.0.0.1', country: null, events: 1, failures: 0 });

test('a history write that fails part way is rolled back with the rows it held: the next commit writes only its own', () => {
  const db = openDatabase(join(dir, 'history.db'));
  const writer = new SqliteHistoryWriter(db);
  const failing: HistoryWrites = {
    users: [user('uid=alice,o=Tremolo')],
    addresses: [],
    countries: [],
    sessions: [],
    // Three rows held (fewer than a statement), then a row of a user with no row: refused.
    activity: [activity('uid=alice,o=Tremolo', 0), activity('uid=alice,o=Tremolo', 3_600_000), activity('uid=alice,o=Tremolo', 7_200_000), activity('uid=nobody,o=Tremolo', 0)],
  };
  assert.throws(() => db.transaction(() => writer.write(failing))(), /who has no user row/);
  const next: HistoryWrites = { users: [user('uid=bob,o=Tremolo')], addresses: [], countries: [], sessions: [], activity: [activity('uid=bob,o=Tremolo', 0)] };
  db.transaction(() => writer.write(next))();
  const rows = db.prepare('SELECT u.dn, a.hour FROM user_activity a JOIN users u ON u.id = a.user_id').all();
  const orphans = db.prepare('SELECT count(*) FROM user_activity WHERE user_id NOT IN (SELECT id FROM users)').pluck().get();
  assert.deepEqual(rows, [{ dn: 'uid=bob,o=Tremolo', hour: 0 }]);
  assert.equal(orphans, 0, "no row of the rolled-back commit's user");
  db.close();
});
