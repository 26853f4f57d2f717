import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { MAX_TRACKED, Organisation } from '../../src/components/history/organisation.js';
import { FEW_PRIVATE_NETWORKS } from '../../src/core/history.js';
import { ndjson, ok } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * The organisation's places: a network, ASN or country counts the users who have learnt an
 * address there. Only learnt addresses count, so an address held back by an alert is nobody's
 * until the alert is closed as benign; the counts come back from the store after a restart.
 */

const VPN = '87.106.231.0/24';
const line = (day: string, time: string, user: string, ip: string) =>
  `[2026-03-${day} ${time},000][XNIO-1 task-3] INFO  AccessLog - [AzSuccess] - k8s-api - https://k8sou.nordvik.example/api/v1/namespaces/shipping/pods - uid=${user},ou=users,o=Tremolo - k8s-shipping-devs [${ip}] - [f2222222222222222222222222222222222222222]`;
/** Ten successes over 90 minutes from the Stockholm office: a learnt user. */
const stockholm = (day: string, hour: number, user: string) =>
  Array.from({ length: 10 }, (_, k) => line(day, `${String(hour + Math.floor(k / 6)).padStart(2, '0')}:${String((k % 6) * 10).padStart(2, '0')}:00`, user, '89.160.20.112'));

interface AlertOut {
  id: string;
  rule: string;
  dn: string;
  ip: string;
  severity: string;
  reason: string;
}

test("an address held back by an alert is not the organisation's until the alert is closed as benign; the counts survive a restart", () => {
  const dir = tempDir();
  const db = join(dir, 'ouwatch.db');
  // Four colleagues start on the VPN (their first address: learnt). frank, known from
  // Stockholm, comes in over it later: a new country, held back. So is alice.
  const day1 = [
    ...['bob', 'carol', 'dave', 'erin'].map((u, k) => line('02', `06:0${k}:00`, u, `87.106.231.${28 + k}`)),
    ...stockholm('02', 7, 'frank'),
    line('02', '09:00:00', 'frank', '87.106.231.40'),
    ...stockholm('02', 10, 'alice'),
    line('02', '12:00:00', 'alice', '87.106.231.41'),
  ];
  writeFileSync(join(dir, 'day1.log'), day1.join('\n') + '\n');
  const first = ndjson<AlertOut>(ok(['replay', join(dir, 'day1.log'), '--db', db, '--json', '-q']).stdout);
  const newCountry = (alerts: AlertOut[], user: string) => alerts.find((a) => a.rule === 'new-country' && a.dn.startsWith(`uid=${user},`));
  const frank = newCountry(first, 'frank');
  assert.equal(frank?.severity, 'high', 'four users have the VPN as their own: not yet the organisation\'s');
  assert.equal(newCountry(first, 'alice')?.severity, 'high', "frank's held-back address does not make it the fifth");

  // The analyst recognises frank's VPN use (new country, impossible travel): his address is
  // learnt, and the VPN has five users.
  const franks = first.filter((a) => a.dn.startsWith('uid=frank,') && a.ip === frank!.ip && a.severity !== 'low');
  assert.deepEqual(franks.map((a) => a.rule).sort(), ['impossible-travel', 'new-country', 'new-source-ip']);
  for (const a of franks) ok(['alerts', 'close', a.id, '--benign', '--db', db]);

  const day2 = [...stockholm('03', 7, 'gina'), line('03', '09:00:00', 'gina', '87.106.231.50')];
  writeFileSync(join(dir, 'day2.log'), day2.join('\n') + '\n');
  const second = ndjson<AlertOut>(ok(['replay', join(dir, 'day2.log'), '--db', db, '--json', '-q']).stdout);
  assert.equal(newCountry(second, 'gina'), undefined, "the VPN's country is the gateway's, not gina's");
  // The organisation's network is low risk for new-source-ip: learnt without an alert.
  assert.deepEqual(second.filter((a) => a.dn.startsWith('uid=gina,')).map((a) => a.rule), []);
  // alice, whose own VPN address is still held back, is told why the VPN is no news for her.
  const why = ok(['explain', line('03', '09:30:00', 'alice', '87.106.231.60'), '--db', db]).stdout;
  assert.match(why, new RegExp(`from one of the organisation's networks \\(${VPN.replace(/\./g, '\\.')}, where 6 users have addresses of their own\\)`)); // gina's is learnt now too
});

test('users count once per place, however many addresses they have there', () => {
  const org = new Organisation({ minUsers: 2, networks: [] });
  // A public network (a documentation range would be private: see the equipment spec below).
  // History reports a place only when it is new for the user: the second address in a known
  // network, ASN or country reports nulls.
  org.learnt('81.224.10.0/24', 64500, 'SE');
  org.learnt(null, null, null);
  assert.equal(org.usersOnNet('81.224.10.0/24'), 1);
  assert.equal(org.whyOrgNetwork('81.224.10.7', '81.224.10.0/24'), null);
  org.learnt('81.224.10.0/24', null, null);
  assert.equal(org.whyOrgNetwork('81.224.10.7', '81.224.10.0/24'), '81.224.10.0/24, where 2 users have addresses of their own');
  assert.equal(org.usersOnAsn(64500), 1);
  assert.equal(org.usersInCountry('SE'), 1);
});

test('configured networks are the organisation\'s from the start, and say why', () => {
  const org = new Organisation({ minUsers: 5, networks: ['198.51.100.0/24'] });
  assert.equal(org.whyOrgNetwork('198.51.100.9', '198.51.100.0/24'), '198.51.100.9 is in 198.51.100.0/24, listed in detect.organisation.networks');
  assert.equal(org.whyOrgNetwork('81.224.10.9', '81.224.10.0/24'), null);
});

test('memory stays bounded: past the limit the least shared networks are let go, the shared ones stay', () => {
  const org = new Organisation({ minUsers: 5, networks: [] });
  for (let k = 0; k < 7; k++) org.learnt('203.0.113.0/24', null, null);
  const n = MAX_TRACKED + 10_000;
  const net = (k: number) => `10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}/32`;
  for (let k = 0; k < n; k++) org.learnt(net(k), null, null);
  let kept = 0;
  for (let k = 0; k < n; k++) if (org.usersOnNet(net(k)) > 0) kept++;
  assert.ok(kept <= MAX_TRACKED, `${kept} single-user networks kept (limit ${MAX_TRACKED})`);
  assert.ok(kept > 0, 'the newest are still counted');
  assert.equal(org.usersOnNet('203.0.113.0/24'), 7);
});

test('private networks are the organisation\'s equipment while its users span fewer than 20 of them: then its clients\' (seeded from the store, pruning forgets none)', () => {
  const org = new Organisation({ minUsers: 5, networks: [] });
  const pod = '10.42.0.15';
  assert.match(org.whyEquipment(pod, '10.42.0.0/24') ?? '', /only 0 private networks \(fewer than 20, detect\.organisation\.privateClientNetworks\)/);
  // Public addresses are never equipment by this count.
  assert.equal(org.whyEquipment('81.224.10.77', '81.224.10.0/24'), null);
  for (let i = 0; i < FEW_PRIVATE_NETWORKS - 1; i++) org.learnt(`10.60.${i}.0/24`, null, null);
  org.learnt('81.224.10.0/24', 3301, 'SE');
  assert.match(org.whyEquipment(pod, '10.42.0.0/24') ?? '', /only 19 private networks/);
  assert.match(org.whyOrgNetwork(pod, '10.42.0.0/24') ?? '', /an ingress's or the nodes' addresses/);
  org.learnt('fd00:1:2:3::/64', null, null);
  assert.equal(org.whyEquipment(pod, '10.42.0.0/24'), null);
  assert.equal(org.whyOrgNetwork(pod, '10.42.0.0/24'), null);
  // A start counts them from the stored counts.
  const restarted = new Organisation({ minUsers: 5, networks: [] });
  restarted.seed(Array.from({ length: FEW_PRIVATE_NETWORKS }, (_, i) => ({ kind: 'net' as const, value: `192.168.${i}.0/24`, users: 1 })));
  assert.equal(restarted.whyEquipment(pod, '10.42.0.0/24'), null);
  // detect.organisation.privateClientNetworks moves the line; 0: private addresses are clients' from the start.
  const clients = new Organisation({ minUsers: 5, networks: [], privateClientNetworks: 0 });
  assert.equal(clients.whyEquipment(pod, '10.42.0.0/24'), null);
  const three = new Organisation({ minUsers: 5, networks: [], privateClientNetworks: 3 });
  three.learnt('10.42.0.0/24', null, null);
  three.learnt('10.42.1.0/24', null, null);
  assert.match(three.whyEquipment(pod, '10.42.0.0/24') ?? '', /only 2 private networks \(fewer than 3,/);
  three.learnt('10.42.2.0/24', null, null);
  assert.equal(three.whyEquipment(pod, '10.42.0.0/24'), null);
  // The count goes as far as the setting asks, however high (up to its bound).
  const many = new Organisation({ minUsers: 5, networks: [], privateClientNetworks: 2000 });
  for (let i = 0; i < 1999; i++) many.learnt(`10.${i >> 8}.${i & 255}.0/24`, null, null);
  assert.match(many.whyEquipment(pod, '10.42.0.0/24') ?? '', /only 1,?999 private networks/);
  many.learnt('10.99.0.0/24', null, null);
  assert.equal(many.whyEquipment(pod, '10.42.0.0/24'), null);
});
