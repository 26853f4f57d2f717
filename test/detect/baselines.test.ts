import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { ALICE, ANON, CN, GB, H, MIN, NONE, PRIV, SE, SE2, T0, US, au, az, detect, history, keys, rulesDir, scratch } from './helpers.js';

const s = scratch();
after(() => s.done());
let n = 0;
const run = (rule: string, lines: string[], overrides = {}) => detect(s.path(`b${n++}.db`), rulesDir(s.path(`r${n}`), [rule], overrides), lines);
const LATER = T0 + 3 * H;
/** A DN with an escaped comma, as LDAP writes them. */
const US_ADMIN = 'uid=root\\, the admin,ou=admins,o=Tremolo';

test('new-source-ip: a learnt user succeeding from a new address fires once; the next request from it is known', async () => {
  const { alerts } = await run('new-source-ip', [...history(ALICE, SE), au(LATER, ALICE, SE2), az(LATER + 1000, ALICE, SE2)]);
  assert.deepEqual(keys(alerts), [`new-source-ip ${ALICE} ${SE2}`]);
  assert.equal(alerts[0].count, 1);
  assert.equal(alerts[0].severity, 'medium');
  assert.match(alerts[0].reason, /succeeded \(AuSuccess\) from 89\.160\.20\.201 \(SE\), an address never seen for this user in 12 successful events since 2026-03-02T08:00:00\.000Z \(known: 89\.160\.20\.112\)/);
});

test('new-source-ip learning period: 9 earlier successes stay quiet, 10 fire', async () => {
  const nine = await run('new-source-ip', [...history(ALICE, SE, 9, 20 * MIN), az(LATER, ALICE, SE2)]);
  assert.deepEqual(nine.alerts, []);
  const ten = await run('new-source-ip', [...history(ALICE, SE, 10, 20 * MIN), az(LATER, ALICE, SE2)]);
  assert.equal(ten.alerts.length, 1);
});

test('new-source-ip learning period: 10 successes spanning 1 h minus 1 ms stay quiet, exactly 1 h fires', async () => {
  const short = history(ALICE, SE, 9, 6 * MIN);
  const under = await run('new-source-ip', [...short, az(T0 + H - 1, ALICE, SE), az(LATER, ALICE, SE2)]);
  assert.deepEqual(under.alerts, []);
  const exact = await run('new-source-ip', [...short, az(T0 + H, ALICE, SE), az(LATER, ALICE, SE2)]);
  assert.deepEqual(keys(exact.alerts), [`new-source-ip ${ALICE} ${SE2}`]);
});

test('new-source-ip: an address seen before only failing still counts as new', async () => {
  const { alerts } = await run('new-source-ip', [...history(ALICE, SE), az(LATER - MIN, ALICE, SE2).replace('AzSuccess', 'AzFail'), az(LATER, ALICE, SE2)]);
  assert.match(alerts[0].reason, /seen before only in 1 unsuccessful events/);
});

test('new-source-ip: cn=none, the anonymous DN and excluded service accounts never alert', async () => {
  const sa = 'username=system:serviceaccount:ci:deployer,ou=oauth2,o=Tremolo';
  const lines = [...history(NONE, SE), az(LATER, NONE, CN), ...history(ANON, SE), az(LATER, ANON, CN), ...history(sa, PRIV), az(LATER, sa, '10.9.9.9')];
  const { alerts } = await run('new-source-ip', lines);
  assert.deepEqual(alerts, []);
});

test('new-source-ip: DN include patterns limit the rule to the users they match', async () => {
  const lines = [...history(ALICE, SE), ...history(US_ADMIN, SE), az(LATER, ALICE, SE2), az(LATER, US_ADMIN, SE2)];
  const { alerts } = await run('new-source-ip', lines, { 'new-source-ip': { dns: { include: ['uid=*,ou=admins,o=tremolo'], exclude: [] } } });
  assert.deepEqual(keys(alerts), [`new-source-ip ${US_ADMIN} ${SE2}`]);
});

test('new-country: a learnt user succeeding from a new country fires, high', async () => {
  const { alerts } = await run('new-country', [...history(ALICE, SE), az(LATER, ALICE, US), az(LATER + 1, ALICE, '216.160.83.57')]);
  assert.deepEqual(keys(alerts), [`new-country ${ALICE} ${US}`]);
  assert.equal(alerts[0].severity, 'high');
  assert.equal(alerts[0].country, 'US');
  assert.match(alerts[0].reason, /from 216\.160\.83\.56 in US, a country never seen for this user \(known: SE\) in 12 successful events/);
});

test('new-country: a new address in a known country, private addresses, and a user with no known country stay quiet', async () => {
  const lines = [...history(ALICE, SE), az(LATER, ALICE, SE2), az(LATER, ALICE, PRIV), ...history(US_ADMIN, PRIV), az(LATER, US_ADMIN, GB)];
  const { alerts } = await run('new-country', lines);
  assert.deepEqual(alerts, []);
});

test('new-country learning period: 9 earlier successes stay quiet', async () => {
  const { alerts } = await run('new-country', [...history(ALICE, SE, 9, 20 * MIN), az(LATER, ALICE, US)]);
  assert.deepEqual(alerts, []);
});
