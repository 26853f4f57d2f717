import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import type { Config } from '../../src/app/config.js';
import { FEW_PRIVATE_NETWORKS } from '../../src/core/history.js';
import { ALICE, BOB, MIN, MM, RU, SE, SE2, SE_HOME, SE_POOL, SEC, T0, az, azFail, detect, history, keys, rulesDir, scratch } from './helpers.js';

/**
 * session-moved: one OpenUnison session goes back to a network it left minutes ago while
 * another network (in another ASN) used it in between (A -> B -> A within ten minutes): two
 * parties hold one session cookie. A single move (A -> B) is the owner taking the session
 * along and stays quiet.
 */
const s = scratch();
after(() => s.done());
let n = 0;
const run = (lines: string[], params: Record<string, unknown> = {}, tune?: (c: Config) => void) =>
  detect(s.path(`m${n++}.db`), rulesDir(s.path(`r${n}`), ['session-moved'], { 'session-moved': { params } }), lines, undefined, tune);
const S = { session: 'f' + 'c3'.repeat(20) };

test('a session used from one network, another in a different ASN, then the first again within ten minutes fires, high, naming the one in between, with the three lines as evidence', async () => {
  const lines = [az(T0, ALICE, SE, S), azFail(T0 + 3 * MIN, ALICE, RU, S), az(T0 + 5 * MIN, ALICE, SE2, S)];
  const { alerts } = await run(lines);
  assert.deepEqual(keys(alerts), [`session-moved ${ALICE} ${RU}`]);
  const a = alerts[0];
  assert.deepEqual([a.severity, a.risk, a.country, a.count], ['high', 60, 'RU', 1]);
  assert.equal(
    a.reason,
    `Session ${S.session} of ${ALICE} was used from 5.255.255.5 (RU) (5.255.255.0/24) and from 89.160.20.201 (SE) (89.160.20.0/24) in turn: ` +
      '89.160.20.0/24, then 5.255.255.0/24 3 min later, then 89.160.20.0/24 again 2 min after that (a return within 10 min). ' +
      'Two parties use one session cookie: it was probably copied.',
  );
  assert.deepEqual(a.evidence.map((e) => e.line), lines);
});

test('a single move across ASNs, a move inside one ASN and back, a return more than ten minutes after leaving, and another session stay quiet', async () => {
  const other = { session: 'f' + 'd4'.repeat(20) };
  const third = { session: 'f' + 'e5'.repeat(20) };
  const lines = [
    // A single move: the office, then a home line of another ISP, kept.
    az(T0, ALICE, SE, S),
    az(T0 + MIN, ALICE, SE_HOME, S),
    az(T0 + 4 * MIN, ALICE, SE_HOME, S),
    // Inside Bredband2 (AS of SE and SE_POOL): there and back.
    az(T0, ALICE, SE, other),
    az(T0 + MIN, ALICE, SE_POOL, other),
    az(T0 + 2 * MIN, ALICE, SE, other),
    // Back on the first network 12 minutes after leaving it (the other still in use at 9).
    az(T0, ALICE, SE, third),
    az(T0 + 5 * MIN, ALICE, RU, third),
    az(T0 + 9 * MIN, ALICE, RU, third),
    az(T0 + 12 * MIN, ALICE, SE, third),
    // Another session from Moscow beside the first: two sessions, no session moved.
    az(T0 + 13 * MIN, ALICE, RU, { session: 'f' + 'a1'.repeat(20) }),
  ].sort((x, y) => x.localeCompare(y));
  const { alerts } = await run(lines);
  assert.deepEqual(alerts, []);
});

test('one alert per session: further returns count on it', async () => {
  const lines = [az(T0, ALICE, SE, S), az(T0 + MIN, ALICE, RU, S), az(T0 + 2 * MIN, ALICE, SE, S), az(T0 + 3 * MIN, ALICE, RU, S), az(T0 + 4 * MIN, ALICE, SE, S)];
  const { alerts } = await run(lines);
  assert.deepEqual(keys(alerts), [`session-moved ${ALICE} ${RU}`]);
  assert.equal(alerts[0].count, 3);
});

test('the sessions used since a commit are stored as one row, and a session that moved before a restart fires on its return after it', async () => {
  const sessions = Array.from({ length: 50 }, (_, i) => ({ session: 'f' + String(i).padStart(2, '0').repeat(20) }));
  const db = s.path('chunked.db');
  const rules = rulesDir(s.path('chunked-rules'), ['session-moved']);
  // Fifty sessions used from the office, the first then from Moscow: one replay, one commit.
  await detect(db, rules, [...sessions.map((sid, i) => az(T0 + i * SEC, ALICE, SE, sid)), az(T0 + 2 * MIN, ALICE, RU, sessions[0])], s.path('first.log'));
  const rows = new Database(db, { readonly: true })
    .prepare("SELECT key, expires FROM detector_state WHERE scope = 'session-moved/session-moved/uses'")
    .all() as Array<{ key: string; expires: number }>;
  assert.deepEqual(rows.map((r) => r.key), ['#chunk/000000000000'], 'one row for the fifty sessions');
  assert.equal(rows[0].expires, T0 + 2 * MIN + 10 * MIN, 'it expires with the newest use it holds');
  // After the restart the first session is back at the office: the uses came back from the row.
  const { alerts } = await detect(db, rules, [az(T0 + 3 * MIN, ALICE, SE, sessions[0])], s.path('second.log'));
  assert.deepEqual(keys(alerts), [`session-moved ${ALICE} ${RU}`]);
});

test("the alert names the address in between, unless that one is the user's learnt address and the other is not", async () => {
  const office = history(ALICE, SE, 12, 10 * MIN, T0 - 3 * 3_600_000);
  // Moscow came in between the office's uses: Moscow.
  const stolen = await run([...office, az(T0, ALICE, SE, S), az(T0 + MIN, ALICE, RU, S), az(T0 + 2 * MIN, ALICE, SE, S)]);
  assert.deepEqual(keys(stolen.alerts), [`session-moved ${ALICE} ${RU}`]);
  // The office came in between Moscow's uses, but the office is hers and Moscow is not (denied
  // requests teach no address): Moscow.
  const back = await run([...office, azFail(T0, ALICE, RU, S), az(T0 + MIN, ALICE, SE, S), azFail(T0 + 2 * MIN, ALICE, RU, S)]);
  assert.deepEqual(keys(back.alerts), [`session-moved ${ALICE} ${RU}`]);
  // Neither learnt: the one in between, the office.
  const neither = await run([az(T0, ALICE, RU, S), az(T0 + MIN, ALICE, SE, S), az(T0 + 2 * MIN, ALICE, RU, S)]);
  assert.deepEqual(keys(neither.alerts), [`session-moved ${ALICE} ${SE}`]);
});

test('a use older than the window is forgotten: the back-and-forth is measured from the uses after it', async () => {
  // The office, Moscow 11 minutes later (the office's use has expired: one move), the office
  // again (a second move, not a return within the window of the first), then Moscow once more
  // 3 minutes after its last use: a return.
  const lines = [az(T0, ALICE, SE, S), az(T0 + 11 * MIN, ALICE, RU, S), az(T0 + 13 * MIN, ALICE, SE, S), az(T0 + 14 * MIN, ALICE, RU, S)];
  const { alerts } = await run(lines);
  assert.deepEqual(keys(alerts), [`session-moved ${ALICE} ${SE}`]);
  assert.deepEqual(alerts[0].evidence.map((e) => e.line), [lines[1], lines[2], lines[3]]);
  assert.match(alerts[0].reason, /in turn: 5\.255\.255\.0\/24, then 89\.160\.20\.0\/24 2 min later, then 5\.255\.255\.0\/24 again 1 min after that/);
  // Without the last line, nothing.
  assert.deepEqual((await run(lines.slice(0, 3))).alerts, []);
});

// Two replicas of an ingress on two nodes: their pod networks are two /24s.
const POD_A = '10.42.0.15';
const POD_B = '10.42.1.22';
const sessionOf = (u: number) => ({ session: 'f' + String(u + 1).repeat(40) });
/** Each user's requests reach the ingress's replicas in turn, a minute apart, for ten minutes. */
const behindIngress = (users: string[]) =>
  users
    .flatMap((dn, u) => Array.from({ length: 10 }, (_, i) => az(T0 + i * MIN + u * 7 * SEC, dn, i % 2 === 0 ? POD_A : POD_B, sessionOf(u))))
    .sort((x, y) => x.localeCompare(y));

test("behind an ingress that hides the clients, sessions go back and forth between its replicas' networks, which all users share, and stay quiet", async () => {
  assert.deepEqual((await run(behindIngress([ALICE, BOB, MM]))).alerts, []);
  // The same moves judged network by network (sharedBy: null): every session fires.
  const unshared = await run(behindIngress([ALICE, BOB, MM]), { sharedBy: null });
  assert.deepEqual(keys(unshared.alerts).sort(), [ALICE, BOB, MM].map((dn) => `session-moved ${dn} ${POD_B}`).sort());
});

test('alone behind the ingress, or before anyone else is seen there, its pod networks are the organisation\'s equipment: a lone user\'s session stays quiet', async () => {
  // Two private networks in all: an ingress's or the nodes' addresses, not clients'. Before
  // this, a new store behind such an ingress raised a high alert for its first user.
  assert.deepEqual((await run(behindIngress([ALICE]))).alerts, []);
  // Judged network by network (sharedBy: null), it fires; and so it does where private addresses
  // are declared clients' from the start (detect.organisation.privateClientNetworks: 0).
  assert.deepEqual(keys((await run(behindIngress([ALICE]), { sharedBy: null })).alerts), [`session-moved ${ALICE} ${POD_B}`]);
  const declared = await run(behindIngress([ALICE]), {}, (c) => {
    c.detect.organisation.privateClientNetworks = 0;
  });
  assert.deepEqual(keys(declared.alerts), [`session-moved ${ALICE} ${POD_B}`]);
});

/** Earlier successes of `count` users, each from a private network of their own (20: the organisation's private addresses are its clients'). */
const lanClients = (count = FEW_PRIVATE_NETWORKS) =>
  Array.from({ length: count }, (_, i) => {
    const session = { session: 'f' + String(i).padStart(40, '7') };
    return az(T0 - 3_600_000 + i * SEC, `uid=lan${i},ou=users,o=Tremolo`, `10.60.${i}.5`, session);
  });

test('where private addresses are the clients\' own (20 private networks or more), a network is shared once enough users have it as their own (sharedBy), or when detect.organisation.networks lists it', async () => {
  const lan = lanClients();
  const byText = (lines: string[]) => lines.sort((x, y) => x.localeCompare(y));
  const withLan = (users: string[]) => byText([...lan, ...behindIngress(users)]);
  // Alone on the pod networks, nobody shares them with alice: her session is judged.
  assert.deepEqual(keys((await run(withLan([ALICE]))).alerts), [`session-moved ${ALICE} ${POD_B}`]);
  // 17 LAN networks and the two pod networks: one private network short of 20, all taken for equipment.
  assert.deepEqual((await run(byText([...lanClients(FEW_PRIVATE_NETWORKS - 3), ...behindIngress([ALICE])]))).alerts, []);
  assert.equal((await run(byText([...lanClients(FEW_PRIVATE_NETWORKS - 2), ...behindIngress([ALICE])]))).alerts.length, 1);
  // Two users are not enough when three are asked for.
  assert.equal((await run(withLan([ALICE, BOB]), { sharedBy: 3 })).alerts.length, 2);
  assert.deepEqual((await run(withLan([ALICE, BOB, MM]), { sharedBy: 3 })).alerts, []);
  // Nor are six when ten are: the organisation's own threshold (detect.organisation.minUsers, 5) does not stand in for it.
  const six = [ALICE, BOB, MM, ...['dana', 'emil', 'frida'].map((u) => `uid=${u},ou=users,o=Tremolo`)];
  assert.equal((await run(withLan(six), { sharedBy: 10 })).alerts.length, 6);
  // The pod networks listed as the organisation's: shared from alice's first line.
  const listed = await run(withLan([ALICE]), {}, (c) => {
    c.detect.organisation.networks = ['10.42.0.0/16'];
  });
  assert.deepEqual(listed.alerts, []);
});

const colleagues = ['dana', 'emil', 'frida', 'gustav', 'hanna'].map((u) => `uid=${u},ou=users,o=Tremolo`);
let sessions = 0;
/** Earlier successes of each of `dns` from `ip`, each user in a session of their own: they have it as their own. */
const usedBy = (dns: string[], ip: string) =>
  dns.flatMap((dn, u) => {
    const session = 'f' + String(++sessions).padStart(40, '0');
    return Array.from({ length: 3 }, (_, i) => az(T0 - 2 * 3_600_000 + i * 10 * MIN + u * SEC, dn, ip, { session }));
  });
const sorted = (lines: string[]) => [...lines].sort((x, y) => x.localeCompare(y));

test("a thief's network is nobody else's: a session going from the office NAT, which colleagues share, to the thief and back still fires", async () => {
  // Five colleagues and alice work from the office NAT: one of the organisation's networks.
  const office = usedBy([ALICE, ...colleagues], SE);
  const there = await run(sorted([...office, az(T0, ALICE, SE, S), az(T0 + MIN, ALICE, RU, S), az(T0 + 2 * MIN, ALICE, SE, S)]));
  assert.deepEqual(keys(there.alerts), [`session-moved ${ALICE} ${RU}`]);
  // And the other way round: from the thief to the office and back to the thief.
  const back = await run(sorted([...office, azFail(T0, ALICE, RU, S), az(T0 + MIN, ALICE, SE, S), azFail(T0 + 2 * MIN, ALICE, RU, S)]));
  assert.deepEqual(keys(back.alerts), [`session-moved ${ALICE} ${RU}`]);
});

test('a public network is shared only when the organisation has it (detect.organisation.minUsers users): a carrier pool two colleagues use is still a stranger\'s', async () => {
  const office = usedBy([ALICE, ...colleagues], SE);
  // Two colleagues have addresses in the thief's /24 (a mobile carrier's pool, say): not enough.
  const pool = await run(sorted([...office, ...usedBy(colleagues.slice(0, 2), RU), az(T0, ALICE, SE, S), az(T0 + MIN, ALICE, RU, S), az(T0 + 2 * MIN, ALICE, SE, S)]));
  assert.deepEqual(keys(pool.alerts), [`session-moved ${ALICE} ${RU}`]);
  // The office's two NAT networks (another ISP's too), each used by all six: quiet.
  const twoNats = await run(sorted([...office, ...usedBy([ALICE, ...colleagues], SE_HOME), az(T0, ALICE, SE, S), az(T0 + MIN, ALICE, SE_HOME, S), az(T0 + 2 * MIN, ALICE, SE, S)]));
  assert.deepEqual(twoNats.alerts, []);
});

test('after a restart the shared networks are counted on from the store: the same as one uninterrupted run', async () => {
  const alice = sessionOf(0);
  const bob = sessionOf(1);
  // Clients with private addresses of their own (lanClients): the pods' networks are judged by their users.
  const before = [...lanClients(), az(T0, ALICE, POD_A, alice), az(T0 + MIN, ALICE, POD_B, alice)];
  const after = [az(T0 + 2 * MIN, BOB, POD_A, bob), az(T0 + 150 * SEC, BOB, POD_B, bob), az(T0 + 3 * MIN, ALICE, POD_A, alice)];
  assert.deepEqual((await run([...before, ...after])).alerts, [], 'uninterrupted');
  // The same lines in two replays of one store: alice alone on each pod network when the
  // first ends (a count of 1 each), bob joins after the restart; the 20 private networks
  // come back from the store too.
  const db = s.path('restarted.db');
  const rules = rulesDir(s.path('restarted-rules'), ['session-moved']);
  await detect(db, rules, before, s.path('before.log'));
  assert.deepEqual((await detect(db, rules, after, s.path('after.log'))).alerts, [], 'restarted');
  // And the count of private networks: the 20 LAN networks learnt before the restart make
  // alice's lone return between the pods one to judge after it, as in one run.
  const lone = behindIngress([ALICE]);
  assert.equal((await run([...lanClients(), ...lone])).alerts.length, 1, 'uninterrupted');
  const db2 = s.path('restarted-2.db');
  await detect(db2, rules, lanClients(), s.path('lan.log'));
  assert.equal((await detect(db2, rules, lone, s.path('lone.log'))).alerts.length, 1, 'restarted');
});
