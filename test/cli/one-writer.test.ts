import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { spawnDaemon, type DaemonProcess } from '../helpers/daemon.js';
import { ouwatch, ndjson } from '../helpers/cli.js';
import { logText } from '../helpers/log-lines.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const children: DaemonProcess[] = [];
after(() => {
  for (const d of children) d.child.kill('SIGKILL');
});

function daemon(file: string, db: string): DaemonProcess {
  const d = spawnDaemon(['--file', file, '--db', db, '--listen', '127.0.0.1:0']);
  children.push(d);
  return d;
}

const started = (d: DaemonProcess) => d.waitForLog('the daemon to start', (r) => r.msg === 'ouwatch run started');

function scalar(db: string, sql: string): unknown {
  const c = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return Object.values(c.prepare(sql).get() as object)[0];
  } finally {
    c.close();
  }
}

describe('one writer per database', () => {
  test('a second daemon, a replay and a breaker reset are refused at once (exit 2, one line naming the holder); analysts still read and ack', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const file = join(dir, 'openunison.log');
    const db = join(dir, 'ouwatch.db');
    writeFileSync(file, logText(0, 400));
    const first = daemon(file, db);
    await started(first);
    await waitFor('the lines committed', () => Number(scalar(db, 'SELECT COUNT(*) FROM checkpoints')) === 1 && Number(scalar(db, 'SELECT line_no FROM checkpoints')) > 0);

    const second = daemon(file, db);
    const exit = await second.exited;
    assert.equal(exit.code, 2, second.rawErrors.join('\n'));
    assert.equal(second.rawErrors.length, 1, `one line: ${second.rawErrors.join('\n')}`);
    assert.match(second.rawErrors[0], new RegExp(`^ouwatch: .*ouwatch\\.db is being written by 'ouwatch run' \\(pid ${first.child.pid} on [^,]+, since \\d{4}-\\d\\d-\\d\\dT`));

    const checkpoint = scalar(db, 'SELECT offset FROM checkpoints');
    const replay = ouwatch(['replay', file, '--db', db]);
    assert.equal(replay.status, 2, replay.stderr);
    assert.match(replay.stderr, new RegExp(`^ouwatch: .* is being written by 'ouwatch run' \\(pid ${first.child.pid} `));
    assert.equal(replay.stderr.trim().split('\n').length, 1);
    assert.equal(scalar(db, 'SELECT offset FROM checkpoints'), checkpoint, 'the refused replay wrote nothing');

    const reset = ouwatch(['actions', 'reset-breaker', '--db', db]);
    assert.equal(reset.status, 2, reset.stderr);
    assert.match(reset.stderr, /is being written by 'ouwatch run'/);

    // Readers and an analyst's acknowledgement work beside the writer.
    const alerts = ndjson<{ id: string }>(ouwatch(['alerts', 'list', '--db', db, '--json']).stdout);
    assert.ok(alerts.length > 0, 'the log raises alerts');
    const ack = ouwatch(['alerts', 'ack', alerts[0].id, '--db', db, '--by', 'alice']);
    assert.equal(ack.status, 0, ack.stderr);
    assert.equal(scalar(db, `SELECT status FROM alerts WHERE id = '${alerts[0].id}'`), 'acknowledged');

    first.child.kill('SIGTERM');
    assert.equal((await first.exited).code, 0);
    assert.equal(scalar(db, 'SELECT COUNT(*) FROM writer_lease'), 0, 'a clean stop lets the lease go');
    const after = ouwatch(['replay', file, '--db', db, '-q']);
    assert.equal(after.status, 0, after.stderr);
  });

  test('after kill -9, the next daemon takes the lease over at once and says whose it was', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const file = join(dir, 'openunison.log');
    const db = join(dir, 'ouwatch.db');
    writeFileSync(file, logText(0, 50));
    const killed = daemon(file, db);
    await started(killed);
    killed.child.kill('SIGKILL');
    await killed.exited;
    const next = daemon(file, db);
    const warning = await next.waitForLog('the takeover warning', (r) => r.level === 'warn' && /took over the writer lease/.test(r.msg));
    assert.match(warning.msg, new RegExp(`from 'ouwatch run' \\(pid ${killed.child.pid} on .*process ${killed.child.pid} on .* has ended`));
    await started(next);
    next.child.kill('SIGTERM');
    assert.equal((await next.exited).code, 0);
  });

  test('readers open the file read-only: explain on a version-1 database neither migrates it nor switches it to WAL', () => {
    const dir = tempDir();
    const db = join(dir, 'old.db');
    const c = new Database(db);
    c.exec(MIGRATIONS[0].sql);
    c.pragma('user_version = 1');
    c.close();
    const before = createHash('sha256').update(readFileSync(db)).digest('hex');
    const line = '[2026-03-02 08:00:00,000][XNIO-1 task-1] INFO  AccessLog - [AzSuccess] - k8s-api - https://k8sou.example.com/api - uid=mmosley,ou=shadow,o=Tremolo - NONE [81.2.69.160] - [f00]';
    for (const args of [['explain', line], ['alerts', 'list'], ['actions', 'list'], ['user', 'uid=mmosley,ou=shadow,o=Tremolo']]) {
      const r = ouwatch([...args, '--db', db]);
      assert.equal(r.status, 2, `${args[0]}: ${r.stderr}`);
      assert.match(r.stderr, /has schema version 1; this command needs 13: upgrade it with 'ouwatch upgrade --db /, args[0]);
    }
    assert.equal(createHash('sha256').update(readFileSync(db)).digest('hex'), before, 'not a byte changed');
    assert.equal(scalar(db, 'PRAGMA user_version'), 1);
    assert.equal(scalar(db, 'PRAGMA journal_mode'), 'delete');
    assert.equal(existsSync(`${db}-wal`), false);
  });
});
