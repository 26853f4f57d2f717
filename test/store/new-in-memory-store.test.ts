import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openDatabase, openWriter, SCHEMA_VERSION, userVersion, type Db } from '../../src/store/sqlite/database.js';
import { storeInstance } from '../../src/store/sqlite/store-meta.js';

// A process that opens many in-memory stores (`rules test`, one per fixture) migrates the
// first and starts the others as copies of it. Each must be what migrating gives: the whole
// schema at the current version, empty, writable, with an identity of its own, and nothing
// of what was written into the first.

function schema(db: Db): unknown[] {
  return db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name').all();
}

function tablesWithRows(db: Db): string[] {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];
  return tables.filter((t) => (db.prepare(`SELECT count(*) FROM "${t}"`).pluck().get() as number) > 0);
}

test('new in-memory stores: each has the migrated schema, its own instance id, and nothing of another', () => {
  const first = openDatabase(':memory:');
  const afterMigration = { schema: schema(first), rows: tablesWithRows(first) };
  first.prepare("INSERT INTO store_meta (key, value) VALUES ('written-into-the-first', 'x')").run();
  const second = openDatabase(':memory:');
  const { db: third, lease } = openWriter(':memory:', 'replay');
  try {
    for (const db of [first, second, third]) assert.equal(userVersion(db), SCHEMA_VERSION);
    assert.deepEqual(schema(second), afterMigration.schema);
    assert.deepEqual(schema(third), afterMigration.schema);
    assert.deepEqual(tablesWithRows(second), afterMigration.rows, 'as empty as a store just migrated');
    assert.equal(second.prepare("SELECT count(*) FROM store_meta WHERE key = 'written-into-the-first'").pluck().get(), 0);
    const ids = new Set([first, second, third].map(storeInstance));
    assert.equal(ids.size, 3, `three instance ids: ${[...ids].join(', ')}`);
    for (const id of ids) assert.match(id, /^[0-9a-f]{16}$/);
    // Writable, with its constraints on (a writer's connection has foreign keys on).
    second.prepare("INSERT INTO store_meta (key, value) VALUES ('k', 'v')").run();
    assert.equal(second.pragma('foreign_keys', { simple: true }), 1);
    assert.equal(lease.holder()?.command, 'replay', 'the writer holds its lease in its copy');
  } finally {
    first.close();
    second.close();
    third.close();
  }
});
