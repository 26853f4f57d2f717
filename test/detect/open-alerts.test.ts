import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OpenAlerts } from '../../src/components/detect/open-alerts.js';

// The tracker's open alerts by (rule, DN, address or suppress key).

test('open alerts are found by rule, DN and key; null DN and key are keys of their own; emptied maps go', () => {
  const open = new OpenAlerts<string>();
  open.set('new-source-ip', 'uid=a', '81.2.69.142', 'A');
  open.set('new-source-ip', 'uid=b', '81.2.69.142', 'B');
  open.set('auth-failure-burst', null, '81.2.69.142', 'N');
  open.set('session-moved', 'uid=a', 'session:f1', 'S');
  assert.equal(open.get('new-source-ip', 'uid=a', '81.2.69.142'), 'A');
  assert.equal(open.get('new-source-ip', 'uid=a', '81.2.69.143'), undefined);
  assert.equal(open.get('auth-failure-burst', null, '81.2.69.142'), 'N');
  assert.equal(open.get('auth-failure-burst', 'uid=a', '81.2.69.142'), undefined, 'another DN is another alert');
  assert.equal(open.get('new-source-ip', 'uid=a', null), undefined);
  open.set('new-source-ip', 'uid=a', '81.2.69.142', 'A2');
  assert.equal(open.get('new-source-ip', 'uid=a', '81.2.69.142'), 'A2', 'set replaces');

  const seen: string[] = [];
  // Deleting while walking, as the tracker's trim does.
  open.forEach((v, rule, dn, key) => {
    seen.push(`${v} ${rule} ${dn} ${key}`);
    if (v !== 'S') open.delete(rule, dn, key);
  });
  assert.deepEqual(seen.sort(), ['A2 new-source-ip uid=a 81.2.69.142', 'B new-source-ip uid=b 81.2.69.142', 'N auth-failure-burst  81.2.69.142', 'S session-moved uid=a session:f1']);
  const left: string[] = [];
  open.forEach((v) => left.push(v));
  assert.deepEqual(left, ['S']);
  open.delete('session-moved', 'uid=a', 'session:f1');
  open.delete('session-moved', 'uid=a', 'session:f1');
  let any = false;
  open.forEach(() => (any = true));
  assert.equal(any, false);
});
