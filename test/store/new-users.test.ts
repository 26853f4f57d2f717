import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { accessLine, log4jTime } from '../helpers/lines.js';
import { dumpHistory, replayInto } from '../helpers/store.js';
import { tempDir } from '../helpers/tmp.js';

// A replay of a million users the store has never seen asked the store about each of them
// twice: once when their batch was prepared (nobody there), and again when their commit wrote
// them (2 s of a 70 s replay). A user met for the first time is now inserted as new; the
// lookup stays for users the store may hold.

const dir = tempDir();
const T0 = Date.UTC(2026, 2, 2, 9, 0, 0);
const dnOf = (name: string) => `uid=${name},ou=users,o=Tremolo`;
const session = (i: number) => 'f' + String(i).padStart(40, '0');
/** Lines between two of ada's in the commit test: more than a read chunk (1 MiB). */
const GAP = 6_000;

/** One AzSuccess line per name, a second apart from `second`, each from its own address. */
function log(file: string, names: string[], second = 0): string {
  const path = join(dir, file);
  const lines = names.map((name, i) => accessLine({ time: log4jTime(T0 + (second + i) * 1000), dn: dnOf(name), ip: `10.0.0.${i + 1}`, session: session(i) }));
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

/**
 * Counts the executions of the writer's user lookup (by DN key and DN) in this process while
 * `run` replays: the store's connection prepares it through better-sqlite3's prototype.
 */
async function countingLookups(run: () => Promise<unknown>): Promise<number> {
  const prepare = Database.prototype.prepare;
  let lookups = 0;
  Database.prototype.prepare = function (this: Database.Database, sql: string) {
    const stmt = prepare.call(this, sql);
    if (/SELECT id FROM users WHERE dn_key = \? AND dn = \?/.test(sql)) {
      const get = stmt.get;
      stmt.get = function (this: typeof stmt, ...args: unknown[]) {
        lookups++;
        return Reflect.apply(get, this, args) as unknown;
      } as typeof stmt.get;
    }
    return stmt;
  } as typeof prepare;
  try {
    await run();
  } finally {
    Database.prototype.prepare = prepare;
  }
  return lookups;
}

const usersIn = (db: string) => {
  const conn = new Database(db, { readonly: true });
  try {
    return conn.prepare('SELECT dn, counts FROM users ORDER BY dn').all() as Array<{ dn: string; counts: string }>;
  } finally {
    conn.close();
  }
};


test('users a replay meets for the first time are written without being looked up; a later run looks up those the store holds', async () => {
  const db = join(dir, 'two-runs.db');
  const first = await countingLookups(() => replayInto(db, [log('first.log', ['ada', 'bob', 'cy'])]));
  assert.equal(first, 0, 'the store was found to hold none of them: nobody is looked up to be written');
  assert.deepEqual(
    usersIn(db).map((u) => [u.dn, JSON.parse(u.counts)]),
    [
      [dnOf('ada'), { AzSuccess: 1 }],
      [dnOf('bob'), { AzSuccess: 1 }],
      [dnOf('cy'), { AzSuccess: 1 }],
    ],
  );

  const second = await countingLookups(() => replayInto(db, [log('second.log', ['bob', 'dee'], 60)]));
  assert.equal(second, 1, 'bob is stored (loaded, then found again to be updated); dee is new');
  assert.deepEqual(
    usersIn(db).map((u) => [u.dn, JSON.parse(u.counts)]),
    [
      [dnOf('ada'), { AzSuccess: 1 }],
      [dnOf('bob'), { AzSuccess: 2 }],
      [dnOf('cy'), { AzSuccess: 1 }],
      [dnOf('dee'), { AzSuccess: 1 }],
    ],
    'one row each: bob updated, dee inserted',
  );
});

test('a new user is new only until the commit that writes them: a later commit of the same run updates their row', async () => {
  // ada's three lines lie in three batches (6,000 lines of others between them, more than a
  // read chunk), and a commit follows each: the second and third find her stored.
  const lines: string[] = [];
  for (let i = 0; i < 3 * GAP; i++) {
    const name = i % GAP === 0 ? 'ada' : `other${i}`;
    lines.push(accessLine({ time: log4jTime(T0 + i * 10), dn: dnOf(name), ip: '10.0.0.1', session: session(i % GAP === 0 ? 0 : i) }));
  }
  const path = join(dir, 'commits.log');
  writeFileSync(path, lines.join('\n') + '\n');
  const db = join(dir, 'commits.db');
  const lookups = await countingLookups(() => replayInto(db, [path], { commitEvery: 1000 }));
  assert.equal(lookups, 2, 'ada looked up by the second and third commits, not by the first; the others never');
  const ada = usersIn(db).filter((u) => u.dn === dnOf('ada'));
  assert.deepEqual(
    ada.map((u) => JSON.parse(u.counts)),
    [{ AzSuccess: 3 }],
    'one row, updated twice',
  );
  assert.equal(usersIn(db).length, 3 * GAP - 2);

  // The same history as a replay in one commit, where everyone is written once, as new.
  const once = join(dir, 'once.db');
  assert.equal(await countingLookups(() => replayInto(once, [path])), 0);
  assert.deepEqual(dumpHistory(db), dumpHistory(once));
});
