import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AlertUpdate } from '../../../src/core/alerts.js';
import type { CommitBatch } from '../../../src/core/ports.js';
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
