import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
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

const RECORDS = 6000;
const pg = await startPostgres();
const children: DaemonProcess[] = [];
after(() => {
  for (const d of children) d.child.kill('SIGKILL');
});

test('a second run on the same PostgreSQL database stands by, takes over within 15 s of a SIGKILL, and the history equals one replay', async (t) => {
  const dir = tempDir();
  const file = join(dir, 'app.log');
  writeFileSync(file, logText(0, 1500));
  const url = pg.url(await pg.createDatabase('standby'));
  const args = ['--file', file, '--db', url, '--listen', '127.0.0.1:0', '--poll-ms', '20', '--commit-ms', '50', '--json'];
  const start = () => {
    const d = spawnDaemon(args);
    children.push(d);
    return d;
  };

  const active = start();
  await active.waitForLog('the first daemon to start', (r) => r.msg === 'ouwatch run started');
  const standby = start();
  const waiting = await standby.waitForLog('the second daemon to stand by', (r) => r.msg === 'standby listening');
  const ready = await fetch(new URL('/readyz', String(waiting.address)), { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  assert.equal(ready.status, 503);
  const report = (await ready.json()) as { ready: boolean; db: string };
  assert.match(report.db, /^standby: 'ouwatch run' \(pid \d+ on .+\) holds the writer lease/);

  // Lines keep coming; the active daemon is killed half-way.
  let written = 1500;
  const writer = (async () => {
    while (written < RECORDS) {
      const n = Math.min(RECORDS - written, 60);
      appendFileSync(file, logText(written, written + n));
      written += n;
      await sleep(25);
    }
  })();
  await waitFor('3,000 lines written', () => written >= 3000, 20_000);
  active.child.kill('SIGKILL');
  const killedAt = Date.now();
  assert.equal((await active.exited).signal, 'SIGKILL');
  await standby.waitForLog('the standby to take over', (r) => r.msg === 'ouwatch run started', 15_000);
  const tookMs = Date.now() - killedAt;
  await writer;
  await waitFor('the new writer to catch up', () => caughtUp(url, file), 30_000);
  standby.child.kill('SIGTERM');
  assert.equal((await standby.exited).code, 0);

  // The same lines through one replay into another database.
  const ref = pg.url(await pg.createDatabase('standby_ref'));
  await promisify(execFile)(process.execPath, [OUWATCH, 'replay', file, '--db', ref, '--quiet']);
  const live = historyOf(await dumpPostgres(url));
  const replayed = historyOf(await dumpPostgres(ref));
  assert.ok(replayed.users.length > 0 && replayed.alerts.length > 0, 'the lines make history and raise alerts');
  assert.deepEqual(live, replayed, 'nothing lost, nothing counted twice');
  // Every alert reached stdout (the first daemon's or the second's: at least once).
  const printed = new Set([...active.stdout, ...standby.stdout].map((l) => (JSON.parse(l) as { id: string }).id));
  for (const a of replayed.alerts) assert.ok(printed.has(a.id as string), `alert ${String(a.id)} printed`);
  t.diagnostic(`took over ${tookMs} ms after the SIGKILL; ${RECORDS} lines, ${replayed.users.length} users, ${replayed.alerts.length} alerts identical`);
  assert.equal(readFileSync(file, 'utf8').split('\n').length - 1 >= RECORDS, true);
});
