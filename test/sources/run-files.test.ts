import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, renameSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { fingerprintOf } from '../../src/components/sources/files/fingerprint.js';
import { spawnDaemon, type DaemonProcess } from '../helpers/daemon.js';
import { committedCounts, countsOf, type EventCounts } from '../helpers/event-counts.js';
import { BASE_TIME, logText } from '../helpers/log-lines.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { getText, metric } from '../helpers/http.js';

// `ouwatch run --file 'dir/app.log*'` as a sidecar runs it: a real daemon process following a
// log that is rotated by rename (the new file starting with the same JVM banner as the old
// one), or truncated in place under it. What it committed is compared with what was written.

const BANNER = 'Picked up JAVA_TOOL_OPTIONS: -Xmx1g\n';

const daemons: DaemonProcess[] = [];
after(() => {
  for (const d of daemons) d.child.kill('SIGKILL');
});

function start(dir: string, extra: string[] = []): DaemonProcess {
  const d = spawnDaemon(['--file', join(dir, 'app.log*'), '--db', join(dir, 'ouwatch.db'), '--listen', '127.0.0.1:0', '--poll-ms', '20', '--rescan-ms', '200', '--commit-ms', '50', ...extra]);
  daemons.push(d);
  return d;
}

async function stop(d: DaemonProcess): Promise<void> {
  d.child.kill('SIGTERM');
  const { code } = await d.exited;
  assert.equal(code, 0, d.rawErrors.join('\n'));
}

const physical = (text: string) => text.split('\n').length - 1;

function sum(...counts: EventCounts[]): EventCounts {
  const out: EventCounts = {};
  for (const c of counts) for (const [dn, byType] of Object.entries(c)) for (const [t, n] of Object.entries(byType)) (out[dn] ??= {})[t] = (out[dn][t] ?? 0) + n;
  return out;
}

function checkpointOffset(db: string, fileText: string): number | undefined {
  const d = new Database(db, { readonly: true });
  try {
    const row = d.prepare('SELECT offset FROM checkpoints WHERE fingerprint = ?').get(fingerprintOf(Buffer.from(fileText), true)) as { offset: number } | undefined;
    return row?.offset;
  } finally {
    d.close();
  }
}

test('rotation by rename where the new file starts with the same banner: no line of either file is lost or read twice', async () => {
  const dir = tempDir();
  const file = join(dir, 'app.log');
  const old = BANNER + logText(0, 200) + logText(200, 260);
  writeFileSync(file, BANNER + logText(0, 200));
  const d = start(dir);
  const base = await d.url();
  await waitFor('the first lines', async () => (await metric(base, 'ouwatch_lines_read_total')) === physical(BANNER + logText(0, 200)));
  // The last lines of the old file, then the rename, then a new file that begins with the same
  // banner, written in two steps (its first record line comes a moment later).
  appendFileSync(file, logText(200, 260));
  renameSync(file, file + '.1');
  writeFileSync(file, BANNER);
  await sleep(150);
  const next = BANNER + logText(260, 400, BASE_TIME) + logText(400, 450, BASE_TIME);
  appendFileSync(file, logText(260, 400));
  await sleep(100);
  appendFileSync(file, logText(400, 450));
  assert.equal(readFileSync(file, 'utf8'), next);
  const total = physical(old) + physical(next);
  await waitFor('both files read', async () => (await metric(base, 'ouwatch_lines_read_total')) === total, 20_000);
  await sleep(300); // a rescan that read anything twice would show now
  assert.equal(await metric(base, 'ouwatch_lines_read_total'), total);
  await stop(d);
  assert.deepEqual(committedCounts(join(dir, 'ouwatch.db')), sum(countsOf(old), countsOf(next)), 'every event of both files committed once');
  assert.equal(d.logs.filter((r) => /different log|truncated|lost/.test(r.msg)).length, 0, JSON.stringify(d.logs.filter((r) => r.level === 'warn' || (r.level as unknown) === 40)));
});

test('a file truncated in place after a burst the daemon had not read yet: a warning names the bytes lost; what was read and what comes next are kept', async () => {
  const dir = tempDir();
  const file = join(dir, 'app.log');
  const first = logText(0, 100);
  writeFileSync(file, first);
  const d = start(dir);
  const base = await d.url();
  await waitFor('the first lines', async () => (await metric(base, 'ouwatch_lines_read_total')) === physical(first));
  // A burst written far faster than the daemon reads it (it holds at most a few MB ahead of
  // processing), then the file is truncated in place (copytruncate without the copy).
  const burst = logText(100, 200_000);
  appendFileSync(file, burst);
  const size = statSync(file).size;
  // Once it has processed more than it may read ahead (a few MB), it has seen the whole burst.
  await waitFor('the daemon reading the burst', async () => ((await metric(base, 'ouwatch_lines_read_total')) ?? 0) > physical(first) + 30_000, 60_000);
  truncateSync(file, 0);
  const lost = await d.waitForLog('the loss', (r) => typeof r.bytes === 'number' && r.reason === 'truncated', 30_000);
  assert.equal(lost.level, 'warn');
  assert.equal(lost.path, file);
  assert.match(lost.msg, new RegExp(`^${lost.bytes} bytes of .*app\\.log were truncated away before they could be read`));
  const bytes = lost.bytes as number;
  assert.ok(bytes > 0 && bytes < Buffer.byteLength(burst), `${bytes} bytes lost of a ${Buffer.byteLength(burst)} byte burst`);
  // The same figure is counted where an operator looks: /metrics and /readyz.
  assert.equal(await metric(base, 'ouwatch_bytes_lost_total{source="files",reason="truncated"}'), bytes);
  assert.equal(await metric(base, 'ouwatch_bytes_lost_total{source="files",reason="deleted"}'), 0);
  const ready = JSON.parse(await getText(new URL('/readyz', base))) as { sources: Array<{ name: string; lostBytes?: Record<string, number> }> };
  assert.deepEqual(ready.sources.find((s) => s.name === 'files')?.lostBytes, { truncated: bytes, deleted: 0 });

  // The application goes on writing into the truncated file: a new log, read from its start.
  const after = logText(0, 50, BASE_TIME + 86_400_000);
  appendFileSync(file, after);
  await waitFor('the new lines', () => checkpointOffset(join(dir, 'ouwatch.db'), after) === Buffer.byteLength(after), 30_000);
  await stop(d);
  // Everything handed over before the truncation was processed, up to its last complete line;
  // the lost bytes are exactly the rest.
  const readUpTo = checkpointOffset(join(dir, 'ouwatch.db'), first + burst)!;
  const received = size - bytes;
  const before = Buffer.from(first + burst).subarray(0, readUpTo).toString('utf8');
  assert.ok(readUpTo <= received && received - readUpTo < 300, `read up to ${readUpTo}, received ${received}`);
  assert.ok(before.endsWith('\n'));
  assert.deepEqual(committedCounts(join(dir, 'ouwatch.db')), sum(countsOf(before), countsOf(after)));
});
