import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { dnSha1 } from '../../src/core/identity.js';
import { openDatabase } from '../../src/store/sqlite/database.js';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { readUserHistory } from '../../src/store/sqlite/user-history.js';
import { dnKeyOf, dnKeyOfUser } from '../../src/store/sqlite/user-key.js';
import { accessLine, log4jTime } from '../helpers/lines.js';
import { replayInto } from '../helpers/store.js';
import { tempDir } from '../helpers/tmp.js';

// Users are found by a key of their DN (the first 52 bits of its SHA-1) and the DN, not by a
// unique index of the DN: the key is not unique, so two DNs that share one stay two users.

const dir = tempDir();
const T0 = Date.UTC(2024, 4, 6, 7, 0, 0);
const t = (s: number) => log4jTime(T0 + s * 1000);
const ALICE = 'uid=alice,ou=shadow,o=Tremolo';
const BOB = 'uid=bob,ou=shadow,o=Tremolo';
const MALLORY = 'uid=mallory,ou=shadow,o=Tremolo';
const success = (s: number, dn: string, ip: string) => accessLine({ time: t(s), event: 'AuSuccess', dn, msg: '20 / oauth2k8s', ip, session: 'f' + '1'.repeat(40) });

function logOf(name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

test("a store of version 14 keeps every user's number and rows, each user gets their DN's key, and no number is given twice", () => {
  const path = join(dir, 'version-14.db');
  const old = new Database(path);
  for (const m of MIGRATIONS.filter((m) => m.version <= 14)) old.exec(m.sql);
  old.pragma('user_version = 14');
  const user = old.prepare("INSERT INTO users (dn, dn_sha1, first_seen, last_seen, counts, success_count) VALUES (?, ?, 0, 9000, '{\"AuSuccess\":2}', 2)");
  for (const dn of [ALICE, BOB, MALLORY]) user.run(dn, dnSha1(dn));
  old.prepare("INSERT INTO user_ips (user_id, ip, country, first_seen, last_seen, count, success_count, net, learnt) VALUES (2, '81.2.69.142', 'GB', 0, 5000, 2, 1, '81.2.69.0/24', 1)").run();
  // Retention deleted the newest user.
  old.prepare('DELETE FROM users WHERE id = 3').run();
  old.close();

  const db = openDatabase(path);
  try {
    assert.deepEqual(db.prepare('SELECT id, dn, dn_key FROM users ORDER BY id').all(), [
      { id: 1, dn: ALICE, dn_key: dnKeyOf(ALICE) },
      { id: 2, dn: BOB, dn_key: dnKeyOf(BOB) },
    ]);
    assert.deepEqual(readUserHistory(db, BOB)!.ips.map((i) => i.ip), ['81.2.69.142']);
    const indexes = db.prepare("SELECT name, [unique] FROM pragma_index_list('users')").all();
    assert.deepEqual(indexes, [{ name: 'users_dn_key', unique: 0 }], 'the key, not unique; no index of the DN');
    const plan = db.prepare('EXPLAIN QUERY PLAN SELECT id FROM users WHERE dn_key = ? AND dn = ?').all(1, ALICE) as Array<{ detail: string }>;
    assert.ok(plan.some((p) => /USING INDEX users_dn_key/.test(p.detail)), JSON.stringify(plan));
    const insert = db.prepare("INSERT INTO users (dn, dn_key, dn_sha1, first_seen, last_seen, counts, success_count) VALUES (?, ?, 'x', 0, 1, '{}', 0) RETURNING id").pluck();
    assert.equal(insert.get('uid=next,o=Tremolo', 7), 4, "the deleted user's number 3 is not given again");
  } finally {
    db.close();
  }
});

test("a DN that shares another's key (a collision someone searched for) is a user of its own: the other's lookups and writes pass it by", async () => {
  const db = join(dir, 'collision.db');
  await replayInto(db, [logOf('first.log', [success(0, BOB, '8.8.4.4')])]);
  // Before Alice is first seen, a row of Mallory's under her key, as if the SHA-1s of the two
  // DNs began alike: it comes first in the key's index.
  const d = new Database(db);
  d.prepare("INSERT INTO users (dn, dn_key, dn_sha1, first_seen, last_seen, counts, success_count) VALUES (?, ?, ?, ?, ?, '{\"AuSuccess\":5}', 5)").run(MALLORY, dnKeyOf(ALICE), dnSha1(MALLORY), T0, T0);
  d.prepare("INSERT INTO user_ips (user_id, ip, country, first_seen, last_seen, count, success_count, net, learnt) SELECT id, '81.2.69.142', 'GB', ?, ?, 5, 5, '81.2.69.0/24', 1 FROM users WHERE dn = ?").run(T0, T0, MALLORY);
  d.close();

  await replayInto(db, [logOf('second.log', [success(10, ALICE, '8.8.8.8'), success(12, ALICE, '8.8.8.8')])]);
  await replayInto(db, [logOf('third.log', [success(20, ALICE, '8.8.8.8')])]);
  const conn = openDatabase(db, { readonly: true });
  try {
    assert.deepEqual(conn.prepare('SELECT id, dn, dn_key, counts FROM users ORDER BY id').all(), [
      { id: 1, dn: BOB, dn_key: dnKeyOf(BOB), counts: '{"AuSuccess":1}' },
      { id: 2, dn: MALLORY, dn_key: dnKeyOf(ALICE), counts: '{"AuSuccess":5}' },
      { id: 3, dn: ALICE, dn_key: dnKeyOf(ALICE), counts: '{"AuSuccess":3}' },
    ]);
    const alice = readUserHistory(conn, ALICE)!;
    assert.deepEqual([alice.dn, alice.ips.map((i) => i.ip)], [ALICE, ['8.8.8.8']], "Mallory's address is not Alice's");
  } finally {
    conn.close();
  }
});

test("a user's key is 52 bits of their DN's SHA-1, taken from the record's SHA-1, or from the DN when the record's is not one", () => {
  assert.equal(dnKeyOf(ALICE), parseInt(dnSha1(ALICE).slice(0, 13), 16));
  assert.ok(Number.isSafeInteger(dnKeyOf(ALICE)) && dnKeyOf(ALICE) >= 0);
  assert.equal(dnKeyOfUser(ALICE, dnSha1(ALICE)), dnKeyOf(ALICE));
  for (const notOne of ['x', '', dnSha1(ALICE).toUpperCase(), dnSha1(ALICE).slice(1)]) assert.equal(dnKeyOfUser(ALICE, notOne), dnKeyOf(ALICE), notOne);
});
