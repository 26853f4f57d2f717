import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { openDatabase } from '../../src/store/sqlite/database.js';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { ndjson, ok } from '../helpers/cli.js';
import { accessLine } from '../helpers/lines.js';
import { tempDir } from '../helpers/tmp.js';

// The organisation's counts (users with a learnt address per network, ASN and country) are
// stored and added to by each commit, so that a start reads them instead of grouping every
// user's addresses. Whatever happens to the addresses, they must equal that grouping.

const SAMPLE = new URL('../../fixtures/sample/', import.meta.url).pathname;
const dir = tempDir();

/** The stored counts, and what grouping the learnt addresses gives, as sorted `kind value users` lines. */
function countsAndTruth(path: string): { stored: string[]; truth: string[] } {
  const db = new Database(path, { readonly: true });
  const rows = (sql: string) => (db.prepare(sql).all() as Array<{ kind: string; value: string; users: number }>).map((r) => `${r.kind} ${r.value} ${r.users}`).sort();
  const stored = rows('SELECT kind, value, users FROM organisation_counts');
  const truth = rows(`
    SELECT 'net' AS kind, net AS value, COUNT(DISTINCT user_id) AS users FROM user_ips WHERE learnt = 1 AND net IS NOT NULL GROUP BY net
    UNION ALL SELECT 'asn', CAST(asn AS TEXT), COUNT(DISTINCT user_id) FROM user_ips WHERE learnt = 1 AND asn IS NOT NULL GROUP BY asn
    UNION ALL SELECT 'country', country, COUNT(DISTINCT user_id) FROM user_ips WHERE learnt = 1 AND country IS NOT NULL GROUP BY country`);
  db.close();
  return { stored, truth };
}

function assertExact(path: string, when: string): void {
  const { stored, truth } = countsAndTruth(path);
  assert.ok(truth.length > 0, `${when}: some places counted`);
  assert.deepEqual(stored, truth, when);
}

describe("the organisation's stored counts", () => {
  test('commits add to them: the sample day in two runs and many small commits counts every place as grouping the learnt addresses does', () => {
    const db = join(dir, 'added.db');
    ok(['replay', `${SAMPLE}openunison-orchestra-0.log`, '--db', db, '--commit-every', '1000', '-q']);
    assertExact(db, 'after the first replica');
    // The second run loads the users it meets from the store: a place they know is not counted twice.
    ok(['replay', `${SAMPLE}openunison-orchestra-1.log`, '--db', db, '--commit-every', '1000', '-q']);
    assertExact(db, 'after the second replica');
  });

  test('addresses learnt by a benign close, and addresses deleted by retention, are counted again', () => {
    const db = join(dir, 'changed.db');
    const raised = ndjson<{ id: string; ip: string | null; rule: string }>(ok(['replay', `${SAMPLE}openunison-orchestra-0.log`, `${SAMPLE}openunison-orchestra-1.log`, '--db', db, '--json', '-q']).stdout);
    const before = countsAndTruth(db).truth;
    for (const a of raised.filter((a) => a.ip !== null && /new-(source-ip|country)/.test(a.rule))) ok(['alerts', 'close', a.id, '--benign', '--db', db]);
    // The next writer to start learns the closed alerts' addresses.
    const empty = join(dir, 'empty.log');
    writeFileSync(empty, '');
    ok(['replay', empty, '--db', db, '-q']);
    assertExact(db, 'after the benign closes');
    assert.notDeepEqual(countsAndTruth(db).truth, before, 'the closes made addresses learnt');

    // Forty days later, other users elsewhere; keeping 30 days lets the first days' addresses go.
    const later = join(dir, 'later.log');
    writeFileSync(later, ['alice', 'bob', 'carol'].map((u, k) => accessLine({ time: `2026-04-12 09:0${k}:00,000`, dn: `uid=${u},ou=users,o=Tremolo`, ip: `89.160.20.${112 + k}` })).join('\n') + '\n');
    ok(['replay', later, '--db', db, '-q']);
    assertExact(db, 'after a later day');
    const config = join(dir, 'retention.yaml');
    writeFileSync(config, 'store:\n  retention: { events: 30d }\n');
    const pruned = JSON.parse(ok(['prune', '--db', db, '--config', config, '--json']).stdout) as { deleted: Record<string, number> };
    assert.ok((pruned.deleted.user_ips ?? 0) > 0, JSON.stringify(pruned));
    assertExact(db, 'after retention');
  });

  test('a version-9 store gets them from its learnt addresses when it is opened', () => {
    const path = join(dir, 'version-9.db');
    const old = new Database(path);
    for (const m of MIGRATIONS.filter((m) => m.version <= 9)) old.exec(m.sql);
    old.pragma('user_version = 9');
    const user = old.prepare(`INSERT INTO users (dn, dn_sha1, first_seen, last_seen, counts, success_count) VALUES (?, 'x', 0, 1, '{}', 1)`);
    for (const dn of ['uid=a', 'uid=b', 'uid=c']) user.run(dn);
    const address = old.prepare(
      `INSERT INTO user_ips (dn, ip, country, first_seen, last_seen, count, success_count, net, asn, learnt) VALUES (?, ?, ?, 0, 1, 1, 1, ?, ?, ?)`,
    );
    address.run('uid=a', '87.106.231.28', 'DE', '87.106.231.0/24', 8560, 1);
    address.run('uid=a', '87.106.231.29', 'DE', '87.106.231.0/24', 8560, 1);
    address.run('uid=b', '87.106.231.30', 'DE', '87.106.231.0/24', 8560, 1);
    address.run('uid=c', '87.106.231.31', 'DE', '87.106.231.0/24', 8560, 0);
    address.run('uid=c', '10.1.2.3', null, '10.1.2.0/24', null, 1);
    old.close();
    openDatabase(path).close();
    const { stored, truth } = countsAndTruth(path);
    assert.deepEqual(stored, ['asn 8560 2', 'country DE 2', 'net 10.1.2.0/24 1', 'net 87.106.231.0/24 2']);
    assert.deepEqual(stored, truth);
  });
});

