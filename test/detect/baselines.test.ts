import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { ALICE, ANON, CN, GB, H, MIN, NONE, PRIV, SE, SE2, SE_HOME, SE_POOL, T0, US, au, az, azFail, detect, history, keys, rulesDir, scratch } from './helpers.js';

const s = scratch();
after(() => s.done());
let n = 0;
const run = (rule: string, lines: string[], overrides = {}) => detect(s.path(`b${n++}.db`), rulesDir(s.path(`r${n}`), [rule], overrides), lines);
const LATER = T0 + 3 * H;
/** A DN with an escaped comma, as LDAP writes them. */
const US_ADMIN = 'uid=root\\, the admin,ou=admins,o=Tremolo';

test('new-source-ip: a learnt user succeeding from a network never seen for them fires once, medium; the network is learnt at once, so the next request from it is quiet', async () => {
  const { alerts } = await run('new-source-ip', [...history(ALICE, SE), au(LATER, ALICE, SE_HOME), az(LATER + 1000, ALICE, SE_HOME)]);
  assert.deepEqual(keys(alerts), [`new-source-ip ${ALICE} ${SE_HOME}`]);
  const a = alerts[0];
  assert.equal(a.severity, 'medium');
  assert.equal(a.risk, 25);
  // The shipped rule does not quarantine (a new network is common): the second success is not new.
  assert.equal(a.count, 1);
  assert.equal(a.evidenceTotal, 1);
  assert.match(
    a.reason,
    /succeeded \(AuSuccess\) from 81\.224\.10\.5 \(SE\) AS3301 Telia Company AB, a network \(81\.224\.10\.0\/24\) never seen for this user in 12 successful events since 2026-03-02T08:00:00\.000Z \(known: 89\.160\.20\.0\/24\)/,
  );
});

test('new-source-ip with quarantine: true: the new network is not learnt while its alert is open, and the next request counts on the same alert', async () => {
  const { alerts } = await run('new-source-ip', [...history(ALICE, SE), au(LATER, ALICE, SE_HOME), az(LATER + 1000, ALICE, SE_HOME)], { 'new-source-ip': { quarantine: true } });
  assert.deepEqual(keys(alerts), [`new-source-ip ${ALICE} ${SE_HOME}`]);
  assert.equal(alerts[0].count, 2);
  assert.equal(alerts[0].evidenceTotal, 2);
});

test('new-source-ip: another address of a known /24 (a home line changing address) is not new', async () => {
  const { alerts } = await run('new-source-ip', [...history(ALICE, SE), au(LATER, ALICE, SE2)]);
  assert.deepEqual(alerts, []);
});

test('new-source-ip: IPv6 privacy addresses inside a known /64 are not new; another /64 is', async () => {
  const home6 = '2a02:2770::21a:4aff:fe8e:aa61';
  const lines = [...history(ALICE, '2a02:2770::1'), az(LATER, ALICE, home6), az(LATER + MIN, ALICE, '2a02:2770:0:1::5')];
  // Low-risk findings shown (the other /64 is her own ISP's): new or not is what is checked here.
  const { alerts } = await run('new-source-ip', lines, { 'new-source-ip': { params: { quietWhenLow: false } } });
  assert.deepEqual(keys(alerts), [`new-source-ip ${ALICE} 2a02:2770:0:1::5`]);
  assert.match(alerts[0].reason, /a network \(2a02:2770:0:1::\/64\) never seen/);
});

test('new-source-ip: a new /24 inside an ASN and country the user already has is learnt without an alert (quietWhenLow, as shipped)', async () => {
  const { alerts } = await run('new-source-ip', [...history(ALICE, SE), az(LATER, ALICE, SE_POOL), az(LATER + MIN, ALICE, SE_HOME)]);
  // The home line of another ISP is new; the pool of her own ISP is not news.
  assert.deepEqual(keys(alerts), [`new-source-ip ${ALICE} ${SE_HOME}`]);
  assert.match(alerts[0].reason, /\(known: 89\.160\.20\.0\/24, 89\.160\.30\.0\/24\)/);
});

test('new-source-ip with quietWhenLow: false: a new /24 inside an ASN and country the user already has is low severity and low risk', async () => {
  const { alerts } = await run('new-source-ip', [...history(ALICE, SE), az(LATER, ALICE, SE_POOL)], { 'new-source-ip': { params: { quietWhenLow: false } } });
  assert.deepEqual(keys(alerts), [`new-source-ip ${ALICE} ${SE_POOL}`]);
  assert.equal(alerts[0].severity, 'low');
  assert.equal(alerts[0].risk, 5);
  assert.match(alerts[0].reason, /inside a known asn and country: low risk/);
});

test('new-source-ip: a low-severity finding does not keep its address from being learnt, even with quarantine: true (the next success from it is quiet)', async () => {
  const lines = [...history(ALICE, SE), az(LATER, ALICE, SE_POOL), az(LATER + MIN, ALICE, SE_POOL)];
  const { alerts } = await run('new-source-ip', lines, { 'new-source-ip': { quarantine: true, params: { quietWhenLow: false } } });
  assert.deepEqual(keys(alerts), [`new-source-ip ${ALICE} ${SE_POOL}`]);
  assert.equal(alerts[0].severity, 'low');
  assert.equal(alerts[0].count, 1);
});

test('new-source-ip learning period: 9 earlier successes stay quiet, 10 fire', async () => {
  const nine = await run('new-source-ip', [...history(ALICE, SE, 9, 20 * MIN), az(LATER, ALICE, SE_HOME)]);
  assert.deepEqual(nine.alerts, []);
  const ten = await run('new-source-ip', [...history(ALICE, SE, 10, 20 * MIN), az(LATER, ALICE, SE_HOME)]);
  assert.equal(ten.alerts.length, 1);
});

test('new-source-ip learning period: 10 successes spanning 1 h minus 1 ms stay quiet, exactly 1 h fires', async () => {
  const short = history(ALICE, SE, 9, 6 * MIN);
  const under = await run('new-source-ip', [...short, az(T0 + H - 1, ALICE, SE), az(LATER, ALICE, SE_HOME)]);
  assert.deepEqual(under.alerts, []);
  const exact = await run('new-source-ip', [...short, az(T0 + H, ALICE, SE), az(LATER, ALICE, SE_HOME)]);
  assert.deepEqual(keys(exact.alerts), [`new-source-ip ${ALICE} ${SE_HOME}`]);
});

test('new-source-ip: an address seen before only failing is not learnt, so its first success is new', async () => {
  const { alerts } = await run('new-source-ip', [...history(ALICE, SE), azFail(LATER - MIN, ALICE, SE_HOME), az(LATER, ALICE, SE_HOME)]);
  assert.deepEqual(keys(alerts), [`new-source-ip ${ALICE} ${SE_HOME}`]);
  assert.equal(alerts[0].time, new Date(LATER).toISOString());
});

test('new-source-ip: cn=none, the anonymous DN and excluded service accounts never alert', async () => {
  const sa = 'username=system:serviceaccount:ci:deployer,ou=oauth2,o=Tremolo';
  const lines = [...history(NONE, SE), az(LATER, NONE, CN), ...history(ANON, SE), az(LATER, ANON, CN), ...history(sa, PRIV), az(LATER, sa, '10.9.9.9')];
  const { alerts } = await run('new-source-ip', lines);
  assert.deepEqual(alerts, []);
});

test('new-source-ip: DN include patterns limit the rule to the users they match', async () => {
  const lines = [...history(ALICE, SE), ...history(US_ADMIN, SE), az(LATER, ALICE, SE_HOME), az(LATER, US_ADMIN, SE_HOME)];
  const { alerts } = await run('new-source-ip', lines, { 'new-source-ip': { dns: { include: ['uid=*,ou=admins,o=tremolo'], exclude: [] } } });
  assert.deepEqual(keys(alerts), [`new-source-ip ${US_ADMIN} ${SE_HOME}`]);
});

test('new-country: a learnt user succeeding from a new country fires, high; while it is open that country is not learnt', async () => {
  const { alerts } = await run('new-country', [...history(ALICE, SE), az(LATER, ALICE, US), az(LATER + 1, ALICE, US), az(LATER + 2, ALICE, '216.160.83.57')]);
  // The same address counts on the open alert; another address there is new again (its own alert).
  assert.deepEqual(keys(alerts), [`new-country ${ALICE} ${US}`, `new-country ${ALICE} 216.160.83.57`]);
  assert.equal(alerts[0].severity, 'high');
  assert.equal(alerts[0].risk, 40);
  assert.equal(alerts[0].country, 'US');
  assert.equal(alerts[0].count, 2);
  assert.match(alerts[0].reason, /from 216\.160\.83\.56 \(US\) AS209 CenturyLink Communications, LLC, a country \(US\) never seen for this user in 12 successful events since 2026-03-02T08:00:00\.000Z \(known: SE\)/);
});

test('new-country: a new address in a known country, private addresses, and a user with no known country stay quiet', async () => {
  const lines = [...history(ALICE, SE), az(LATER, ALICE, SE_HOME), az(LATER, ALICE, PRIV), ...history(US_ADMIN, PRIV), az(LATER, US_ADMIN, GB)];
  const { alerts } = await run('new-country', lines);
  assert.deepEqual(alerts, []);
});

test('new-country learning period: 9 earlier successes stay quiet', async () => {
  const { alerts } = await run('new-country', [...history(ALICE, SE, 9, 20 * MIN), az(LATER, ALICE, US)]);
  assert.deepEqual(alerts, []);
});
