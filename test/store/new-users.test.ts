import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { userDn } from '../../bench/corpora/lines.js';
import { accessLine, log4jTime } from '../helpers/lines.js';
import { FEW_USERS_HELD, writeLogins } from '../helpers/logins.js';
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
 * While `run` replays in this process, counts what the store's connection (prepared through
 * better-sqlite3's prototype) is asked by statements whose SQL matches `sql`: one per
 * execution of `method`, or its number of bound values with `byValues`.
 */
async function counting(sql: RegExp, method: 'get' | 'all', run: () => Promise<unknown>, byValues = false): Promise<number> {
  const prepare = Database.prototype.prepare;
  let count = 0;
  Database.prototype.prepare = function (this: Database.Database, text: string) {
    const stmt = prepare.call(this, text);
    if (sql.test(text)) {
      const original = stmt[method] as (...args: unknown[]) => unknown;
      (stmt as unknown as Record<string, unknown>)[method] = function (this: typeof stmt, ...args: unknown[]) {
        count += byValues ? args.flat().length : 1;
        return Reflect.apply(original, this, args);
      };
    }
    return stmt;
  } as typeof prepare;
  try {
    await run();
  } finally {
    Database.prototype.prepare = prepare;
  }
  return count;
}

/** Executions of the writer's user lookup (by DN key and DN). */
const countingLookups = (run: () => Promise<unknown>) => counting(/SELECT id FROM users WHERE dn_key = \? AND dn = \?/, 'get', run);

/** DNs the pipeline asked the store for before their batches (loadUsers: by DN key, several per statement). */
const countingAsked = (run: () => Promise<unknown>) => counting(/SELECT \* FROM users WHERE dn_key IN/, 'all', run, true);

const usersIn = (db: string) => {
  const conn = new Database(db, { readonly: true });
  try {
    return conn.prepare('SELECT dn, counts FROM users ORDER BY dn').all() as Array<{ dn: string; counts: string }>;
  } finally {
    conn.close();
  }
};

/** Each stored user's DN and counts by event type, by DN. */
const countsIn = (db: string) => usersIn(db).map((u) => [u.dn, JSON.parse(u.counts) as Record<string, number>]);


test('users a replay meets for the first time are written without being looked up; a later run looks up those the store holds', async () => {
  const db = join(dir, 'two-runs.db');
  const first = await countingLookups(() => replayInto(db, [log('first.log', ['ada', 'bob', 'cy'])]));
  assert.equal(first, 0, 'the store was found to hold none of them: nobody is looked up to be written');
  assert.deepEqual(countsIn(db), [
    [dnOf('ada'), { AzSuccess: 1 }],
    [dnOf('bob'), { AzSuccess: 1 }],
    [dnOf('cy'), { AzSuccess: 1 }],
  ]);

  const second = await countingLookups(() => replayInto(db, [log('second.log', ['bob', 'dee'], 60)]));
  assert.equal(second, 1, 'bob is stored (loaded, then found again to be updated); dee is new');
  assert.deepEqual(
    countsIn(db),
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
  assert.deepEqual(
    countsIn(db).filter(([dn]) => dn === dnOf('ada')),
    [[dnOf('ada'), { AzSuccess: 3 }]],
    'one row, updated twice',
  );
  assert.equal(usersIn(db).length, 3 * GAP - 2);

  // The same history as a replay in one commit, where everyone is written once, as new.
  const once = join(dir, 'once.db');
  assert.equal(await countingLookups(() => replayInto(once, [path])), 0);
  assert.deepEqual(dumpHistory(db), dumpHistory(once));
});

/** Logins of `dns` in the file `file` of the test's directory (its path). */
function logins(file: string, dns: readonly string[], seed: number): string {
  const path = join(dir, file);
  writeLogins(path, dns, seed);
  return path;
}

test('a run that began with no user stored asks the store only about the users it let go from memory', async () => {
  const db = join(dir, 'first-run.db');
  const everyone = Array.from({ length: 6_000 }, (_, i) => userDn(i + 1));
  const back = everyone.slice(0, 500);
  // 6,000 users log in, then the first 500 again, long after memory (1,000 users) let them go.
  const asked = await countingAsked(() => replayInto(db, [logins('first-run.log', [...everyone, ...back], 11)], { limits: FEW_USERS_HELD }));
  // Before, every DN new to a batch was asked for once memory had let anyone go: about 6,000.
  assert.ok(asked >= back.length && asked < back.length + 60, `the 500 who came back were asked for (and a few others the filter took for them): ${asked}`);
  const stored = usersIn(db);
  assert.equal(stored.length, everyone.length, 'one row per user');
  const twice = countsIn(db).flatMap(([dn, counts]) => ((counts as Record<string, number>).AuSuccess === 2 ? [dn as string] : []));
  assert.deepEqual(twice.sort(), back.slice().sort(), 'those who came back were loaded and added to, not written anew');

  // A run that begins with users stored asks about every DN new to memory.
  const newcomers = Array.from({ length: 100 }, (_, i) => userDn(10_000 + i));
  const later = await countingAsked(() => replayInto(db, [logins('later.log', [...newcomers, ...everyone.slice(1_000, 1_100)], 12)], { limits: FEW_USERS_HELD }));
  assert.equal(later, 200);
  assert.equal(usersIn(db).length, everyone.length + newcomers.length);
});
