import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { after, test } from 'node:test';
import pg from 'pg';
import { fingerprintOf } from '../../../src/components/sources/files/fingerprint.js';
import { OUWATCH, spawnDaemon, type DaemonProcess } from '../../helpers/daemon.js';
import { logLine } from '../../helpers/log-lines.js';
import { startPostgres } from '../../helpers/postgres.js';
import { dumpPostgres } from '../../helpers/store-dump.js';
import { tempDir } from '../../helpers/tmp.js';
import { waitFor } from '../../helpers/wait.js';
import { historyOf } from './live.js';

const server = await startPostgres();
const children: DaemonProcess[] = [];
after(() => {
  for (const d of children) d.child.kill('SIGKILL');
});

/** Every file staged to its end, and every staged line committed by detection (then deleted). */
async function settled(url: string, files: string[]): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    for (const f of files) {
      const bytes = readFileSync(f);
      if (bytes.length === 0) continue;
      const r = await client.query<{ offset: string }>('SELECT "offset" FROM checkpoints WHERE fingerprint = $1', [fingerprintOf(bytes, false)]);
      if (r.rows.length === 0 || Number(r.rows[0].offset) !== bytes.length) return false;
    }
    return Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM staged_lines')).rows[0].n) === 0;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

test('three replicas, a sidecar each, one PostgreSQL database: the same alerts and history as one replay of the three logs, also when the detecting sidecar is killed', async (t) => {
  const dir = tempDir();
  const files = [0, 1, 2].map((r) => join(dir, `replica-${r}.log`));
  for (const f of files) writeFileSync(f, '');
  const url = server.url(await server.createDatabase('sidecars'));
  const sidecar = (r: number) => {
    const d = spawnDaemon(['--shared', '--reader', `replica-${r}`, '--file', files[r], '--db', url, '--listen', '127.0.0.1:0', '--poll-ms', '20', '--commit-ms', '50', '--merge-window-ms', '2000', '--json']);
    children.push(d);
    return d;
  };
  const running = [0, 1, 2].map(sidecar);
  const detecting = (d: DaemonProcess) => d.logs.some((l) => /^shared reading: this reader detects/.test(l.msg));
  const leader = await waitFor('one sidecar to detect', () => running.findIndex(detecting) >= 0 && running.findIndex(detecting), 20_000);
  await waitFor('every sidecar reading', () => running.every((d) => d.logs.some((l) => /^staging: reading/.test(l.msg))), 20_000);

  // Traffic in log-time order, spread over the replicas as a load balancer would.
  let next = 0;
  const traffic = async (upTo: number, replicas: number[]) => {
    while (next < upTo) {
      for (let k = 0; k < 30 && next < upTo; k++, next++) appendFileSync(files[replicas[next % replicas.length]], logLine(next) + '\n');
      await sleep(15);
    }
  };
  await traffic(1500, [0, 1, 2]);
  await waitFor('every line detected', () => settled(url, files), 30_000);

  // The detecting sidecar dies while the other replicas keep logging; another takes over.
  const others = [0, 1, 2].filter((r) => r !== leader);
  const flowing = traffic(3000, others);
  await sleep(400);
  running[leader].child.kill('SIGKILL');
  const killedAt = Date.now();
  const successor = await waitFor('another sidecar to take over detection', () => others.find((r) => detecting(running[r])), 15_000);
  const tookMs = Date.now() - killedAt;
  await flowing;
  running[leader] = sidecar(leader); // restarted, as its pod's container would be
  await running[leader].waitForLog('the restarted sidecar to read again', (l) => /^staging: reading/.test(l.msg), 20_000);
  await traffic(4500, [0, 1, 2]);
  await waitFor('every line detected after the takeover', () => settled(url, files), 30_000);
  for (const d of running) d.child.kill('SIGTERM');
  for (const d of running) assert.equal((await d.exited).code, 0);

  const ref = server.url(await server.createDatabase('sidecars_ref'));
  await promisify(execFile)(process.execPath, [OUWATCH, 'replay', ...files, '--db', ref, '--quiet']);
  // Evidence from shared reading names the reader too (`replica-0:/path:line`): the rest is the same.
  const shared = JSON.parse(JSON.stringify(historyOf(await dumpPostgres(url))).replace(/replica-\d:(?=\/)/g, '')) as ReturnType<typeof historyOf>;
  const replayed = historyOf(await dumpPostgres(ref));
  assert.ok((await dumpPostgres(url)).alerts.every((a) => (a.evidence as string).includes('"source":"replica-')), 'evidence names the reader');
  assert.ok(replayed.alerts.length > 0 && replayed.users.length > 0);
  assert.deepEqual(shared, replayed, 'the sidecars together saw what one reader of all three logs sees');
  const printed = new Set(children.flatMap((d) => d.stdout.map((l) => (JSON.parse(l) as { id: string }).id)));
  for (const a of replayed.alerts) assert.ok(printed.has(a.id as string), `alert ${String(a.id)} printed by a detecting sidecar`);
  t.diagnostic(`sidecar ${successor} took over detection ${tookMs} ms after replica-${leader}'s was killed; ${next} lines, ${replayed.alerts.length} alerts, ${replayed.user_ips.length} user addresses identical`);
});
