import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StoredAlert } from '../../src/core/alerts.js';
import { IncidentTracker, incidentCodec } from '../../src/components/detect/incidents.js';
import { StateTable } from '../../src/components/detect/state-table.js';

// A commit writes the alerts that joined an incident since the last commit, never the whole
// list again: an incident left open for weeks (nobody closed it) keeps gathering alerts, and
// rewriting every link at every commit would grow with its age.

const H = 3_600_000;
const DN = 'uid=mmosley,ou=shadow,o=Tremolo';

function alert(id: string, rule: string, risk: number): StoredAlert {
  return {
    id, rule, severity: 'high', time: '2026-03-02T08:00:00.000Z', dn: DN, dnSha1: null, ip: '5.255.255.5', country: 'RU',
    reason: 'test', evidence: [], status: 'open', response: null, count: 1, lastTime: '2026-03-02T08:00:00.000Z',
    respond: false, risk, evidenceTotal: 0,
  };
}

test("an incident's links are written once: all of them when it opens, then only the alerts that join it", () => {
  const windowMs = 24 * H;
  const t = new IncidentTracker({ threshold: 60, windowMs }, new StateTable('incidents/windows', incidentCodec(windowMs)));
  assert.equal(t.add(alert('a1', 'new-source-ip', 25), false, null, 1 * H, 'log:1'), null, 'below the threshold');
  const opened = t.add(alert('a2', 'new-country', 40), false, null, 2 * H, 'log:2');
  assert.ok(opened !== null);
  const first = t.collect();
  assert.deepEqual(first.links, [{ incident: opened.id, alert: 'a1' }, { incident: opened.id, alert: 'a2' }]);
  t.committed();

  t.add(alert('a3', 'impossible-travel', 40), false, null, 3 * H, 'log:3');
  const second = t.collect();
  assert.deepEqual(second.links, [{ incident: opened.id, alert: 'a3' }]);
  assert.deepEqual(second.changed.map((i) => i.alertIds), [['a1', 'a2', 'a3']], 'the incident itself still lists all its alerts');
  t.committed();
  assert.deepEqual(t.collect().links, []);
});

test('links not yet committed are collected again after a failed commit', () => {
  const windowMs = 24 * H;
  const t = new IncidentTracker({ threshold: 60, windowMs }, new StateTable('incidents/windows', incidentCodec(windowMs)));
  const i = t.add(alert('b1', 'refresh-token-replay', 100), true, null, 1 * H, 'log:1');
  assert.ok(i !== null);
  assert.equal(t.collect().links.length, 1);
  // No committed(): the store refused the commit; the next one carries the same link.
  t.add(alert('b2', 'new-country', 40), false, null, 2 * H, 'log:2');
  assert.deepEqual(t.collect().links.map((l) => l.alert), ['b1', 'b2']);
});

test('an alert that joins an open incident again (its line read a second time) adds no link, no id and no risk, also on an incident loaded from the store', () => {
  const windowMs = 24 * H;
  const t = new IncidentTracker({ threshold: 60, windowMs }, new StateTable('incidents/windows', incidentCodec(windowMs)));
  const opened = t.add(alert('c1', 'refresh-token-replay', 100), true, null, 1 * H, 'log:1');
  assert.ok(opened !== null);
  t.add(alert('c2', 'new-country', 40), false, null, 2 * H, 'log:2');
  t.committed();
  const risk = opened.risk;
  t.add(alert('c2', 'new-country', 40), false, null, 2 * H, 'log:2');
  t.add(alert('c1', 'refresh-token-replay', 100), true, null, 1 * H, 'log:1');
  assert.deepEqual(t.collect().links, []);
  assert.deepEqual(opened.alertIds, ['c1', 'c2']);
  assert.equal(opened.risk, risk);

  // A later process: the incident comes from the store with its alerts.
  const later = new IncidentTracker({ threshold: 60, windowMs }, new StateTable('incidents/windows', incidentCodec(windowMs)));
  later.load([{ ...opened, alertIds: [...opened.alertIds], rules: [...opened.rules] }]);
  later.add(alert('c2', 'new-country', 40), false, null, 2 * H, 'log:2');
  later.add(alert('c3', 'new-source-ip', 25), false, null, 3 * H, 'log:3');
  assert.deepEqual(later.collect().links.map((l) => l.alert), ['c3']);
});

test('an open incident holds its latest 1,000 alert ids and counts them all; every alert is linked once', () => {
  const windowMs = 24 * H;
  const t = new IncidentTracker({ threshold: 60, windowMs }, new StateTable('incidents/windows', incidentCodec(windowMs)));
  const opened = t.add(alert('d0', 'refresh-token-replay', 100), true, null, 1 * H, 'log:0');
  assert.ok(opened !== null);
  let linked = t.collect().links.length;
  t.committed();
  for (let k = 1; k < 2_500; k++) {
    t.add(alert(`d${k}`, 'new-source-ip', 1), false, null, 1 * H + k * 1_000, `log:${k}`);
    if (k % 700 === 0) {
      linked += t.collect().links.length;
      t.committed();
    }
  }
  linked += t.collect().links.length;
  t.committed();
  assert.equal(linked, 2_500, 'every alert linked');
  assert.equal(opened.alertCount, 2_500);
  assert.equal(opened.alertIds.length, 1_000);
  assert.deepEqual(opened.alertIds.slice(0, 2), ['d1500', 'd1501'], 'the latest, oldest first');
  assert.equal(opened.alertIds.at(-1), 'd2499');
  assert.equal(opened.risk, 100 + 2_499);

  // A held id again (its line read a second time): nothing.
  t.add(alert('d2400', 'new-source-ip', 1), false, null, 1 * H + 2_400 * 1_000, 'log:2400');
  assert.deepEqual(t.collect().links, []);
  // An id no longer held, older than the latest alert: most likely read again. Linked (the
  // store keeps one link per alert), not counted and no risk.
  t.add(alert('d10', 'new-source-ip', 1), false, null, 1 * H + 10 * 1_000, 'log:10');
  assert.deepEqual(t.collect().links.map((l) => l.alert), ['d10']);
  t.committed();
  assert.equal(opened.alertCount, 2_500);
  assert.equal(opened.risk, 100 + 2_499);
  // A new alert: counted, and the oldest held id makes room.
  t.add(alert('d2500', 'new-source-ip', 1), false, null, 1 * H + 2_500 * 1_000, 'log:2500');
  assert.equal(opened.alertCount, 2_501);
  assert.equal(opened.alertIds.length, 1_000);
  assert.equal(opened.alertIds[0], 'd1501');
  assert.equal(opened.risk, 100 + 2_500);
});
