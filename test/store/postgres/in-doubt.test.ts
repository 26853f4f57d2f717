import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AlertUpdate } from '../../../src/core/alerts.js';
import type { CommitBatch } from '../../../src/core/ports.js';
import { User } from '../../../src/components/history/user.js';
import { historyWrites } from '../../../src/components/history/writes.js';
import { subtractLanded } from '../../../src/store/postgres/in-doubt.js';

/**
 * A commit whose answer was lost may have been stored; the next batch then carries its
 * changes again. Evidence lines are appended to an alert's stored ones, so the lines the
 * stored commit appended must not be appended a second time.
 */

const ev = (n: number) => ({ source: `/logs/a.log:${n}`, line: `line ${n}` });
const update = (id: string, lines: number[]): AlertUpdate => ({ id, rule: 'r', severity: 'medium', count: lines.length + 1, lastTime: '2026-03-02T00:00:00.000Z', evidenceTotal: lines.length + 1, evidenceAdded: lines.map(ev) });
const batch = (updated: AlertUpdate[]): CommitBatch => ({
  history: { users: [], addresses: [], countries: [], sessions: [], activity: [] },
  state: { puts: [], deletes: [], expiredBefore: null },
  alerts: { raised: [], updated },
  incidents: [],
  incidentLinks: [],
  positions: [],
  releases: [],
});

test('evidence lines the landed commit appended are not appended again; later ones are', () => {
  const landed = batch([update('a', [2, 3]), update('b', [7])]);
  const next = batch([update('a', [2, 3, 4]), update('b', [7]), update('c', [9])]);
  subtractLanded(next, { batch: landed, raised: [] });
  assert.deepEqual(
    next.alerts.updated.map((u) => [u.id, u.evidenceAdded.map((e) => e.source)]),
    [
      ['a', ['/logs/a.log:4']],
      ['b', []],
      ['c', ['/logs/a.log:9']],
    ],
  );
});

test("a session's addresses are counted as they were when the landed commit was collected: only what came after it is added", () => {
  // A commit of PostgreSQL's whose answer was lost keeps its batch, and history counts on
  // (memory is marked committed only on success). The next batch then holds both.
  const u = new User('uid=alice,ou=users,o=Tremolo', 'sha1', 1_000, 1_000);
  u.dirty = true;
  const use = (ip: string, t: number, n: number) => {
    const s = u.sessionOf('f' + '1'.repeat(40), t);
    const span = s.spanOf(ip, t);
    for (let i = 0; i < n; i++) {
      s.count++;
      span.count++;
      span.last = t;
    }
  };
  use('81.2.69.160', 1_000, 3);
  use('10.1.2.3', 1_100, 2);
  const first = historyWrites([u], []);
  use('81.2.69.160', 2_000, 4);
  const next = historyWrites([u], []);
  const b = (history: CommitBatch['history']): CommitBatch => ({ ...batch([]), history });

  assert.deepEqual(first.sessions[0].ips.map((ip) => [ip.ip, ip.count]), [['81.2.69.160', 3], ['10.1.2.3', 2]], 'the landed batch keeps the counts it was collected with');
  const after = b(next);
  subtractLanded(after, { batch: b(first), raised: [] });
  assert.equal(after.history.sessions[0].count, 4);
  assert.deepEqual(after.history.sessions[0].ips.map((ip) => [ip.ip, ip.count]), [['81.2.69.160', 4], ['10.1.2.3', 0]]);
});
