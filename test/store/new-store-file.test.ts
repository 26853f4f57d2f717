import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { migrate, migratedSnapshot, openDatabase, openWriter, SCHEMA_VERSION, userVersion, type Db } from '../../src/store/sqlite/database.js';
import { createFromSnapshot, snapshotVersion } from '../../src/store/sqlite/new-store-file.js';
import { storeInstance } from '../../src/store/sqlite/store-meta.js';
import { REPO, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

// A writer that opens a store file that does not exist yet starts it as a copy of the image
// the build made by migrating an empty database (dist/store-schema.sqlite), instead of running
// the migrations again. The file must be what migrating gives, with an identity of its own,
// private, written in full before anyone can open it, and never written over another's.

function schema(db: Db): unknown[] {
  return db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name').all();
}

/** An empty database file taken through every migration: what the image must equal. */
function migratedFile(dir: string): Db {
  const db = new Database(join(dir, 'migrated.db'));
  migrate(db);
  return db;
}

test('a store made from the snapshot has the migrated schema and version, its own instance id, mode 0600, and takes a writer', () => {
  const dir = tempDir();
  const image = migratedSnapshot();
  assert.equal(snapshotVersion(image), SCHEMA_VERSION);
  const migrated = migratedFile(dir);
  const paths = [join(dir, 'a.db'), join(dir, 'b.db')];
  for (const p of paths) assert.equal(createFromSnapshot(p, image), true);
  const writers = paths.map((p) => openWriter(p, 'replay'));
  try {
    for (const { db } of writers) {
      assert.equal(userVersion(db), SCHEMA_VERSION);
      assert.deepEqual(schema(db), schema(migrated));
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    }
    const snapshotInstance = storeInstance(new Database(image));
    const ids = new Set([snapshotInstance, storeInstance(migrated), ...writers.map((w) => storeInstance(w.db))]);
    assert.equal(ids.size, 4, `each store its own instance id: ${[...ids].join(', ')}`);
    for (const p of paths) assert.equal(statSync(p).mode & 0o777, 0o600, `${p} is private`);
    assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.new')), [], 'no copy left beside them');
  } finally {
    for (const w of writers) w.db.close();
    migrated.close();
  }
});

test('from the sources too, a new store file and a new in-memory store are copies of the migrated image, not migrated one by one', () => {
  const dir = tempDir();
  const image = new Database(migratedSnapshot());
  const migrated = migratedFile(dir);
  const stores = [openDatabase(join(dir, 'new.db')), openDatabase(':memory:')];
  try {
    const pages = (db: Db) => [db.pragma('page_count', { simple: true }), db.pragma('freelist_count', { simple: true })];
    // The migrations drop and rebuild tables: a file migrated one by one keeps a free page the compacted image has not.
    assert.notDeepEqual(pages(migrated), pages(image), 'the two ways of making a store are told apart by their pages');
    for (const db of stores) {
      assert.deepEqual(pages(db), pages(image));
      assert.deepEqual(schema(db), schema(migrated));
      assert.notEqual(storeInstance(db), storeInstance(image));
    }
  } finally {
    for (const db of [...stores, migrated, image]) db.close();
  }
});

test('a store another process created meanwhile is kept as it is', () => {
  const dir = tempDir();
  const path = join(dir, 'raced.db');
  const theirs = openDatabase(path);
  theirs.prepare("INSERT INTO store_meta (key, value) VALUES ('theirs', 'x')").run();
  theirs.close();
  const before = readFileSync(path);
  assert.equal(createFromSnapshot(path, migratedSnapshot()), true, 'the store exists: nothing to do');
  assert.deepEqual(readFileSync(path), before);
  assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.new')), []);
});

test('bytes that are not a database image have no schema version', () => {
  assert.equal(snapshotVersion(Buffer.alloc(0)), null);
  assert.equal(snapshotVersion(Buffer.alloc(4096)), null);
  const image = Buffer.from(migratedSnapshot());
  image.write('not SQLite at all', 0, 'latin1');
  assert.equal(snapshotVersion(image), null);
});

test('the built CLI replays into a new store made from the build\'s image: the migrated schema, an instance id of its own', async () => {
  const dir = tempDir();
  const built = readFileSync(join(REPO, 'dist', 'store-schema.sqlite'));
  assert.equal(snapshotVersion(built), SCHEMA_VERSION, 'the build wrote an image of the current schema');
  const log = join(dir, 'a.log');
  writeFileSync(log, '[2026-03-02 07:00:00,046][XNIO-1 task-13] INFO  AccessLog - [AzSuccess] - k8s - https://k8sou.example.com/k8s - uid=alice,ou=users,o=Tremolo - 20 / oauth2k8s [10.0.0.1] - [s1]\n');
  const r = await runCli(['replay', log, '--db', join(dir, 'new.db'), '-q']);
  assert.equal(r.code, 0, r.stderr);
  const db = new Database(join(dir, 'new.db'), { readonly: true });
  const migrated = migratedFile(dir);
  try {
    assert.deepEqual(schema(db), schema(migrated));
    assert.equal(db.prepare('SELECT count(*) FROM users').pluck().get(), 1);
    assert.notEqual(storeInstance(db), storeInstance(new Database(built)));
  } finally {
    db.close();
    migrated.close();
  }
});
