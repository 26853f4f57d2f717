import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { after, test } from 'node:test';
import { OUWATCH, spawnDaemon, type DaemonProcess } from '../../helpers/daemon.js';
import { logText } from '../../helpers/log-lines.js';
import { startPostgres } from '../../helpers/postgres.js';
import { dumpPostgres } from '../../helpers/store-dump.js';
import { tempDir } from '../../helpers/tmp.js';
import { waitFor } from '../../helpers/wait.js';
import { caughtUp, historyOf } from './live.js';
import { REQUEST_TIMEOUT_MS } from '../../helpers/http.js';

const RECORDS = 5000;
const pg = await startPostgres();
let daemon: DaemonProcess | null = null;
after(() => daemon?.child.kill('SIGKILL'));

async function readyz(base: string): Promise<{ status: number; db: string }> {
  const r = await fetch(new URL('/readyz', base), { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  return { status: r.status, db: ((await r.json()) as { db: string }).db };
}

test('the PostgreSQL server stops under the daemon: it pauses, says so on /readyz, and resumes without loss when the server is back', async (t) => {
  const dir = tempDir();
  const file = join(dir, 'app.log');
  writeFileSync(file, logText(0, 1000));
  const url = pg.url(await pg.createDatabase('loss'));
  daemon = spawnDaemon(['--file', file, '--db', url, '--listen', '127.0.0.1:0', '--poll-ms', '20', '--commit-ms', '50', '--json']);
  const base = await daemon.url();
  await waitFor('the first lines committed', () => caughtUp(url, file), 20_000);
  assert.equal((await readyz(base)).status, 200);

  let written = 1000;
  const append = async (upTo: number) => {
    while (written < upTo) {
      const n = Math.min(upTo - written, 50);
      appendFileSync(file, logText(written, written + n));
      written += n;
      await sleep(20);
    }
  };
  await append(2000);
  pg.stop('fast');
  const down = await waitFor('/readyz to report the store', async () => {
    const r = await readyz(base);
    return r.status === 503 && /paused|unavailable/.test(r.db) ? r : undefined;
  }, 20_000);
  // Lines keep coming while the server is down: read once it is back, none lost.
  await append(3500);
  await sleep(1500);
  pg.start();
  await append(RECORDS);
  await waitFor('the daemon to resume and catch up', () => caughtUp(url, file), 60_000).catch((err: Error) => {
    throw new Error(`${err.message}; the daemon logged:\n${daemon!.logs.map((l) => `${l.level} ${l.msg} ${JSON.stringify(l.err ?? '')}`).join('\n')}`);
  });
  assert.equal((await readyz(base)).status, 200);
  const paused = daemon.logs.find((l) => /storage fault: reading paused/.test(l.msg));
  assert.ok(paused, 'the pause is logged');
  assert.ok(daemon.logs.some((l) => /storage writable again: reading resumed/.test(l.msg)), 'and the resume');
  daemon.child.kill('SIGTERM');
  assert.equal((await daemon.exited).code, 0);
  const printed = daemon.stdout.map((l) => (JSON.parse(l) as { id: string }).id);
  daemon = null;

  const ref = pg.url(await pg.createDatabase('loss_ref'));
  await promisify(execFile)(process.execPath, [OUWATCH, 'replay', file, '--db', ref, '--quiet']);
  const live = historyOf(await dumpPostgres(url));
  const replayed = historyOf(await dumpPostgres(ref));
  assert.ok(replayed.alerts.length > 0);
  assert.deepEqual(live, replayed, 'nothing lost, nothing counted twice');
  assert.deepEqual([...new Set(printed)].sort(), replayed.alerts.map((a) => a.id as string).sort(), 'every alert printed');
  t.diagnostic(`/readyz while down: ${down.db}`);
});
