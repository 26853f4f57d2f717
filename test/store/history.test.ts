import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { openDatabase, StoreOpenError } from '../../src/store/sqlite/database.js';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { readUserHistory } from '../../src/store/sqlite/user-history.js';
import { dnKeyOf } from '../../src/store/sqlite/user-key.js';
import { usersFromRows } from '../../src/store/user-rows.js';
import { RECOUNT_ORGANISATION } from '../../src/store/organisation-sql.js';
import { accessLine, activity, expiredLine, idpWarning, log4jTime, logoutLine } from '../helpers/lines.js';
import { dumpHistory, replayInto } from '../helpers/store.js';
import { tempDir } from '../helpers/tmp.js';

// Per user: first/last seen, counts by event type; per user and address: first/last seen,
// count, country; per user and country; sessions with their addresses. `cn=none` and the
// anonymous user are not users.

const dir = tempDir();
const T0 = Date.UTC(2024, 4, 6, 7, 0, 0);
const t = (s: number) => log4jTime(T0 + s * 1000);
const MM = 'uid=mmosley,ou=shadow,o=Tremolo';
const S1 = 'f' + '1'.repeat(40);
const S2 = 'f' + '2'.repeat(40);

describe("a user's history", async () => {
  const log = join(dir, 'history.log');
  writeFileSync(
    log,
    [
      accessLine({ time: t(0), event: 'AuSuccess', dn: MM, msg: '20 / oauth2k8s', ip: '8.8.8.8', session: S1 }),
      accessLine({ time: t(1), dn: MM, ip: '8.8.8.8', session: S1 }),
      accessLine({ time: t(2), dn: MM, ip: '10.1.2.3', session: S1 }),
      accessLine({ time: t(3), event: 'AzFail', dn: MM, msg: 'NONE', ip: '81.2.69.142', session: S2 }),
      expiredLine({ time: t(4), dn: MM, ip: '81.2.69.142', session: S2 }),
      idpWarning('Session does not exist from refresh_token', { time: t(5) }),
      logoutLine(MM, { time: t(6) }),
      accessLine({ time: t(7), event: 'AuFail', dn: 'cn=none', ip: '8.8.8.8', session: 'null' }),
      accessLine({ time: t(8), event: 'NotFound', dn: 'uid=Anonymous,o=Tremolo', ip: '8.8.8.8', session: 'null' }),
    ].join('\n') + '\n',
  );
  const db = join(dir, 'history.db');
  await replayInto(db, [log]);
  const conn = openDatabase(db, { readonly: true });
  const h = readUserHistory(conn, MM)!;
  conn.close();

  test('first and last seen, and counts by event type', () => {
    assert.equal(h.dn, MM);
    assert.equal(h.dnSha1, '5204c08a79c11dbdc2fdda1e07bc866fb4f22888');
    assert.equal(h.firstSeen, new Date(T0).toISOString());
    assert.equal(h.lastSeen, new Date(T0 + 6000).toISOString());
    assert.deepEqual(h.counts, { AuSuccess: 1, AzSuccess: 2, AzFail: 1, ExpiredRefreshTokenUsed: 1, Logout: 1 });
  });

  test('addresses with country (none for private ones), first/last seen and count, most recent first', () => {
    assert.deepEqual(
      h.ips.map((i) => [i.ip, i.country, i.count, i.firstSeen, i.lastSeen]),
      [
        ['81.2.69.142', 'GB', 2, new Date(T0 + 3000).toISOString(), new Date(T0 + 4000).toISOString()],
        ['10.1.2.3', null, 1, new Date(T0 + 2000).toISOString(), new Date(T0 + 2000).toISOString()],
        ['8.8.8.8', 'US', 2, new Date(T0).toISOString(), new Date(T0 + 1000).toISOString()],
      ],
    );
  });

  test('countries', () => {
    assert.deepEqual(h.countries.map((c) => [c.country, c.count]), [['GB', 2], ['US', 2]]);
  });

  test('sessions with their addresses', () => {
    assert.deepEqual(
      h.sessions.map((s) => [s.sessionId, s.count, s.ips]),
      [
        [S2, 2, ['81.2.69.142']],
        [S1, 3, ['8.8.8.8', '10.1.2.3']],
      ],
    );
  });

  test('cn=none and the anonymous user get no history', () => {
    const users = dumpHistory(db).users as Array<{ dn: string }>;
    assert.deepEqual(users.map((u) => u.dn), [MM]);
  });
});

describe('commits', () => {
  test('committing every 1,000 lines (users written piecewise, sessions and hourly activity added up) gives the same history as committing once', async () => {
    const log = join(dir, 'commits.log');
    writeFileSync(log, activity(6000, { users: 300, seed: 5 }).join('\n') + '\n');
    const often = join(dir, 'often.db');
    const once = join(dir, 'once.db');
    await replayInto(often, [log], { commitEvery: 1000 });
    await replayInto(once, [log]);
    const got = dumpHistory(often);
    assert.ok((got.users as unknown[]).length > 100, 'the test needs many users');
    assert.deepEqual(got, dumpHistory(once));
  });
});

describe('the database file', () => {
  test('is in WAL mode with every migration applied', () => {
    const path = join(dir, 'schema.db');
    openDatabase(path).close();
    const db = new Database(path, { readonly: true });
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS[MIGRATIONS.length - 1].version);
    db.close();
  });

  test('a db written before sessions were keyed by user keeps its sessions, and reads them by the key', () => {
    const path = join(dir, 'version-8.db');
    const old = new Database(path);
    for (const m of MIGRATIONS.filter((m) => m.version <= 8)) old.exec(m.sql);
    old.pragma('user_version = 8');
    old.prepare("INSERT INTO users (dn, dn_sha1, first_seen, last_seen, counts, success_count) VALUES (?, 'x', 0, 9000, '{}', 0)").run(MM);
    const session = old.prepare('INSERT INTO sessions (session_id, dn, first_seen, last_seen, count) VALUES (?, ?, ?, ?, ?)');
    const address = old.prepare('INSERT INTO session_ips (session_id, dn, ip, first_seen, last_seen, count) VALUES (?, ?, ?, ?, ?, ?)');
    session.run(S1, MM, 0, 5000, 3);
    address.run(S1, MM, '10.1.2.3', 0, 5000, 3);
    session.run(S2, MM, 6000, 9000, 1);
    address.run(S2, MM, '81.2.69.142', 6000, 9000, 1);
    old.close();

    const db = openDatabase(path);
    const h = readUserHistory(db, MM)!;
    assert.deepEqual(
      h.sessions.map((s) => [s.sessionId, s.count, s.ips]),
      [
        [S2, 1, ['81.2.69.142']],
        [S1, 3, ['10.1.2.3']],
      ],
    );
    const plan = db.prepare('EXPLAIN QUERY PLAN SELECT * FROM sessions WHERE user_id = ? ORDER BY last_seen DESC').all(1) as Array<{ detail: string }>;
    assert.ok(plan.some((p) => /USING PRIMARY KEY \(user_id=\?\)/.test(p.detail)), JSON.stringify(plan));
    const indexes = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('users', 'user_ips', 'sessions')").all() as Array<{ name: string }>).map((r) => r.name);
    assert.deepEqual(indexes.filter((n) => !n.startsWith('sqlite_autoindex')).sort(), ['user_ips_quarantine', 'users_dn_key']);
    db.close();
  });

  test("a db written before history was keyed by the user's number keeps every user's rows, numbered in the order they were stored, and numbers the next user after them", () => {
    const path = join(dir, 'version-12.db');
    const old = new Database(path);
    for (const m of MIGRATIONS.filter((m) => m.version <= 12)) old.exec(m.sql);
    old.pragma('user_version = 12');
    const ERIK = 'uid=erik,o=Tremolo';
    const user = old.prepare("INSERT INTO users (dn, dn_sha1, first_seen, last_seen, counts, success_count) VALUES (?, 'x', 0, 9000, '{\"AuSuccess\":2}', 2)");
    user.run(MM);
    user.run(ERIK);
    for (const [dn, ip] of [
      [MM, '8.8.8.8'],
      [ERIK, '81.2.69.142'],
      [ERIK, '10.1.2.3'],
    ]) {
      old.prepare("INSERT INTO user_ips (dn, ip, country, first_seen, last_seen, count, success_count, net, learnt) VALUES (?, ?, 'SE', 0, 5000, 2, 1, 'n', 1)").run(dn, ip);
      old.prepare('INSERT INTO user_activity (dn, hour, ip, country, events, failures) VALUES (?, 0, ?, NULL, 2, 0)').run(dn, ip);
    }
    old.prepare("INSERT INTO user_countries (dn, country, first_seen, last_seen, count, success_count) VALUES (?, 'SE', 0, 5000, 3, 2)").run(ERIK);
    old.prepare('INSERT INTO sessions (dn, session_id, first_seen, last_seen, count) VALUES (?, ?, 0, 5000, 3)').run(ERIK, S1);
    old.prepare('INSERT INTO session_ips (dn, session_id, ip, first_seen, last_seen, count) VALUES (?, ?, ?, 0, 5000, 3)').run(ERIK, S1, '10.1.2.3');
    // An hour's activity of a user retention deleted (activity goes an hour after its user): nobody's now.
    old.prepare("INSERT INTO user_activity (dn, hour, ip, country, events, failures) VALUES ('uid=gone,o=Tremolo', 0, '', NULL, 1, 0)").run();
    old.close();

    const db = openDatabase(path);
    try {
      assert.deepEqual(db.prepare('SELECT id, dn FROM users ORDER BY id').all(), [
        { id: 1, dn: MM },
        { id: 2, dn: ERIK },
      ]);
      const erik = readUserHistory(db, ERIK)!;
      assert.deepEqual(
        erik.ips.map((i) => i.ip),
        ['10.1.2.3', '81.2.69.142'],
      );
      assert.deepEqual(
        erik.countries.map((c) => [c.country, c.count]),
        [['SE', 3]],
      );
      assert.deepEqual(
        erik.sessions.map((s) => [s.sessionId, s.count, s.ips]),
        [[S1, 3, ['10.1.2.3']]],
      );
      assert.deepEqual(
        readUserHistory(db, MM)!.ips.map((i) => i.ip),
        ['8.8.8.8'],
      );
      assert.deepEqual(db.prepare('SELECT user_id, ip, events FROM user_activity ORDER BY user_id, ip').all(), [
        { user_id: 1, ip: '8.8.8.8', events: 2 },
        { user_id: 2, ip: '10.1.2.3', events: 2 },
        { user_id: 2, ip: '81.2.69.142', events: 2 },
      ]);
      // Counted again (after retention), the organisation's places count users by number.
      for (const sql of RECOUNT_ORGANISATION) db.prepare(sql).run();
      assert.deepEqual(db.prepare("SELECT kind, value, users FROM organisation_counts WHERE kind = 'net'").all(), [{ kind: 'net', value: 'n', users: 2 }]);
      // Retention deleted the newest user: the next one does not take their number.
      db.prepare('DELETE FROM users WHERE id = 2').run();
      const insert = db.prepare("INSERT INTO users (dn, dn_key, dn_sha1, first_seen, last_seen, counts, success_count) VALUES (?, ?, 'x', 0, 1, '{}', 0) RETURNING id").pluck();
      assert.equal(insert.get('uid=next,o=Tremolo', dnKeyOf('uid=next,o=Tremolo')), 3);
    } finally {
      db.close();
    }
  });

  test('a db from a newer ouwatch is refused, not damaged', () => {
    const path = join(dir, 'newer.db');
    const db = new Database(path);
    db.pragma('user_version = 999');
    db.close();
    assert.throws(() => openDatabase(path), (err: unknown) => err instanceof StoreOpenError && /newer than this ouwatch/.test(err.message));
  });

  test('a path under a regular file, a directory, or a file that is not SQLite are clear errors', () => {
    const file = join(dir, 'regular-file');
    writeFileSync(file, 'not a directory');
    assert.throws(() => openDatabase(join(file, 'x.db')), StoreOpenError);
    assert.throws(() => openDatabase(dir), /is a directory/);
    const junk = join(dir, 'junk.db');
    writeFileSync(junk, 'this is not an SQLite database, just text long enough to have a header '.repeat(20));
    assert.throws(() => openDatabase(junk), StoreOpenError);
  });
});

test("a user's last location stored before radii were kept reads as exact (radius 0), as impossible-travel judged it when it was stored", () => {
  const row = { id: 1, dn: MM, dn_sha1: 'x', first_seen: T0, last_seen: T0, counts: '{}', success_count: 1, first_success: T0, last_success: T0 };
  const point = { ts: T0, ip: '12.63.10.10', country: 'US', lat: 40.7123, lon: -74.0068 };
  const [before] = usersFromRows([{ ...row, last_geo: JSON.stringify(point) }], []);
  assert.deepEqual(before.lastGeo, { ...point, radiusKm: 0 });
  const [now] = usersFromRows([{ ...row, last_geo: JSON.stringify({ ...point, radiusKm: 20 }) }], []);
  assert.equal(now.lastGeo?.radiusKm, 20);
});
