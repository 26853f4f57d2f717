import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CommitReport } from '../../src/pipeline/committer.js';
import type { RunStats, WorkerStats } from '../../src/core/runtime.js';
import type { StoredAlert } from '../../src/core/alerts.js';
import { DaemonMetrics } from '../../src/app/http/metrics.js';

function alert(rule: string, severity: StoredAlert['severity'], source: string): StoredAlert {
  return {
    id: `a-${rule}`,
    rule,
    severity,
    time: '2026-03-02T08:00:00.000Z',
    dn: 'uid=mmosley,ou=shadow,o=Tremolo',
    dnSha1: '5204c08a79c11dbdc2fdda1e07bc866fb4f22888',
    ip: '81.2.69.160',
    country: 'GB',
    reason: 'test',
    evidence: [{ source, line: '…' }],
    status: 'open',
    response: null,
    count: 1,
    lastTime: '2026-03-02T08:00:00.000Z',
    respond: false,
    risk: 40,
    evidenceTotal: 1,
  };
}

function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('alerts by rule and severity and tail-to-alert latency come from commit results', async () => {
  const stats: RunStats = { linesRead: 0, events: {}, lineKinds: {}, skippedBytes: 0, users: 0, usersExact: true, alertsRaised: 0, alertsUpdated: 0 };
  const m = new DaemonMetrics({ stats: () => stats, lastEventTs: () => null, workers: () => [], sources: () => [] });
  const report: CommitReport = {
    raised: [alert('refresh-token-replay', 'critical', '/logs/app.log:42'), alert('new-country', 'high', '/logs/app.log:43')],
    updated: [{ ...alert('new-country', 'high', '/logs/app.log:44'), evidenceAdded: [] }],
    opened: [],
    incidents: [],
    feeds: [],
    lines: 3,
    logTimeTick: null,
    // The bytes of the one batch this commit covers were read at 1000 (performance.now()).
    arrivals: [1000],
    committedAt: 1120,
    durationMs: 2,
  };
  m.recordCommit(report, 1150);
  const text = (await m.render()).body;
  assert.equal(value(text, 'ouwatch_alerts_total{rule="refresh-token-replay",severity="critical"}'), 1);
  assert.equal(value(text, 'ouwatch_alerts_total{rule="new-country",severity="high"}'), 1);
  assert.equal(value(text, 'ouwatch_alert_repeats_total{rule="new-country",severity="high"}'), 1);
  assert.equal(value(text, 'ouwatch_tail_to_alert_seconds_count'), 2);
  assert.equal(value(text, 'ouwatch_tail_to_alert_seconds_bucket{le="0.1"}'), 0, '150 ms after its line was read');
  assert.equal(value(text, 'ouwatch_tail_to_alert_seconds_bucket{le="0.2"}'), 2);
  assert.equal(value(text, 'ouwatch_tail_to_commit_seconds_count'), 1);
});

test('worker counters (actions, notifications, outbox depth) are read at scrape time and only go up', async () => {
  const stats: RunStats = { linesRead: 7, events: { AzSuccess: 5 }, lineKinds: { oversized: 1 }, skippedBytes: 0, users: 1, usersExact: true, alertsRaised: 0, alertsUpdated: 0 };
  const worker: WorkerStats = { outboxDepth: 3, actions: { done: 2, failed: 1 }, notifications: { email: { sent: 4 } } };
  const m = new DaemonMetrics({ stats: () => stats, lastEventTs: () => Date.now() - 2000, workers: () => [worker], sources: () => [] });
  let text = (await m.render()).body;
  assert.equal(value(text, 'ouwatch_lines_read_total'), 7);
  assert.equal(value(text, 'ouwatch_events_total{type="AzSuccess"}'), 5);
  assert.equal(value(text, 'ouwatch_events_total{type="AuFail"}'), 0);
  assert.equal(value(text, 'ouwatch_lines_skipped_total{reason="oversized"}'), 1);
  assert.equal(value(text, 'ouwatch_actions_total{result="done"}'), 2);
  assert.equal(value(text, 'ouwatch_notifications_total{channel="email",result="sent"}'), 4);
  assert.equal(value(text, 'ouwatch_outbox_depth'), 3);
  assert.ok(value(text, 'ouwatch_log_lag_seconds')! >= 2);
  stats.linesRead = 10;
  worker.actions = { done: 5, failed: 1 };
  worker.outboxDepth = 0;
  text = (await m.render()).body;
  assert.equal(value(text, 'ouwatch_lines_read_total'), 10);
  assert.equal(value(text, 'ouwatch_actions_total{result="done"}'), 5);
  assert.equal(value(text, 'ouwatch_outbox_depth'), 0);
});
