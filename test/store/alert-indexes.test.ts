import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { openDatabase } from '../../src/store/sqlite/database.js';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { SqliteAlertQueries } from '../../src/store/sqlite/alert-queries.js';
import { tempDir } from '../helpers/tmp.js';

// Each index on alerts is paid at every alert insert, so alerts carry only the ones a query
// reads: the console's rule filter reads (rule, time), newest first.

const dir = tempDir();
const RULES = ['new-ip', 'refresh-token-replay', 'new-country'];

function alertIndexes(db: Database.Database): string[] {
  const rows = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'alerts' AND name NOT LIKE 'sqlite_autoindex%'").all() as Array<{ name: string }>;
  return rows.map((r) => r.name).sort();
}

describe("alerts' indexes", () => {
  test('a db from before version 12 keeps its alerts, loses (rule, dn, ip, time) and gains (rule, time)', async () => {
    const path = join(dir, 'version-11.db');
    const old = new Database(path);
    for (const m of MIGRATIONS.filter((m) => m.version <= 11)) old.exec(m.sql);
    old.pragma('user_version = 11');
    const insert = old.prepare(
      "INSERT INTO alerts (id, rule, severity, time, last_time, count, dn, ip, reason, evidence, respond, created_at) VALUES (?, ?, 'high', ?, ?, 1, ?, '81.2.69.142', 'r', '[]', 0, 0)",
    );
    for (let i = 0; i < 30; i++) insert.run(`a${String(i).padStart(3, '0')}`, RULES[i % 3], 1000 + i, 1000 + i, `uid=u${i},o=Tremolo`);
    assert.ok(alertIndexes(old).includes('alerts_key'));
    old.close();

    const db = openDatabase(path);
    assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS[MIGRATIONS.length - 1].version);
    assert.deepEqual(alertIndexes(db), ['alerts_closed_benign', 'alerts_dn', 'alerts_last_time', 'alerts_rule', 'alerts_time']);
    const page = await new SqliteAlertQueries(db).list({ rules: ['new-ip'] }, { offset: 0, limit: 3, sort: 'time' });
    assert.equal(page.total, 10);
    assert.deepEqual(
      page.items.map((a) => a.id),
      ['a027', 'a024', 'a021'],
    );
    db.close();
  });

  test("the console's rule filter reads the rule's alerts newest first from (rule, time), not every alert", () => {
    const db = openDatabase(join(dir, 'fresh.db'));
    const plan = db.prepare("EXPLAIN QUERY PLAN SELECT * FROM alerts WHERE rule IN (?) ORDER BY time DESC, id LIMIT 50").all('new-ip') as Array<{ detail: string }>;
    assert.ok(plan.some((p) => /USING INDEX alerts_rule \(rule=\?\)/.test(p.detail)), JSON.stringify(plan));
    db.close();
  });
});
