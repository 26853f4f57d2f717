import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { test } from 'node:test';
import { PG_SCHEMA_VERSION } from '../../../src/store/postgres/migrations.js';
import { BIN, SAMPLE_LOGS, ndjson, ok, ouwatch } from '../../helpers/cli.js';
import { startPostgres } from '../../helpers/postgres.js';
import { tempDir } from '../../helpers/tmp.js';
import { waitFor } from '../../helpers/wait.js';

const pg = await startPostgres();

/**
 * What a command prints, without what names the store or the wall clock of the run (the
 * stale guard's "N h old" is counted from the clock when each store's replay ran: the two
 * replays can fall on either side of a tenth of an hour).
 */
function same(out: string, store: string): string {
  return out
    .split(store)
    .join('<db>')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, (t) => (t.startsWith('2026-03') ? t : '<now>'))
    .replace(/\d+(\.\d+)? h old/g, '<age> h old');
}

async function consoleGet(db: string, path: string): Promise<unknown> {
  const child = spawn(process.execPath, [BIN, 'serve', '--db', db, '--listen', '127.0.0.1:0', '--log-level', 'info'], { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    let base: string | null = null;
    createInterface({ input: child.stderr! }).on('line', (l) => {
      const m = /console at (http:\/\/[^/]+\/)/.exec(l) ?? /"address":"(http:\/\/[^"]+)"/.exec(l);
      if (m) base = m[1];
    });
    const at = await waitFor('the console to listen', () => base ?? undefined, 20_000);
    const r = await fetch(new URL(path, at));
    assert.equal(r.status, 200, path);
    return r.json();
  } finally {
    child.kill('SIGTERM');
  }
}

test('every command works on PostgreSQL and prints what it prints on SQLite', async () => {
  const dir = tempDir();
  const sqlite = join(dir, 'ouwatch.db');
  const name = await pg.createDatabase('commands');
  const url = pg.url(name);
  for (const db of [sqlite, url]) ok(['replay', ...SAMPLE_LOGS, '--db', db, '--quiet']);
  const alerts = ndjson<{ id: string; dn: string | null }>(ok(['alerts', 'list', '--db', url, '--status', 'all', '--json']).stdout);
  assert.ok(alerts.length > 0);
  const incident = ndjson<{ id: string }>(ok(['incidents', 'list', '--db', url, '--status', 'all', '--json']).stdout)[0];
  const dn = alerts.find((a) => a.dn !== null)!.dn!;
  const reads: string[][] = [
    ['alerts', 'list', '--status', 'all', '--json'],
    ['alerts', 'list', '--ip', '5.255.255.0/24', '--dn', 'UID=MMOSLEY*', '--json'],
    ['alerts', 'show', alerts[0].id, '--json'],
    ['incidents', 'list', '--status', 'all', '--json'],
    ['incidents', 'show', incident.id, '--json'],
    ['user', dn, '--json'],
    ['explain', '--file', SAMPLE_LOGS[0], '--line', '4139', '--json'],
    ['actions', 'list', '--json'],
    ['outbox', 'list', '--status', 'all', '--json'],
    ['rules', '--json'],
    ['prune', '--dry-run', '--json'],
  ];
  for (const args of reads) {
    const a = ok([...args, '--db', sqlite]);
    const b = ok([...args, '--db', url]);
    assert.equal(same(b.stdout, url), same(a.stdout, sqlite), `ouwatch ${args.join(' ')}`);
  }
  // Writes: an analyst's status change, a dry-run end-session, a refused requeue; the schema is current.
  for (const db of [sqlite, url]) {
    ok(['alerts', 'ack', alerts[0].id, '--db', db, '--by', 'ana']);
    ok(['endsession', dn, '--db', db, '--by', 'ana']);
    const retry = ouwatch(['outbox', 'retry', '4242', '--db', db]);
    assert.equal(retry.status, 2);
    assert.match(retry.stderr, /outbox item 4242 not requeued: no such outbox item/);
  }
  assert.equal(ndjson<{ status: string }>(ok(['alerts', 'list', '--db', url, '--status', 'acknowledged', '--json']).stdout).length, 1);
  assert.deepEqual(
    ndjson<{ by: string; status: string }>(ok(['actions', 'list', '--db', url, '--json']).stdout).map((a) => [a.by, a.status]),
    ndjson<{ by: string; status: string }>(ok(['actions', 'list', '--db', sqlite, '--json']).stdout).map((a) => [a.by, a.status]),
  );
  assert.match(ok(['upgrade', '--db', url]).stdout, new RegExp(`is at schema version ${PG_SCHEMA_VERSION}: nothing to do`));
  // As on SQLite (version 12): the console's rule filter has (rule, time); nothing reads (rule, dn, ip, time).
  const indexes = (await pg.query<{ indexname: string }>(name, `SELECT indexname FROM pg_indexes WHERE tablename = 'alerts'`)).map((r) => r.indexname);
  assert.ok(indexes.includes('alerts_rule') && !indexes.includes('alerts_key'), indexes.join(', '));
  // The console reads the same store.
  const api = (await consoleGet(url, '/api/alerts?status=all')) as { items: Array<{ id: string }> };
  assert.deepEqual(api.items.map((a) => a.id).sort(), alerts.map((a) => a.id).sort());
});

test('a URL of another scheme, or with a password, is refused; nothing is created', () => {
  const dir = tempDir();
  for (const [db, why] of [
    ['mysql://ouwatch@127.0.0.1/ouwatch', /unsupported database URL scheme 'mysql:'/],
    ['postgres://ouwatch:secret@127.0.0.1/ouwatch', /must not carry a password/],
  ] as const) {
    const r = ouwatch(['replay', SAMPLE_LOGS[0], '--db', db], { cwd: dir });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, why);
    assert.doesNotMatch(r.stderr, /secret/);
    assert.equal(ouwatch(['alerts', 'list', '--db', db], { cwd: dir }).status, 2);
  }
  assert.deepEqual(ouwatch(['alerts', 'list', '--db', 'x'], { cwd: dir }).status, 2, 'a missing SQLite file is still an error');
  assert.deepEqual(readdirSync(dir), [], 'no directory named after the scheme');
});
