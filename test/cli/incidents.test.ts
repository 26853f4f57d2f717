import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Incident } from '../../src/core/incidents.js';
import { openDatabase } from '../../src/store/sqlite/database.js';
import { SqliteIncidentStore } from '../../src/store/sqlite/incidents.js';
import { scratch, storedIncidents } from '../detect/helpers.js';
import { SAMPLE_LOGS, lines, ndjson, ok, ouwatch } from '../helpers/cli.js';

// `ouwatch incidents list|show|ack|close|reopen`: the incidents detection recorded replaying
// the sample (mmosley's, and the failed logins' network), with the listing vocabulary of alerts.

const s = scratch();
after(() => s.done());
const db = s.path('incidents.db');
const MM = 'uid=mmosley,ou=shadow,o=Tremolo';
let recorded: Array<Incident & { key: string }> = [];

before(() => {
  ok(['replay', ...SAMPLE_LOGS, '--db', db, '-q']);
  recorded = storedIncidents(db).map((i) => ({ ...i, status: i.status as Incident['status'], severity: i.severity as Incident['severity'] }));
});

const list = (...args: string[]) => ndjson<Incident>(ok(['incidents', 'list', '--db', db, '--json', ...args]).stdout);

test('list --json: one incident per line, the contract fields in contract order, latest activity first', () => {
  const all = list();
  assert.equal(all.length, 2);
  assert.equal(all.length, recorded.length);
  assert.deepEqual(Object.keys(all[0]), ['id', 'status', 'severity', 'risk', 'dn', 'ip', 'firstTime', 'lastTime', 'rules', 'alertIds']);
  assert.deepEqual(all.map((i) => i.lastTime), all.map((i) => i.lastTime).sort().reverse());
  const mm = all.find((i) => i.dn === MM)!;
  assert.equal(mm.severity, 'critical');
  assert.equal(mm.alertIds.length, 6);
  assert.equal(mm.risk, 242.5);
  assert.deepEqual(all.map((i) => i.dn ?? i.ip), [MM, '175.16.199.0/24']);
  assert.deepEqual(mm.rules.sort(), ['authz-failure-burst', 'impossible-travel', 'new-country', 'new-source-ip', 'refresh-token-grace-burst', 'refresh-token-replay']);
});

test('the shared filters: severity, rule (an incident holding one), DN in any case, address block (a network\'s incident by its block or an address in it)', () => {
  assert.deepEqual(list('--severity', 'CRITICAL').map((i) => i.dn), [MM]);
  assert.deepEqual(list('--rule', 'refresh-token-replay').map((i) => i.dn), [MM]);
  assert.deepEqual(list('--dn', 'UID=MMOSLEY*').map((i) => i.dn), [MM]);
  assert.deepEqual(list('--rule', 'auth-failure-burst').map((i) => i.ip), ['175.16.199.0/24']);
  assert.deepEqual(list('--severity', 'medium').map((i) => i.ip), ['175.16.199.0/24']);
  // A network incident is found by its block, a block holding it, or an address inside it.
  assert.deepEqual(list('--ip', '175.16.199.0/24').map((i) => i.ip), ['175.16.199.0/24']);
  assert.deepEqual(list('--ip', '175.16.0.0/16').map((i) => i.ip), ['175.16.199.0/24']);
  assert.deepEqual(list('--ip', '175.16.199.77').map((i) => i.ip), ['175.16.199.0/24']);
  assert.deepEqual(list('--ip', '175.16.199.0/25'), []);
  assert.deepEqual(list('--ip', '5.255.255.0/24').map((i) => i.dn), [MM]);
  const table = lines(ok(['incidents', '--db', db]).stdout);
  assert.match(table[0], /^2 incidents: 1 critical, 1 medium; by rule: auth-failure-burst 1, authz-failure-burst 1, impossible-travel 1, new-country 1, new-source-ip 1, refresh-token-grace-burst 1, refresh-token-replay 1$/);
  const r = ouwatch(['incidents', 'list', '--db', db, '--rule', 'nope']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^ouwatch: --rule: unknown rule 'nope'/);
});

test('show prints the incident with its alerts and history; --json is one object', () => {
  const mm = recorded.find((i) => i.dn === MM)!;
  const text = ok(['incidents', 'show', mm.id, '--db', db]).stdout;
  assert.match(text, new RegExp(`^${mm.id} {2}critical {2}risk 242\\.5 {2}\\[open\\]\\n`));
  assert.match(text, /alerts \(6\)\n/);
  // The copy's refresh failing at 11:55 carries cn=none: keyed on its address, shown beside his incident.
  assert.match(text, /\n {2}alerts without a user from these addresses, within a day \(1\)\n {4}2026-03-03T11:55:00\.004Z {2}medium {4}stale-refresh-token {12}open {9}[0-9a-f]{16} {2}A refresh token was used after its grace period from 5\.255\.255\.5 \(RU\)/);
  const json = JSON.parse(ok(['incidents', 'show', mm.id, '--db', db, '--json']).stdout) as Incident & { alerts: Array<{ id: string }>; key: string; addressAlerts: Array<{ rule: string; dn: string | null; ip: string }> };
  assert.deepEqual(json.alerts.map((a) => a.id), mm.alertIds);
  assert.equal(json.key, `dn:${MM}`);
  assert.deepEqual(json.addressAlerts.map((a) => [a.rule, a.dn, a.ip]), [['stale-refresh-token', null, '5.255.255.5']]);
  // The copy's failure, shown alone, points back at his incident.
  const stale = (json.addressAlerts[0] as unknown as { id: string }).id;
  assert.match(ok(['alerts', 'show', stale, '--db', db]).stdout, new RegExp(`\\n {2}users' incidents on this address, within a day: ${mm.id} \\(ouwatch incidents show ID\\)\\n`));
  // The failed logins' network incident: nothing beside it.
  const network = recorded.find((i) => i.dn === null)!;
  assert.doesNotMatch(ok(['incidents', 'show', network.id, '--db', db]).stdout, /alerts without a user/);
});

test('close --benign closes the incident and its alerts as benign, recording who and why', () => {
  const mm = recorded.find((i) => i.dn === MM)!;
  ok(['incidents', 'ack', mm.id, '--db', db, '--by', 'alice']);
  const out = ok(['incidents', 'close', mm.id, '--benign', '--db', db, '--by', 'alice', '--comment', 'pentest']).stdout;
  assert.equal(out, `incident ${mm.id} closed as benign, with its alerts by alice: pentest\n`);
  const shown = JSON.parse(ok(['incidents', 'show', mm.id, '--db', db, '--json']).stdout) as { status: string; closedBenign: boolean; history: Array<{ status: string; by: string }>; alerts: Array<{ status: string }> };
  assert.equal(shown.status, 'closed');
  assert.equal(shown.closedBenign, true);
  assert.deepEqual(shown.history.map((h) => [h.status, h.by]), [['open', 'ouwatch'], ['acknowledged', 'alice'], ['closed', 'alice']]);
  assert.deepEqual(new Set(shown.alerts.map((a) => a.status)), new Set(['closed']));
  const alert = JSON.parse(ok(['alerts', 'show', mm.alertIds[0], '--db', db, '--json']).stdout) as { closedBenign: boolean; incidentIds: string[]; history: Array<{ comment: string }> };
  assert.equal(alert.closedBenign, true);
  assert.deepEqual(alert.incidentIds, [mm.id]);
  assert.equal(alert.history.at(-1)!.comment, `closed with incident ${mm.id}: pentest`);
  assert.equal(list().length, recorded.length - 1, 'closed incidents leave the default list');
  ok(['incidents', 'reopen', mm.id, '--db', db]);
});

test('record updates an incident as alerts join it, and never overwrites its status', () => {
  const d = openDatabase(db);
  try {
    const store = new SqliteIncidentStore(d);
    const first = recorded[0];
    store.record({ ...first, status: 'closed', risk: 999, alertIds: first.alertIds.slice(0, 1) }, Date.now());
    return store.detail(first.id).then((i) => {
      assert.equal(i!.risk, 999);
      assert.equal(i!.status, 'open', 'analysts own the status');
      assert.deepEqual(i!.alertIds, first.alertIds, 'links are added, never removed');
    });
  } finally {
    d.close();
  }
});
