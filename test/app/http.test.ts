import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { spawnDaemon, type DaemonProcess } from '../helpers/daemon.js';
import { tempDir } from '../helpers/tmp.js';
import { logText } from '../helpers/log-lines.js';
import { waitFor } from '../helpers/wait.js';
import { fetchText } from '../helpers/http.js';

const children: DaemonProcess[] = [];
after(() => {
  for (const d of children) d.child.kill('SIGKILL');
});

async function get(base: string, path: string, init?: RequestInit) {
  const r = await fetchText(new URL(path, base), init);
  return { status: r.status, type: r.headers.get('content-type') ?? '', body: r.body };
}

/** The value of one sample line of the Prometheus text, or undefined. */
function sample(metrics: string, name: string): number | undefined {
  const line = metrics.split('\n').find((l) => l.startsWith(name + ' '));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

test('/healthz, /readyz and /metrics over real HTTP', async () => {
  const dir = tempDir();
  const file = join(dir, 'openunison.log');
  // 50 log4j lines: 10 logical records carry a stack trace line, one line is malformed.
  writeFileSync(file, logText(0, 50) + '[2026-03-02 99:00:00,000][XNIO-1 task-1] INFO  AccessLog - broken\n');
  const d = spawnDaemon(['--file', file, '--db', join(dir, 'ouwatch.db'), '--listen', '127.0.0.1:0']);
  children.push(d);
  const base = await d.url();

  const health = await get(base, '/healthz');
  assert.equal(health.status, 200);
  assert.deepEqual(JSON.parse(health.body), { status: 'ok' });

  const ready = await waitFor('ready', async () => {
    const r = await get(base, '/readyz');
    return r.status === 200 ? r : undefined;
  });
  const report = JSON.parse(ready.body) as { ready: boolean; db: string; sources: Array<{ name: string; attached: boolean; inputs: unknown[] }> };
  assert.equal(report.ready, true);
  assert.equal(report.db, 'open');
  assert.deepEqual(
    report.sources.map((s) => [s.name, s.attached, s.inputs]),
    [['files', true, [{ name: file, state: 'tailing' }]]],
  );

  const total = 50 + 5 + 1; // lines 9, 19… carry a second physical line, plus the malformed one
  // Lines are counted as they are read, the commit comes after: wait for both.
  const metrics = await waitFor('every line counted and committed', async () => {
    const m = await get(base, '/metrics');
    return sample(m.body, 'ouwatch_lines_read_total') === total && (sample(m.body, 'ouwatch_tail_to_commit_seconds_count') ?? 0) >= 1 ? m : undefined;
  });
  assert.match(metrics.type, /^text\/plain/);
  assert.equal(sample(metrics.body, 'ouwatch_events_total{type="AzSuccess"}'), 25);
  assert.equal(sample(metrics.body, 'ouwatch_events_total{type="ExpiredRefreshTokenUsed"}'), 5);
  assert.equal(sample(metrics.body, 'ouwatch_events_total{type="AuFail"}'), 5);
  assert.equal(sample(metrics.body, 'ouwatch_lines_skipped_total{reason="malformed"}'), 1);
  assert.equal(sample(metrics.body, 'ouwatch_source_attached{source="files"}'), 1);
  assert.equal(sample(metrics.body, 'ouwatch_outbox_depth'), 0);
  // These lines span minutes: no address is old enough to leave memory.
  assert.equal(sample(metrics.body, 'ouwatch_history_addresses_total{event="let_go"}'), 0);
  assert.equal(sample(metrics.body, 'ouwatch_history_addresses_total{event="read_back"}'), 0);
  // The alerts raised are all within their windows and far below detect.maxOpenAlerts: all held, none let go.
  const raised = [...metrics.body.matchAll(/^ouwatch_alerts_total\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
  assert.ok(raised > 0, 'the sample log raises alerts');
  assert.equal(sample(metrics.body, 'ouwatch_open_alerts'), raised);
  assert.equal(sample(metrics.body, 'ouwatch_open_alerts_let_go_total'), 0);
  assert.ok((sample(metrics.body, 'ouwatch_log_lag_seconds') ?? 0) > 0, 'the sample log is months old');
  assert.match(metrics.body, /^# TYPE ouwatch_tail_to_alert_seconds histogram$/m);
  assert.match(metrics.body, /^# TYPE ouwatch_alerts_total counter$/m);
  assert.match(metrics.body, /^ouwatch_process_resident_memory_bytes \d+/m);
  // The ingest worker's own heap (its isolate is not in the main thread's heap metrics), reported with its first batch.
  const workerUsed = sample(metrics.body, 'ouwatch_ingest_worker_heap_bytes{state="used"}') ?? 0;
  const workerTotal = sample(metrics.body, 'ouwatch_ingest_worker_heap_bytes{state="total"}') ?? 0;
  assert.ok(workerUsed > 1_000_000 && workerTotal >= workerUsed, `worker heap used ${workerUsed}, total ${workerTotal}`);
  assert.notEqual(workerUsed, sample(metrics.body, 'ouwatch_nodejs_heap_size_used_bytes'), "the worker's heap, not the main thread's");

  // Counters keep counting as lines arrive.
  appendFileSync(file, logText(50, 60));
  await waitFor('ten more lines', async () => sample((await get(base, '/metrics')).body, 'ouwatch_lines_read_total') === total + 11);

  assert.equal((await get(base, '/nothing-here')).status, 404);
  assert.equal((await get(base, '/metrics', { method: 'POST' })).status, 405);
  assert.equal((await get(base, '/healthz', { method: 'HEAD' })).status, 200);
  d.child.kill('SIGTERM');
  assert.equal((await d.exited).code, 0);
});

test('/readyz is 503 and says why while a source has nothing to follow', async () => {
  const dir = tempDir();
  const d = spawnDaemon(['--file', join(dir, 'logs/*.log'), '--db', join(dir, 'ouwatch.db'), '--listen', '127.0.0.1:0']);
  children.push(d);
  const base = await d.url();
  await d.waitForLog('start', (r) => r.msg === 'ouwatch run started');
  const r = await get(base, '/readyz');
  assert.equal(r.status, 503);
  const report = JSON.parse(r.body) as { ready: boolean; sources: Array<{ attached: boolean; detail: string }> };
  assert.equal(report.ready, false);
  assert.equal(report.sources[0].attached, false);
  assert.match(report.sources[0].detail, /no file matches .*logs\/\*\.log/);
  assert.equal((await get(base, '/healthz')).status, 200, 'alive even when not ready');
  d.child.kill('SIGTERM');
  assert.equal((await d.exited).code, 0);
});
