import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Evidence, StoredAlert } from '../../src/core/alerts.js';
import type { Finding } from '../../src/components/detect/detector.js';
import { OpenAlertTable } from '../../src/components/detect/open-alert-table.js';
import { AlertTracker } from '../../src/components/detect/tracker.js';

// The open alerts live in typed-array slots: what a slot holds must be exactly what the alert
// put there, whatever slot it reuses, and an alert replaced while it waits for its commit
// must still be written by that commit.

const line = (n: number): Evidence => ({ source: `app.log:${n}`, line: `[2026-03-03 10:00:${String(n % 60).padStart(2, '0')},000][XNIO-1 task-1] INFO  AccessLog - line ${n}` });

function alert(id: string, evidence: Evidence[], over: Partial<StoredAlert> = {}): StoredAlert {
  return {
    id, rule: 'new-source-ip', severity: 'medium', time: '2026-03-03T10:00:00.000Z', dn: 'uid=a,o=Tremolo', dnSha1: 'x', ip: '81.2.69.142',
    country: 'GB', reason: 'r', evidence, status: 'open', response: null, count: 1, lastTime: '2026-03-03T10:00:00.000Z', respond: false,
    risk: 20, evidenceTotal: evidence.length, suppressKey: null, ...over,
  };
}

test('a slot holds its alert: id, counts, times, and each evidence line once up to the limit (past the columns, too)', () => {
  const table = new OpenAlertTable();
  const t0 = Date.parse('2026-03-03T10:00:00.000Z');
  const slot = table.add(alert('00ff00ff00ff00ff', [line(1)]), t0, t0 + 86_400_000, true);
  assert.equal(table.id(slot), '00ff00ff00ff00ff');
  const odd = table.add(alert('not-hex-id', []), t0, t0 + 1, true);
  assert.equal(table.id(odd), 'not-hex-id');
  assert.equal(table.repeat(slot, t0 + 5_000, [line(1), line(2)], 2, 8), true, 'a stored alert repeated becomes dirty once');
  for (let n = 3; n <= 12; n++) assert.equal(table.repeat(slot, t0 + n * 1000, [line(n), line(n - 1)], 2, 8), false);
  const u = table.update(slot);
  assert.equal(u.count, 12);
  assert.equal(u.evidenceTotal, 1 + 2 * 11);
  assert.equal(u.lastTime, new Date(t0 + 12_000).toISOString());
  assert.deepEqual(u.evidenceAdded.map((e) => e.source), ['app.log:2', 'app.log:3', 'app.log:4', 'app.log:5', 'app.log:6', 'app.log:7', 'app.log:8'], 'seven lines added to the stored one: eight in all');
  table.stored(slot);
  assert.deepEqual(table.update(slot).evidenceAdded, [], 'a commit lets the added lines go');
});

test('a released slot taken again holds nothing of the alert before it', () => {
  const table = new OpenAlertTable();
  const a = table.add(alert('aaaaaaaaaaaaaaaa', [line(1), line(2), line(3), line(4), line(5), line(6)]), 0, 10, false);
  table.repeat(a, 5, [line(7)], 1, 20);
  table.release(a);
  const b = table.add(alert('bbbbbbbbbbbbbbbb', [line(1)], { rule: 'new-country', severity: 'high', status: 'acknowledged', count: 3 }), 100, 200, false);
  assert.equal(b, a, 'the slot is reused');
  const full = table.full(b);
  assert.equal(full.id, 'bbbbbbbbbbbbbbbb');
  assert.equal(full.rule, 'new-country');
  assert.equal(full.severity, 'high');
  assert.equal(full.status, 'acknowledged');
  assert.equal(full.count, 3);
  assert.deepEqual(full.evidence, [line(1)]);
  // Line 2 was the released alert's: it is new to this one.
  table.repeat(b, 150, [line(1), line(2)], 2, 20);
  assert.deepEqual(table.full(b).evidence, [line(1), line(2)]);
  assert.equal(table.firstTime(b), 100);
  assert.equal(table.openUntil(b), 200);
});

const finding = (ip: string, n: number): Finding =>
  ({ dn: 'uid=a,o=Tremolo', dnSha1: 'x', ip, country: 'GB', reason: () => `from ${ip}`, evidence: () => [line(n)] }) as unknown as Finding;

test('an alert replaced while it waits for its commit is still written by it, and its slot is used again after', () => {
  const tracker = new AlertTracker(20);
  const rule = { id: 'new-source-ip', severity: 'medium', respond: false, suppressMs: 1_000, risk: 20 } as const;
  const first = tracker.raise(rule, finding('81.2.69.142', 1), 0, { raw: () => 'line 1' });
  // The window has passed: the same key raises a new alert, replacing the first in the map.
  const second = tracker.raise(rule, finding('81.2.69.142', 2), 5_000, { raw: () => 'line 2' });
  assert.ok(first.isNew && second.isNew && first.id !== second.id);
  const { raised } = tracker.collect();
  assert.deepEqual(raised.map((a) => a.id), [first.id, second.id], 'both are written');
  tracker.committed();
  // The first's slot is free again: a third alert takes it and the second is untouched.
  const third = tracker.raise(rule, finding('81.2.69.143', 3), 5_500, { raw: () => 'line 3' });
  const repeat = tracker.raise(rule, finding('81.2.69.142', 4), 5_600, { raw: () => 'line 4' });
  assert.ok(!repeat.isNew);
  assert.equal(tracker.idOf(repeat.slot), second.id, 'the repeat is counted on the second');
  const next = tracker.collect();
  assert.deepEqual(next.raised.map((a) => a.id), [third.isNew ? third.id : ''], 'the third is new');
  assert.deepEqual(next.updated.map((u) => [u.id, u.count]), [[second.id, 2]]);
});
