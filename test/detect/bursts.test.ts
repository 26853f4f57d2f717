import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { dnSha1 } from '../../src/core/identity.js';
import { ALICE, ANON, CN, MIN, NONE, RU, SE, SEC, T0, au, auFail, azFail, detect, expired, history, keys, rulesDir, scratch } from './helpers.js';

const s = scratch();
after(() => s.done());
let n = 0;
const run = (rule: string, lines: string[]) => detect(s.path(`b${n++}.db`), rulesDir(s.path(`r${n}`), [rule]), lines);
/** `count` events `gap` ms apart starting at T0. */
const times = (count: number, gap: number) => Array.from({ length: count }, (_, i) => T0 + i * gap);

test('auth-failure-burst: 9 AuFail from one address within 5 min stay quiet', async () => {
  const { alerts } = await run('auth-failure-burst', times(9, 20 * SEC).map((t) => auFail(t, CN)));
  assert.deepEqual(alerts, []);
});

test('auth-failure-burst: the 10th AuFail exactly 5 min after the first fires, keyed on the address with no DN', async () => {
  const { alerts } = await run('auth-failure-burst', times(10, (5 * MIN) / 9).map((t) => auFail(t, CN)));
  assert.deepEqual(keys(alerts), ['auth-failure-burst - 175.16.199.5']);
  const a = alerts[0];
  assert.equal(a.dn, null);
  assert.equal(a.dnSha1, null);
  assert.equal(a.severity, 'medium');
  assert.equal(a.country, 'CN');
  assert.match(a.reason, /^10 failed logins \(AuFail\) from 175\.16\.199\.5 \(CN\) within 5 min \(rule: 10 within 5 min\)/);
  assert.equal(a.time, new Date(T0 + 5 * MIN).toISOString());
  assert.equal(a.risk, 60);
  // Every line of the burst (up to detect.maxEvidence), the one that completed it last.
  assert.deepEqual(a.evidence.map((e) => Number(e.source.split(':').pop())), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(a.evidence[9].line, auFail(T0 + 5 * MIN, CN));
  assert.equal(a.evidenceTotal, 10);
});

test('auth-failure-burst: 10 AuFail spanning 5 min and 1 ms stay quiet', async () => {
  const lines = times(9, 20 * SEC).map((t) => auFail(t, CN));
  lines.push(auFail(T0 + 5 * MIN + 1, CN));
  const { alerts } = await run('auth-failure-burst', lines);
  assert.deepEqual(alerts, []);
});

test('auth-failure-burst: addresses are counted apart, and a long attack counts one repeat per full burst', async () => {
  const lines = [...times(25, 5 * SEC).map((t) => auFail(t, CN)), ...times(9, 5 * SEC).map((t) => auFail(t + 1, RU))];
  const { alerts } = await run('auth-failure-burst', lines);
  assert.deepEqual(keys(alerts), ['auth-failure-burst - 175.16.199.5']);
  assert.equal(alerts[0].count, 2);
  // Two full bursts of ten: twenty lines made the alert, and it keeps them all (maxEvidence 20).
  assert.equal(alerts[0].evidenceTotal, 20);
  assert.equal(alerts[0].evidence.length, 20);
  // The same with a commit every three lines: the second burst's lines are appended to the
  // stored ones, each once, in order.
  const committing = await detect(s.path(`b${n++}.db`), rulesDir(s.path(`r${n}`), ['auth-failure-burst']), lines, undefined, (c) => (c.store.commitEvery = 3));
  assert.deepEqual(committing.alerts.map((a) => [a.count, a.evidenceTotal]), [[2, 20]]);
  assert.deepEqual(committing.alerts[0].evidence.map((e) => Number(e.source.split(':').pop())), Array.from({ length: 20 }, (_, i) => i + 1));
});

test('auth-failure-spray: 25 AuFail from 25 addresses of one /24 within an hour fire once, keyed on the network; 24 stay quiet', async () => {
  const spray = (count: number) => times(count, 2 * MIN).map((t, i) => auFail(t, `175.16.199.${10 + i}`));
  const quiet = await run('auth-failure-spray', spray(24));
  assert.deepEqual(quiet.alerts, []);
  const { alerts } = await run('auth-failure-spray', [...spray(25), auFail(T0 + 50 * MIN, '175.16.199.200')]);
  assert.deepEqual(keys(alerts), ['auth-failure-spray - 175.16.199.0/24']);
  const a = alerts[0];
  assert.equal(a.dn, null);
  assert.equal(a.severity, 'high');
  assert.equal(a.risk, 60);
  assert.equal(a.country, 'CN');
  assert.equal(a.time, new Date(T0 + 48 * MIN).toISOString());
  assert.match(a.reason, /^25 failed logins \(AuFail\) from network 175\.16\.199\.0\/24 \(25 distinct addresses\) within 48 min \(rule: 25 within 1 h\)/);
  // The 26th starts a new window: below the threshold again, nothing more is counted.
  assert.equal(a.count, 1);
});

test('auth-failure-spray: 25 failures from 4 addresses of one /24 are not a spray (noisy addresses are the burst rule\'s); from 5 they are', async () => {
  const from = (k: number) => times(25, 2 * MIN).map((t, i) => auFail(t, `175.16.199.${10 + (i % k)}`));
  assert.deepEqual((await run('auth-failure-spray', from(4))).alerts, []);
  // A single noisy address neither.
  assert.deepEqual((await run('auth-failure-spray', times(30, MIN).map((t) => auFail(t, CN)))).alerts, []);
  const { alerts } = await run('auth-failure-spray', from(5));
  assert.deepEqual(keys(alerts), ['auth-failure-spray - 175.16.199.0/24']);
  assert.match(alerts[0].reason, /^25 failed logins \(AuFail\) from network 175\.16\.199\.0\/24 \(5 distinct addresses\) within 48 min/);
});

test('auth-failure-spray: one address of a /24 failing 10 times a second for 20 min is no spray; four more addresses make one, counting every failure', async () => {
  const noisy = times(12_000, 100).map((t) => auFail(t, CN));
  assert.deepEqual((await run('auth-failure-spray', noisy)).alerts, []);
  const end = T0 + 12_000 * 100;
  const others = [11, 12, 13, 14].map((h, i) => auFail(end + i * SEC, `175.16.199.${h}`));
  const { alerts } = await run('auth-failure-spray', [...noisy, ...others]);
  assert.deepEqual(keys(alerts), ['auth-failure-spray - 175.16.199.0/24']);
  assert.equal(alerts[0].time, new Date(end + 3 * SEC).toISOString());
  assert.match(alerts[0].reason, /^12,004 failed logins \(AuFail\) from network 175\.16\.199\.0\/24 \(5 distinct addresses\) within 20 min 3 s/);
  assert.equal(alerts[0].evidenceTotal, 12_004);
});

test('auth-failure-spray: 25 failures spread over 25 networks are not a spray', async () => {
  const { alerts } = await run('auth-failure-spray', times(25, MIN).map((t, i) => auFail(t, `175.16.${100 + i}.5`)));
  assert.deepEqual(alerts, []);
});

test('auth-failure-distributed-spray: 100 AuFail from 50 networks within 10 min fire once for the whole log, naming no user and no address; 99, or 49 networks, or 10 min and 1 ms stay quiet', async () => {
  // Failure i from 175.16.<i % k>.<i % 250 + 1>: k networks (/24) at most, 6 s apart.
  const spray = (count: number, k: number, gap = 6 * SEC) => times(count, gap).map((t, i) => auFail(t, `175.16.${i % k}.${(i % 250) + 1}`));
  assert.deepEqual((await run('auth-failure-distributed-spray', spray(99, 99))).alerts, []);
  assert.deepEqual((await run('auth-failure-distributed-spray', spray(150, 49))).alerts, []);
  const late = spray(100, 100);
  late[99] = auFail(T0 + 10 * MIN + 1, '175.16.99.100');
  assert.deepEqual((await run('auth-failure-distributed-spray', late)).alerts, []);
  const { alerts } = await run('auth-failure-distributed-spray', [...spray(100, 50), auFail(T0 + 11 * MIN, CN)]);
  assert.deepEqual(keys(alerts), ['auth-failure-distributed-spray - -']);
  const a = alerts[0];
  assert.deepEqual([a.dn, a.ip, a.country, a.severity, a.risk, a.count], [null, null, null, 'high', 60, 1]);
  assert.equal(a.time, new Date(T0 + 99 * 6 * SEC).toISOString());
  assert.match(a.reason, /^100 failed logins \(AuFail\) in all \(50 distinct networks\) within 9 min 54 s \(rule: 100 within 10 min\).*OpenUnison does not log which user was tried\.$/);
  // The per-address and per-network rules see nothing in it: two failures per address at most, one address per /24.
  const all = await detect(s.path(`b${n++}.db`), rulesDir(s.path(`r${n}`)), spray(200, 100));
  assert.deepEqual(keys(all.alerts), ['auth-failure-distributed-spray - -']);
  assert.equal(all.alerts[0].count, 2);
});

test('auth-failure-burst: a line logged out of order counts in its place (the burst spans from its first to its last event); one older than the window is not counted', async () => {
  const at = (i: number) => T0 + i * 30 * SEC;
  // The 3rd failure (at 1 min) is written after the 10th (at 4 min 30 s) and completes the burst.
  const late = [0, 1, 3, 4, 5, 6, 7, 8, 9, 2].map((i) => auFail(at(i), CN));
  const { alerts } = await run('auth-failure-burst', late);
  assert.equal(alerts.length, 1);
  assert.match(alerts[0].reason, /^10 failed logins \(AuFail\) from 175\.16\.199\.5 \(CN\) within 4 min 30 s /);
  // Nine failures 10 min on, then a line from 10 min before them (read again): not a tenth within 5 min.
  const nine = times(9, 10 * SEC).map((t) => auFail(t + 10 * MIN, CN));
  assert.deepEqual((await run('auth-failure-burst', [...nine, auFail(T0, CN)])).alerts, []);
});

test('authz-failure-burst: 9 AzFail for a user stay quiet, the 10th within 5 min fires for the DN', async () => {
  const quiet = await run('authz-failure-burst', times(9, 30 * SEC).map((t) => azFail(t, ALICE, SE)));
  assert.deepEqual(quiet.alerts, []);
  const { alerts } = await run('authz-failure-burst', times(10, 30 * SEC).map((t) => azFail(t, ALICE, SE)));
  assert.deepEqual(keys(alerts), [`authz-failure-burst ${ALICE} ${SE}`]);
  assert.match(alerts[0].reason, /10 denied requests \(AzFail\) for uid=alice,ou=users,o=Tremolo within 4 min 30 s/);
  assert.equal(alerts[0].dnSha1, dnSha1(ALICE));
});

test('authz-failure-burst: a burst ending at another address is another alert, up to 10 open for the user; beyond, a spray counts on the latest', async () => {
  // 150 denials, 5 s apart, each from its own address: 15 bursts of ten within 24 h, each ending at a new address.
  const sprayed = (i: number) => `81.2.${69 + (i >> 6)}.${10 + (i & 63)}`;
  const spray = times(150, 5 * SEC).map((t, i) => azFail(t, ALICE, sprayed(i)));
  const three = await run('authz-failure-burst', spray.slice(0, 30));
  assert.deepEqual(three.alerts.map((a) => [a.ip, a.count]), [[sprayed(9), 1], [sprayed(19), 1], [sprayed(29), 1]]);
  const { alerts } = await run('authz-failure-burst', spray);
  assert.equal(alerts.length, 10);
  assert.deepEqual(alerts.map((a) => a.count), [1, 1, 1, 1, 1, 1, 1, 1, 1, 6]);
  assert.equal(alerts[9].ip, sprayed(99));
  assert.equal(alerts[9].lastTime, new Date(T0 + 149 * 5 * SEC).toISOString());
  // Another user's bursts from those addresses are that user's own alerts.
  const bob = 'uid=bob,ou=users,o=Tremolo';
  const two = await run('authz-failure-burst', [...spray, ...times(10, 5 * SEC).map((t, i) => azFail(t + 1, bob, sprayed(i)))].sort());
  assert.deepEqual(two.alerts.filter((a) => a.dn === bob).map((a) => [a.ip, a.count]), [[sprayed(9), 1]]);
});

test('authz-failure-burst: 10 AzFail spanning 5 min and 1 ms stay quiet', async () => {
  const t = times(10, 30 * SEC);
  t[9] = T0 + 5 * MIN + 1;
  const { alerts } = await run('authz-failure-burst', t.map((x) => azFail(x, ALICE, SE)));
  assert.deepEqual(alerts, []);
});

test('authz-failure-burst: cn=none and the anonymous DN never get a per-user alert', async () => {
  const lines = [...times(15, 5 * SEC).map((t) => azFail(t, NONE, CN)), ...times(15, 5 * SEC).map((t) => azFail(t + 1, ANON, CN))];
  const { alerts } = await run('authz-failure-burst', lines);
  assert.deepEqual(alerts, []);
});

test('authz-probing: denied requests for 6 different URLs of one user within 5 min fire (medium, 60); one URL retried, or 5 URLs, stay quiet', async () => {
  const url = (i: number) => ({ url: `https://k8sou.example.com/api/v1/namespaces/ns${i}/secrets` });
  const probing = times(6, 50 * SEC).map((t, i) => azFail(t, ALICE, RU, url(i)));
  const { alerts } = await run('authz-probing', probing);
  assert.deepEqual(keys(alerts), [`authz-probing ${ALICE} ${RU}`]);
  assert.deepEqual([alerts[0].severity, alerts[0].risk, alerts[0].time], ['medium', 60, new Date(T0 + 250 * SEC).toISOString()]);
  assert.deepEqual((await run('authz-probing', times(20, 10 * SEC).map((t) => azFail(t, ALICE, RU, url(0))))).alerts, []);
  assert.deepEqual((await run('authz-probing', times(20, 10 * SEC).map((t, i) => azFail(t, ALICE, RU, url(i % 5))))).alerts, []);
  // The sixth URL 5 min and 1 s after the first: the window holds five.
  const slow = times(6, 60 * SEC + 200).map((t, i) => azFail(t, ALICE, RU, url(i)));
  assert.deepEqual((await run('authz-probing', slow)).alerts, []);
});

test('authz-probing: a script retrying forbidden URLs for half an hour counts each URL once while it is in the window, also across a restart', async () => {
  const url = (i: number) => ({ url: `https://k8sou.example.com/api/v1/namespaces/ns${i}/secrets` });
  // 20 requests a second for half an hour, cycling over 5 URLs: 36,000 denials, never 6 URLs.
  const retrying = times(36_000, 50).map((t, i) => azFail(t, ALICE, RU, url(i % 5)));
  assert.deepEqual((await run('authz-probing', retrying)).alerts, []);

  // Then the five URLs stop (the last, ns4, 50 ms before \`end\`) and six new ones come just
  // under 5 min later. The window (5 min, its start included) holds ns4 until the fifth new
  // one, and counts it: five URLs, quiet. One millisecond later ns4 has left: the sixth new
  // URL makes five again; the seventh, six: an alert, with the window's 6 events.
  const end = T0 + 36_000 * 50;
  const at = [299_940, 299_941, 299_942, 299_943, 299_951, 299_952];
  const later = at.map((d, k) => azFail(end + d, ALICE, RU, url(5 + k)));
  const { alerts } = await run('authz-probing', [...retrying, ...later]);
  assert.deepEqual(alerts.map((a) => a.time), [new Date(end + 299_952).toISOString()]);
  assert.match(alerts[0].reason, /^6 distinct url values in 6 denied requests \(AzFail\) for /);

  // The same lines in two runs on one store: the second starts from the stored window.
  const db = s.path(`b${n++}.db`);
  const rules = rulesDir(s.path(`r${n}`), ['authz-probing']);
  assert.deepEqual((await detect(db, rules, retrying, db + '.1.log')).alerts, []);
  // The window of 6,000 requests is stored in a few KB, not a time and a URL per request.
  const stored = new Database(db, { readonly: true });
  const row = stored.prepare("SELECT length(state) AS n FROM detector_state WHERE scope LIKE 'authz-probing/%'").get() as { n: number };
  stored.close();
  assert.ok(row.n < 20_000, `${row.n} bytes stored for the window`);
  const resumed = await detect(db, rules, later, db + '.2.log');
  assert.deepEqual(resumed.alerts.map((a) => [a.time, a.reason]), alerts.map((a) => [a.time, a.reason]));
});

test('refresh-token-grace-burst: 4 within 10 min stay quiet, 5 within exactly 10 min fire', async () => {
  const base = history(ALICE, SE, 3);
  const quiet = await run('refresh-token-grace-burst', [...base, ...times(4, 2 * MIN).map((t) => expired(t + 3 * MIN, ALICE, SE))]);
  assert.deepEqual(quiet.alerts, []);
  const { alerts } = await run('refresh-token-grace-burst', [...base, ...times(5, 2.5 * MIN).map((t) => expired(t + 3 * MIN, ALICE, SE))]);
  assert.deepEqual(keys(alerts), [`refresh-token-grace-burst ${ALICE} ${SE}`]);
  assert.match(alerts[0].reason, /^5 expired refresh tokens used within the grace period for uid=alice,ou=users,o=Tremolo within 10 min \(rule: 5 within 10 min\)/);
});

test('refresh-token-grace-burst: 5 spanning 10 min and 1 ms stay quiet', async () => {
  const t = times(5, 2.5 * MIN);
  t[4] += 1;
  const { alerts } = await run('refresh-token-grace-burst', t.map((x) => expired(x, ALICE, SE)));
  assert.deepEqual(alerts, []);
});

test('auth-success-after-failures: failures read before a restart still count for the login after it (the window is stored)', async () => {
  const db = s.path(`b${n++}.db`);
  const rules = rulesDir(s.path(`r${n}-restart`), ['auth-success-after-failures']);
  const first = await detect(db, rules, times(10, 15 * SEC).map((t) => auFail(t, CN)), s.path('before-restart.log'));
  assert.deepEqual(first.alerts, []);
  const { alerts } = await detect(db, rules, [au(T0 + 3 * MIN, ALICE, CN)], s.path('after-restart.log'));
  assert.deepEqual(keys(alerts), [`auth-success-after-failures ${ALICE} ${CN}`]);
  assert.equal(alerts[0].severity, 'high');
  assert.match(alerts[0].reason, /^uid=alice,ou=users,o=Tremolo logged in \(AuSuccess\) from 175\.16\.199\.5 \(CN\), not one of their learnt places, 45 s after 10 failed logins \(AuFail\) from it within 5 min: /);
  // The newest failures and the success, as evidence; the count says how many made the burst.
  assert.equal(alerts[0].evidence.length, 4);
  assert.equal(alerts[0].evidenceTotal, 11);
});

test('auth-success-after-failures by network: failures spread over a /24, then a login from another address of it', async () => {
  const rules = rulesDir(s.path(`r${n}-net`), ['auth-success-after-failures'], { 'auth-success-after-failures': { params: { groupBy: 'net' } } });
  const spread = times(10, 15 * SEC).map((t, i) => auFail(t, `175.16.199.${10 + i}`));
  const { alerts } = await detect(s.path(`b${n++}.db`), rules, [...spread, au(T0 + 3 * MIN, ALICE, '175.16.199.99')]);
  assert.deepEqual(keys(alerts), [`auth-success-after-failures ${ALICE} 175.16.199.99`]);
  assert.match(alerts[0].reason, /from 175\.16\.199\.99 \(CN\) \(network 175\.16\.199\.0\/24\), .* 10 failed logins \(AuFail\) from that network within 5 min/);
  // Per address (the default), none of those addresses failed more than once.
  assert.deepEqual((await run('auth-success-after-failures', [...spread, au(T0 + 3 * MIN, ALICE, '175.16.199.19')])).alerts, []);
});

test('auth-failure-burst: a burst still open when a spray from 30,000 addresses makes its table prune fires; the closed windows of the spray are forgotten', async () => {
  const ip = (i: number) => `23.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  // Five failures from CN, then the spray (one failure per address, 8 ms apart: 4 min), then five more from CN.
  const lines = [...times(5, SEC).map((t) => auFail(t, CN))];
  const sprayFrom = T0 + 10 * SEC;
  for (let i = 0; i < 30_000; i++) lines.push(auFail(sprayFrom + i * 8, ip(i)));
  lines.push(...times(5, SEC).map((t) => auFail(t - T0 + sprayFrom + 30_000 * 8, CN)));
  const { alerts } = await run('auth-failure-burst', lines);
  assert.deepEqual(keys(alerts), ['auth-failure-burst - 175.16.199.5']);
  assert.match(alerts[0].reason, /^10 failed logins \(AuFail\) from 175\.16\.199\.5 \(CN\) within 4 min 14 s \(rule/);
});
