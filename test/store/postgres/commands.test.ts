import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { test } from 'node:test';
import { PG_MIGRATIONS, PG_SCHEMA_VERSION } from '../../../src/store/postgres/migrations.js';
import { BIN, SAMPLE_LOGS, ndjson, ok, ouwatch } from '../../helpers/cli.js';
import { startPostgres } from '../../helpers/postgres.js';
import { tempDir } from '../../helpers/tmp.js';
import { waitFor } from '../../helpers/wait.js';
import { REQUEST_TIMEOUT_MS } from '../../helpers/http.js';

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
    const r = await fetch(new URL(path, at), { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
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

test("a version-12 store keeps every user's history when upgraded to rows keyed by the user's number; readers ask for the upgrade first", async () => {
  const name = await pg.createDatabase('version-12');
  const url = pg.url(name);
  await pg.query(name, 'CREATE TABLE ouwatch_schema (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
  for (const m of PG_MIGRATIONS.filter((m) => m.version <= 12)) {
    await pg.query(name, m.sql);
    await pg.query(name, `INSERT INTO ouwatch_schema (version, name, applied_at) VALUES (${m.version}, 'v', 0)`);
  }
  const MM = 'uid=mmosley,ou=shadow,o=Tremolo';
  const ERIK = "uid=erik,o=Tremolo's";
  const S1 = 'f' + '1'.repeat(40);
  const T = Date.UTC(2026, 2, 3, 8);
  for (const dn of [MM, ERIK]) {
    await pg.query(name, `INSERT INTO users (dn, dn_sha1, first_seen, last_seen, counts, success_count) VALUES ($1, 'x', $2, $2, '{"AzSuccess":3}', 3)`, [dn, T]);
  }
  for (const [dn, ip] of [
    [MM, '89.160.20.112'],
    [ERIK, '81.2.69.142'],
    [ERIK, '10.1.2.3'],
  ]) {
    await pg.query(name, `INSERT INTO user_ips (dn, ip, country, first_seen, last_seen, count, success_count, learnt) VALUES ($1, $2, 'SE', $3, $3, 1, 1, 1)`, [dn, ip, T]);
    await pg.query(name, `INSERT INTO user_activity (dn, hour, ip, country, events, failures) VALUES ($1, $2, $3, 'SE', 1, 0)`, [dn, T, ip]);
  }
  await pg.query(name, `INSERT INTO user_countries (dn, country, first_seen, last_seen, count, success_count) VALUES ($1, 'SE', $2, $2, 2, 2)`, [ERIK, T]);
  await pg.query(name, `INSERT INTO sessions (dn, session_id, first_seen, last_seen, count) VALUES ($1, $2, $3, $3, 2)`, [ERIK, S1, T]);
  await pg.query(name, `INSERT INTO session_ips (dn, session_id, ip, first_seen, last_seen, count) VALUES ($1, $2, '10.1.2.3', $3, $3, 2)`, [ERIK, S1, T]);

  const before = ouwatch(['user', ERIK, '--db', url]);
  assert.equal(before.status, 2, before.stderr);
  assert.match(before.stderr, /has schema version 12: run 'ouwatch replay' or 'ouwatch run' on it first, or 'ouwatch upgrade --db /);
  assert.match(ok(['upgrade', '--db', url]).stdout, /upgraded from schema version 12 to 14/);
  const erik = JSON.parse(ok(['user', ERIK, '--db', url, '--json']).stdout) as { ips: Array<{ ip: string }>; countries: Array<{ country: string; count: number }>; sessions: Array<{ sessionId: string; ips: string[] }> };
  assert.deepEqual(
    erik.ips.map((i) => i.ip),
    ['10.1.2.3', '81.2.69.142'],
  );
  assert.deepEqual(
    erik.countries.map((c) => [c.country, c.count]),
    [['SE', 2]],
  );
  assert.deepEqual(
    erik.sessions.map((s) => [s.sessionId, s.ips]),
    [[S1, ['10.1.2.3']]],
  );
  assert.deepEqual(
    (JSON.parse(ok(['user', MM, '--db', url, '--json']).stdout) as { ips: Array<{ ip: string }> }).ips.map((i) => i.ip),
    ['89.160.20.112'],
  );
  assert.deepEqual(await pg.query(name, 'SELECT u.dn, count(*)::int AS n FROM user_activity a JOIN users u ON u.id = a.user_id GROUP BY u.dn ORDER BY u.dn'), [
    { dn: ERIK, n: 2 },
    { dn: MM, n: 1 },
  ]);
  // Users new after the upgrade are numbered after those stored.
  ok(['replay', SAMPLE_LOGS[0], '--db', url, '-q']);
  const numbers = await pg.query<{ dn: string; id: string }>(name, 'SELECT dn, id FROM users ORDER BY id');
  assert.deepEqual(
    numbers.slice(0, 2).map((r) => r.dn),
    [MM, ERIK],
  );
  // (PostgreSQL's upsert takes a number from the sequence even when it updates: numbers grow, with gaps.)
  assert.ok(numbers.length > 2 && numbers.slice(2).every((r) => Number(r.id) > 2), JSON.stringify(numbers));
});
