import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { BIN, ok, ouwatch } from '../helpers/cli.js';
import { spawnDaemon, type DaemonProcess } from '../helpers/daemon.js';
import { logText } from '../helpers/log-lines.js';
import { stateSnapshot } from '../helpers/state-snapshot.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { fetchText, REQUEST_TIMEOUT_MS } from '../helpers/http.js';

/**
 * Real storage faults, made without mounting anything:
 * - a full disk: RLIMIT_FSIZE (`prlimit`), which makes the kernel refuse every write past the
 *   limit (EFBIG, SQLite's "disk I/O error") exactly where a full volume refuses it (ENOSPC);
 *   lowered and raised on the running process with `prlimit --pid`;
 * - an immutable file or directory: `chattr +i`, which even root cannot write through (these
 *   tests run as root: chattr needs CAP_LINUX_IMMUTABLE).
 * After the fault clears, the database must equal one uninterrupted replay of the same lines.
 */

const children: DaemonProcess[] = [];
const immutable: string[] = [];
after(() => {
  for (const d of children) d.child.kill('SIGKILL');
  for (const p of immutable) spawnSync('chattr', ['-i', p]);
});

function daemon(args: string[]): DaemonProcess {
  const d = spawnDaemon(['--listen', '127.0.0.1:0', ...args]);
  children.push(d);
  return d;
}

/** Physical lines committed (the checkpoint), 0 before the db or its schema exists. */
function committedLines(db: string): number {
  if (!existsSync(db)) return 0;
  const c = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return (c.prepare('SELECT COALESCE(MAX(line_no), 0) AS n FROM checkpoints').get() as { n: number }).n;
  } catch {
    return 0; // schema not created yet
  } finally {
    c.close();
  }
}

async function readyz(d: DaemonProcess): Promise<{ status: number; body: { ready: boolean; db: string; storage?: { state: string; reason: string } } }> {
  let res: Response;
  try {
    res = await fetch(new URL('/readyz', await d.url()), { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (err) {
    // Say what became of the daemon, not only that its address did not answer.
    const exit = await Promise.race([d.exited, new Promise((r) => setTimeout(() => r(null), 2000))]);
    const cause = (err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new Error(`/readyz did not answer (${cause}); the daemon ${exit === null ? 'is still running' : `exited: ${JSON.stringify(exit)}`}; its last log lines: ${JSON.stringify(d.logs.slice(-3))}`);
  }
  return { status: res.status, body: (await res.json()) as never };
}

/** Commits the daemon has finished (its commit histogram's count). */
async function commitsDone(d: DaemonProcess): Promise<number> {
  const text = (await fetchText(new URL('/metrics', await d.url()))).body;
  return Number(/^ouwatch_commit_duration_seconds_count(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? NaN);
}

/**
 * Waits until no commit has finished for a second: seeing a commit's rows from another
 * connection does not mean the daemon is done with it (SQLite may still be checkpointing
 * the WAL into the db file), and a file made immutable under that write is a SIGBUS no
 * check can prevent. The faults below hit a daemon at rest, as an operator's would.
 */
async function atRest(d: DaemonProcess): Promise<void> {
  let last = await commitsDone(d);
  let still = 0;
  await waitFor('the daemon at rest', async () => {
    await new Promise((r) => setTimeout(r, 250));
    const now = await commitsDone(d);
    still = now === last ? still + 1 : 0;
    last = now;
    return still >= 4 ? true : undefined;
  }, 30_000);
}

const chattr = (flag: '+i' | '-i', ...paths: string[]) => {
  execFileSync('chattr', [flag, ...paths]);
  if (flag === '+i') immutable.push(...paths);
};

/** The daemon's db after the fault equals a replay of the whole log into a fresh db. */
function assertSameAsReplay(db: string, log: string, dir: string): void {
  const reference = join(dir, 'reference.db');
  ok(['replay', log, '--db', reference, '-q']);
  assert.deepEqual(stateSnapshot(db), stateSnapshot(reference));
}

const PHYSICAL = (n: number) => n + Math.floor(n / 10); // logText: every tenth line carries a stack-trace line

describe('storage faults pause the daemon; they do not crash it', () => {
  test('disk full: reading pauses (nothing consumed), /readyz 503 with the reason, one error line, then it resumes without loss', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    const log = join(dir, 'openunison.log');
    const db = join(dir, 'ouwatch.db');
    writeFileSync(log, logText(0, 1000));
    const d = daemon(['--file', log, '--db', db]);
    await waitFor('the first lines committed', () => committedLines(db) === PHYSICAL(1000), 30_000);
    const pid = String(d.child.pid);

    execFileSync('prlimit', ['--pid', pid, '--fsize=1:unlimited']); // no file of the daemon may grow: the disk is full
    appendFileSync(log, logText(1000, 2000));
    const paused = await waitFor('the pause on /readyz', async () => {
      const r = await readyz(d);
      return r.status === 503 && r.body.storage?.state === 'paused' ? r : undefined;
    }, 30_000);
    assert.match(paused.body.storage!.reason, /cannot write .*ouwatch\.db: .*RLIMIT_FSIZE/);
    assert.match(paused.body.db, /^paused: /);
    appendFileSync(log, logText(2000, 3000)); // written while paused
    assert.equal(committedLines(db), PHYSICAL(1000), 'nothing was committed past the fault');

    execFileSync('prlimit', ['--pid', pid, '--fsize=unlimited:unlimited']); // space is back
    await d.waitForLog('the resume', (r) => r.msg === 'storage writable again: reading resumed from the last commit', 60_000);
    await waitFor('every line committed', () => committedLines(db) === PHYSICAL(3000), 30_000);
    assert.equal((await readyz(d)).status, 200);
    d.child.kill('SIGTERM');
    assert.equal((await d.exited).code, 0);

    const errors = d.logs.filter((r) => r.level === 'error' || r.level === 'fatal');
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.match(errors[0].msg, /^storage fault: reading paused, retrying with backoff/);
    assertSameAsReplay(db, log, dir);
  });

  test('an immutable database (chattr +i on the db, -wal and -shm): a pause instead of SIGBUS, and a resume once it is writable', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    const log = join(dir, 'openunison.log');
    const db = join(dir, 'ouwatch.db');
    const config = join(dir, 'ouwatch.yaml');
    // The outbox worker stays idle between commits, so the files change under a daemon at rest.
    writeFileSync(config, 'outbox: { pollMs: 600000 }\n');
    writeFileSync(log, logText(0, 500));
    const d = daemon(['--file', log, '--db', db, '--config', config]);
    await waitFor('the first lines committed', () => committedLines(db) === PHYSICAL(500), 30_000);
    await atRest(d);

    chattr('+i', db, `${db}-wal`, `${db}-shm`);
    appendFileSync(log, logText(500, 1000));
    const paused = await waitFor('the pause', async () => {
      const r = await readyz(d);
      return r.status === 503 ? r : undefined;
    }, 30_000);
    assert.match(paused.body.storage!.reason, /is immutable \(chattr \+i\) or write-protected \(EPERM\)/);
    assert.equal(d.child.exitCode, null, 'still running');

    chattr('-i', db, `${db}-wal`, `${db}-shm`);
    await waitFor('every line committed', () => committedLines(db) === PHYSICAL(1000), 60_000);
    d.child.kill('SIGTERM');
    const exit = await d.exited;
    assert.deepEqual(exit, { code: 0, signal: null });
    assertSameAsReplay(db, log, dir);
  });

  test('a store that cannot be created at start: one line naming the db and the cause, exit 2', () => {
    const dir = tempDir();
    const locked = join(dir, 'locked');
    mkdirSync(locked);
    writeFileSync(join(dir, 'x.log'), logText(0, 10));
    chattr('+i', locked);
    const r = spawnSync(process.execPath, [BIN, 'run', '--file', join(dir, 'x.log'), '--db', join(locked, 'ouwatch.db'), '--listen', '127.0.0.1:0'], { encoding: 'utf8', timeout: 30_000 });
    chattr('-i', locked);
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^ouwatch: cannot create db .*locked\/ouwatch\.db: its directory is not writable \(EPERM\)/);
  });
});

describe('a storage fault stops a replay with one line; the next replay resumes', () => {
  test('disk full mid-replay: exit 1, one line naming the db and the cause, no stack; the checkpoint is consistent', { timeout: 120_000 }, () => {
    const dir = tempDir();
    const log = join(dir, 'big.log');
    const db = join(dir, 'ouwatch.db');
    writeFileSync(log, logText(0, 30_000));
    const cut = spawnSync('prlimit', ['--fsize=1000000:unlimited', process.execPath, BIN, 'replay', log, '--db', db, '--commit-every', '1000', '-q'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(cut.status, 1, cut.stderr);
    assert.equal(cut.stderr.trim().split('\n').length, 1, cut.stderr);
    assert.match(cut.stderr, /^ouwatch: cannot write .*ouwatch\.db: disk I\/O error \(SQLITE_IOERR\w*\): this process may not write files larger than 1000000 bytes \(RLIMIT_FSIZE\)$/m);
    const before = committedLines(db);
    assert.ok(before > 0 && before < PHYSICAL(30_000), `stopped part-way (${before} lines committed)`);

    const rest = ouwatch(['replay', log, '--db', db, '-q']);
    assert.equal(rest.status, 0, rest.stderr);
    assert.equal(committedLines(db), PHYSICAL(30_000));
    assertSameAsReplay(db, log, dir);
  });
});
