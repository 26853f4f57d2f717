import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ndjson, ok } from '../helpers/cli.js';
import { spawnDaemon, type DaemonProcess } from '../helpers/daemon.js';
import { accessLine, log4jTime } from '../helpers/lines.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { REQUEST_TIMEOUT_MS } from '../helpers/http.js';

const children: DaemonProcess[] = [];
after(() => {
  for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
});

const T0 = Date.UTC(2026, 2, 2, 8, 0, 0);
const MIN = 60_000;
const ALICE = 'uid=alice,ou=users,o=Tremolo';

test('a daemon started beside two replicas with a backlog merges them by log time, as replay does', async () => {
  const dir = tempDir();
  // Replica 0: alice in Stockholm every ten minutes, buried in a large backlog of bob's traffic.
  const r0: string[] = [];
  for (let k = 0; k < 40_000; k++) {
    const t = T0 + k * 300;
    if (k % 2000 === 0) r0.push(accessLine({ time: log4jTime(t), dn: ALICE, ip: '89.160.20.112' }));
    r0.push(accessLine({ time: log4jTime(t + 1), dn: 'uid=bob,ou=users,o=Tremolo', ip: '89.160.20.40' }));
  }
  // Replica 1: alice near Seattle in between: only read in log order does she travel there and back.
  const r1 = [accessLine({ time: log4jTime(T0 + 65 * MIN), dn: ALICE, ip: '216.160.83.56' })];
  writeFileSync(join(dir, 'replica-0.log'), r0.join('\n') + '\n');
  writeFileSync(join(dir, 'replica-1.log'), r1.join('\n') + '\n');
  const total = r0.length + r1.length;

  const replayed = ndjson<{ id: string; rule: string }>(ok(['replay', join(dir, 'replica-0.log'), join(dir, 'replica-1.log'), '--db', join(dir, 'replay.db'), '--json', '-q']).stdout);
  assert.deepEqual(replayed.map((a) => a.rule).filter((r) => r === 'impossible-travel'), ['impossible-travel'], 'one trip');
  const trips = ndjson<{ count: number }>(ok(['alerts', 'list', '--rule', 'impossible-travel', '--db', join(dir, 'replay.db'), '--json']).stdout);
  assert.deepEqual(trips.map((a) => a.count), [2], 'there and back');

  const d = spawnDaemon(['--file', join(dir, '*.log'), '--db', join(dir, 'run.db'), '--json', '--listen', '127.0.0.1:0']);
  children.push(d);
  const base = await d.url();
  await waitFor(
    'every line processed',
    async () => {
      const m = await (await fetch(new URL('/metrics', base), { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })).text();
      return m.split('\n').some((l) => l === `ouwatch_lines_read_total ${total}`);
    },
    60_000,
  );
  d.child.kill('SIGTERM');
  assert.equal((await d.exited).code, 0);
  const live = ndjson<{ id: string }>(d.stdout.join('\n'));
  assert.deepEqual(live.map((a) => a.id).sort(), replayed.map((a) => a.id).sort());
});
