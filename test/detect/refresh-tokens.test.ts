import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { waitFor } from '../helpers/wait.js';
import { BOB, H, MIN, MM, NONE, RU, SE, SE2, SE_HOME, SEC, T0, TOKEN_URL, allAlerts, au, az, azFail, detect, expired, history, idpWarn, keys, rulesDir, runtimeFor, scratch } from './helpers.js';

const s = scratch();
after(() => s.done());
let n = 0;
const run = (rule: string, lines: string[]) => detect(s.path(`t${n++}.db`), rulesDir(s.path(`r${n}`), [rule]), lines);

// mmosley has worked from the office for two hours when the token is used.
const office = history(MM, SE, 12, 10 * MIN);
const AT = T0 + 2 * H;
/** OpenUnison logs the AzSuccess of the refresh, then ExpiredRefreshTokenUsed, for the same request. */
const refresh = (t: number, ip: string) => [az(t, MM, ip, { url: TOKEN_URL, app: 'k8sIdp' }), expired(t + 2, MM, ip)];

test('refresh-token-replay: a refresh from an address never seen for the user fires, critical and response-eligible', async () => {
  const { alerts } = await run('refresh-token-replay', [...office, ...refresh(AT, RU)]);
  assert.deepEqual(keys(alerts), [`refresh-token-replay ${MM} ${RU}`]);
  const a = alerts[0];
  assert.equal(a.severity, 'critical');
  assert.equal(a.respond, true);
  assert.equal(a.country, 'RU');
  assert.equal(a.risk, 100);
  assert.match(a.reason, /from 5\.255\.255\.5 \(RU\), an address whose first success for this user was only 2 ms earlier \(learnt: 89\.160\.20\.112\b/);
  assert.deepEqual(a.evidence, [{ source: a.evidence[0].source, line: expired(AT + 2, MM, RU) }]);
});

test('refresh-token-replay: each of 12 addresses a token is replayed from within a day is its own alert (a rule that responds keeps no cap on open alerts per user)', async () => {
  const thieves = Array.from({ length: 12 }, (_, i) => `81.2.${70 + i}.9`);
  const { alerts } = await run('refresh-token-replay', [...office, ...thieves.flatMap((ip, i) => refresh(AT + i * H, ip))]);
  assert.deepEqual(alerts.map((a) => [a.ip, a.count]), thieves.map((ip) => [ip, 1]));
});

test('refresh-token-replay: the AzSuccess of the same request does not make the address known; a success 60 s before does', async () => {
  // First success from the home line exactly 60 s before the expired token: known.
  const known = await run('refresh-token-replay', [...office, az(AT + 2 - 60 * SEC, MM, SE_HOME), expired(AT + 2, MM, SE_HOME)]);
  assert.deepEqual(known.alerts, []);
  // 59.999 s before: not yet known.
  const fresh = await run('refresh-token-replay', [...office, az(AT + 3 - 60 * SEC, MM, SE_HOME), expired(AT + 2, MM, SE_HOME)]);
  assert.deepEqual(keys(fresh.alerts), [`refresh-token-replay ${MM} ${SE_HOME}`]);
});

test('refresh-token-replay: another address of a network the user is at (the office /24) is the same place', async () => {
  const { alerts } = await run('refresh-token-replay', [...office, ...refresh(AT, SE2)]);
  assert.deepEqual(alerts, []);
});

test('refresh-token-replay: a thief returning days later from the same address is caught again (the first visit, which raised alerts, taught nothing)', async () => {
  const rules = rulesDir(s.path(`r${n}-pair`), ['refresh-token-replay', 'new-country']);
  const later = AT + 48 * H;
  const { alerts } = await detect(s.path(`t${n++}.db`), rules, [...office, ...refresh(AT, RU), ...history(MM, SE, 3, 10 * MIN, later - H), ...refresh(later, RU)]);
  const replays = alerts.filter((a) => a.rule === 'refresh-token-replay');
  assert.deepEqual(
    replays.map((a) => a.time),
    [new Date(AT + 2).toISOString(), new Date(later + 2).toISOString()],
  );
  // Kept from being learnt by the alert its latest visit raised (new-country, open).
  const quarantining = alerts.find((a) => a.rule === 'new-country' && a.time === new Date(later).toISOString())!;
  assert.ok(replays[1].reason.includes(`an address not learnt as the user's (alert ${quarantining.id}, raised on it, is not closed as benign)`), replays[1].reason);
});

test('refresh-token-replay: refreshes from the usual address, and a user with no earlier history, stay quiet', async () => {
  const { alerts } = await run('refresh-token-replay', [...office, ...refresh(AT, SE), ...refresh(AT, RU).map((l) => l.replace(/uid=mmosley,ou=shadow/g, 'uid=newcomer,ou=users'))]);
  assert.deepEqual(alerts, []);
});

test('stale-refresh-token: the WARN then an AzFail at /token on the same thread within 5 s fires', async () => {
  const lines = [idpWarn(AT, 'XNIO-1 task-7'), azFail(AT + 5 * SEC, NONE, RU, { thread: 'XNIO-1 task-7', url: TOKEN_URL, session: 'null' })];
  const { alerts } = await run('stale-refresh-token', lines);
  assert.deepEqual(keys(alerts), [`stale-refresh-token - ${RU}`]);
  assert.equal(alerts[0].dn, null);
  assert.deepEqual(alerts[0].evidence.map((e) => e.line), lines);
  assert.match(alerts[0].reason, /logged 'Session does not exist from refresh_token' and 5 s later the refresh at .*\/token failed \(AzFail\) on thread 'XNIO-1 task-7'/);
});

test('stale-refresh-token: a user DN on the AzFail makes a per-user alert', async () => {
  const { alerts } = await run('stale-refresh-token', [idpWarn(AT, 'XNIO-1 task-7'), azFail(AT + 3, MM, SE, { thread: 'XNIO-1 task-7', url: TOKEN_URL })]);
  assert.deepEqual(keys(alerts), [`stale-refresh-token ${MM} ${SE}`]);
});

test('stale-refresh-token: 5.001 s later, another thread, another URL or another WARN stay quiet', async () => {
  const { alerts } = await run('stale-refresh-token', [
    idpWarn(AT, 'XNIO-1 task-1'),
    azFail(AT + 5 * SEC + 1, NONE, RU, { thread: 'XNIO-1 task-1', url: TOKEN_URL }),
    idpWarn(AT + MIN, 'XNIO-1 task-2'),
    azFail(AT + MIN + 10, NONE, RU, { thread: 'XNIO-1 task-3', url: TOKEN_URL }),
    idpWarn(AT + 2 * MIN, 'XNIO-1 task-4'),
    azFail(AT + 2 * MIN + 10, NONE, RU, { thread: 'XNIO-1 task-4', url: 'https://k8sou.example.com/api/v1/secrets' }),
    idpWarn(AT + 3 * MIN, 'XNIO-1 task-5', 'Invalid client_secret'),
    azFail(AT + 3 * MIN + 10, NONE, RU, { thread: 'XNIO-1 task-5', url: TOKEN_URL }),
  ]);
  assert.deepEqual(alerts, []);
});

test('stale-refresh-token: threads are paired within one replica only', async () => {
  // The same thread name in two replicas' logs: the WARN of one does not pair with the other's AzFail.
  const a = s.path('replica-0.log');
  const b = s.path('replica-1.log');
  writeFileSync(a, idpWarn(AT, 'XNIO-1 task-9') + '\n');
  writeFileSync(b, azFail(AT + 10, NONE, RU, { thread: 'XNIO-1 task-9', url: TOKEN_URL }) + '\n');
  const { alerts } = await detect(s.path('replicas.db'), rulesDir(s.path('rr'), ['stale-refresh-token']), { files: [a, b] });
  assert.deepEqual(alerts, []);
});

test('stale-refresh-token: in one file of interleaved pods (stern), threads are paired within one pod only', async () => {
  // Both pods have an XNIO-1 task-9: pod 0's WARN does not pair with pod 1's AzFail. Pod 1's own WARN and AzFail do.
  const pod = (n: number, line: string) => `openunison-orchestra-${n} openunison-orchestra ${line}`;
  const file = s.path('stern.log');
  const lines = [
    pod(0, idpWarn(AT, 'XNIO-1 task-9')),
    pod(1, azFail(AT + 10, NONE, RU, { thread: 'XNIO-1 task-9', url: TOKEN_URL })),
    pod(1, idpWarn(AT + MIN, 'XNIO-1 task-9')),
    pod(1, azFail(AT + MIN + 10, NONE, SE, { thread: 'XNIO-1 task-9', url: TOKEN_URL })),
  ];
  writeFileSync(file, lines.join('\n') + '\n');
  const { alerts } = await detect(s.path('stern.db'), rulesDir(s.path('rs'), ['stale-refresh-token']), { files: [file] });
  assert.deepEqual(keys(alerts), [`stale-refresh-token - ${SE}`]);
  assert.match(alerts[0].reason, /on thread 'XNIO-1 task-9'/, 'the thread is named as logged, without the pod');
});

/** A stale refresh token from `ip` (the AzFail carries cn=none, as OpenUnison logs it) at `t`. */
const stalePair = (t: number, ip: string, thread = 'XNIO-1 task-7') => [idpWarn(t, thread), azFail(t + 4, NONE, ip, { thread, url: TOKEN_URL, session: 'null' })];

test("stale-refresh-token: an address whose successes an alert holds back (a thief's) is not the owner's; medium, and the reason says why", async () => {
  const rules = rulesDir(s.path(`r${n}-thief`), ['stale-refresh-token', 'new-country']);
  // mmosley's token is used from Moscow (new-country holds 5.255.255.5 back), then a stale copy fails from there.
  const { alerts } = await detect(s.path(`t${n++}.db`), rules, [...office, az(AT, MM, RU), az(AT + MIN, MM, RU), ...stalePair(AT + 5 * MIN, RU)]);
  assert.deepEqual(keys(alerts), [`new-country ${MM} ${RU}`, `stale-refresh-token - ${RU}`]);
  const stale = alerts.find((a) => a.rule === 'stale-refresh-token')!;
  assert.equal(stale.severity, 'medium');
  assert.ok(
    stale.reason.endsWith(
      "5.255.255.5 had successes lately (within the 24 h before), but none as a learnt address of its user (it was new to them, or an alert raised on it holds it back): if alerts name 5.255.255.5, this is probably a copy of the token, not the owner's client. " +
        'No login from 5.255.255.0/24 or another network of AS13238 followed within 10 min: not an owner logging in again after an expired session.',
    ),
    stale.reason,
  );
  // Held for a login that did not come, raised at the pair's own time.
  assert.equal(stale.time, new Date(AT + 5 * MIN + 4).toISOString());
});

test("stale-refresh-token: the owner's learnt address stays the owner's while a newcomer succeeds from it; a newcomer's address is theirs from its second success", async () => {
  // What the address's successes say, on every pair (expiredSession: null; shipped, the learnt cases raise nothing).
  const token = { url: TOKEN_URL, app: 'k8sIdp' };
  const every = rulesDir(s.path(`r${n}-known`), ['stale-refresh-token'], { 'stale-refresh-token': { params: { expiredSession: null } } });
  const run = (_rule: string, lines: string[]) => detect(s.path(`t${n++}.db`), every, lines);
  // The office is mmosley's; bob's first success from it (new to bob) does not make it anyone's stranger.
  const shared = await run('stale-refresh-token', [...office, az(AT, BOB, SE, token), ...stalePair(AT + MIN, SE)]);
  assert.match(shared.alerts[0].reason, /89\.160\.20\.112 had successes lately \(within the 24 h before\) as a learnt address of its user: probably the owner's own client/);
  // bob's home line: new at its first success, learnt at its second (a minute later), at once.
  const once = await run('stale-refresh-token', [az(AT, BOB, SE_HOME, token), ...stalePair(AT + MIN, SE_HOME)]);
  assert.match(once.alerts[0].reason, /but none as a learnt address of its user/);
  const twice = await run('stale-refresh-token', [az(AT, BOB, SE_HOME), az(AT + MIN, BOB, SE_HOME, token), ...stalePair(AT + 2 * MIN, SE_HOME)]);
  assert.match(twice.alerts[0].reason, /as a learnt address of its user: probably the owner's own client/);
  // Nobody at all: a stranger's copy, high.
  const stranger = await run('stale-refresh-token', [...office, ...stalePair(AT, RU)]);
  assert.equal(stranger.alerts[0].severity, 'high');
  assert.match(stranger.alerts[0].reason, /No user succeeded from 5\.255\.255\.5 in the 24 h before/);
});

test("stale-refresh-token: with no refresh from the address just before, a pair from a familiar place is an expired session OpenUnison deleted, and raises nothing", async () => {
  const token = { url: TOKEN_URL, app: 'k8sIdp' };
  // mmosley's office (learnt), an hour after his last command there: the session expired.
  assert.deepEqual((await run('stale-refresh-token', [...office, ...stalePair(AT + H, SE)])).alerts, []);
  // Monday morning, three days later: nobody succeeded from the office in the 24 h before, but it is a learnt address's network.
  assert.deepEqual((await run('stale-refresh-token', [...office, ...stalePair(AT + 72 * H, SE2)])).alerts, []);
  // bob's provider gave him a new address in another network of its autonomous system (Telia, AS3301); he logs in
  // again through a third network of it (a carrier's NAT pool): an expired session.
  const bobHome = [az(AT, BOB, SE_HOME), az(AT + MIN, BOB, SE_HOME), az(AT + 2 * MIN, BOB, SE_HOME)];
  const relogin = [...office, ...bobHome, ...stalePair(AT + 20 * H, '81.224.99.7'), au(AT + 20 * H + 2 * MIN, BOB, '81.224.50.9')];
  assert.deepEqual((await run('stale-refresh-token', relogin)).alerts, []);
  // Without that login, a colleague's provider vouches for nobody: a stale copy may come from any of its customers.
  const noLogin = await run('stale-refresh-token', [...office, ...bobHome, ...stalePair(AT + 20 * H, '81.224.99.7')]);
  assert.deepEqual(keys(noLogin.alerts), ['stale-refresh-token - 81.224.99.7']);
  assert.match(noLogin.alerts[0].reason, /No login from 81\.224\.99\.0\/24 or another network of AS3301 followed within 10 min/);
  // The same pair from a network and autonomous system nobody here has learnt: a stranger's copy.
  assert.deepEqual(keys((await run('stale-refresh-token', [...office, ...bobHome, ...stalePair(AT + 20 * H, RU)])).alerts), [`stale-refresh-token - ${RU}`]);
  // A refresh from his office a minute before: his other client lost the race on one kubeconfig (as with OpenUnison's default grace period of 0).
  assert.deepEqual((await run('stale-refresh-token', [...office, az(AT + H, MM, SE, token), ...stalePair(AT + H + MIN, SE)])).alerts, []);
  // From an address no user has learnt (new-country holds Moscow back), a refresh 2 min before (the window's end) is a
  // race: whoever refreshed holds the live token, raised at once. 2 min 1 s before, it waits for a login, in vain.
  const withCountry = rulesDir(s.path(`r${n}-race`), ['stale-refresh-token', 'new-country']);
  const stale = async (gap: number) =>
    (await detect(s.path(`t${n++}.db`), withCountry, [...office, az(AT + H, MM, RU, token), ...stalePair(AT + H + gap - 4, RU)])).alerts.filter((a) => a.rule === 'stale-refresh-token');
  const race = await stale(2 * MIN);
  assert.match(race[0].reason, /A refresh from 5\.255\.255\.5 2 min before rotated a token: whoever made it holds the live token, and a second client of theirs lost the race\./);
  assert.doesNotMatch(race[0].reason, /No login from/);
  const waited = await stale(2 * MIN + SEC);
  assert.match(waited[0].reason, /No login from 5\.255\.255\.0\/24 or another network of AS13238 followed within 10 min/);
  assert.doesNotMatch(waited[0].reason, /rotated a token/);
  // An API call is not a refresh: no token was rotated.
  assert.deepEqual((await run('stale-refresh-token', [...office, az(AT + H, MM, SE), ...stalePair(AT + H + MIN, SE)])).alerts, []);
  // In a network several users share (an office NAT), another user's refresh proves no race: still the expired session.
  const colleagues = history(BOB, SE2, 3, 10 * MIN);
  assert.deepEqual((await run('stale-refresh-token', [...office, ...colleagues, az(AT + H, BOB, SE2, token), ...stalePair(AT + H + MIN, SE)])).alerts, []);
  // expiredSession: null takes every pair for a stale token, as before.
  const every = rulesDir(s.path(`r${n}-every`), ['stale-refresh-token'], { 'stale-refresh-token': { params: { expiredSession: null } } });
  assert.deepEqual(keys((await detect(s.path(`t${n++}.db`), every, [...office, ...stalePair(AT + H, SE)])).alerts), [`stale-refresh-token - ${SE}`]);
});

test('stale-refresh-token: from an unfamiliar place a pair waits 10 min for a login from its network (the owner after an expired session); without one it is raised at its own time', async () => {
  // mmosley, travelling, opens his laptop in a hotel in Moscow: yesterday's token fails, then he logs in (another address of the hotel's /24).
  const traveller = await run('stale-refresh-token', [...office, ...stalePair(AT, RU), au(AT + 3 * MIN, MM, '5.255.255.77'), az(AT + 3 * MIN + SEC, MM, '5.255.255.77')]);
  assert.deepEqual(traveller.alerts, []);
  // An API call from there is no login: a copy's holder can still use an id_token it has.
  const apiCall = await run('stale-refresh-token', [...office, ...stalePair(AT, RU), az(AT + 3 * MIN, MM, RU)]);
  assert.deepEqual(keys(apiCall.alerts), [`stale-refresh-token - ${RU}`]);
  assert.equal(apiCall.alerts[0].severity, 'high');
  // A login 10 min 1 s later comes too late: the pair was raised when the wait ended, and keeps its own time.
  const late = await run('stale-refresh-token', [...office, ...stalePair(AT, RU), au(AT + 10 * MIN + SEC + 4, MM, RU)]);
  assert.deepEqual(keys(late.alerts), [`stale-refresh-token - ${RU}`]);
  assert.equal(late.alerts[0].time, new Date(AT + 4).toISOString());
  // A login before the pair clears nothing (new-country holds that address back: nobody's place); a
  // second pair during the wait counts on the first, and the reason says both.
  const rules = rulesDir(s.path(`r${n}-before`), ['stale-refresh-token', 'new-country']);
  const before = [...office, au(AT - MIN, MM, RU), ...stalePair(AT + 2 * H, RU), ...stalePair(AT + 2 * H + 3 * MIN, RU, 'XNIO-1 task-9')];
  const twice = (await detect(s.path(`t${n++}.db`), rules, before)).alerts.filter((a) => a.rule === 'stale-refresh-token');
  assert.deepEqual(twice.map((a) => [a.ip, a.count, a.severity, a.evidence.length]), [[RU, 1, 'medium', 2]]);
  assert.match(twice[0].reason, /No login from 5\.255\.255\.0\/24 or another network of AS13238 followed within 10 min \(2 refused refreshes from there meanwhile\): not an owner logging in again after an expired session\.$/);
  // The end of the input ends the wait: a replay that ends 5 min after the pair raises it.
  const ended = await run('stale-refresh-token', [...office, ...stalePair(AT, RU), az(AT + 5 * MIN, MM, SE)]);
  assert.deepEqual(keys(ended.alerts), [`stale-refresh-token - ${RU}`]);
});

test('stale-refresh-token: a pair waiting for its login is stored, so a daemon stopped during the wait settles it after its restart', async () => {
  const rules = rulesDir(s.path(`r${n}-live`), ['stale-refresh-token']);
  /** One live run of the daemon's ingest on `db`: `lines` processed, then stopped (no end of input). */
  const live = async (db: string, lines: string[]) => {
    const rt = await runtimeFor(db, rules);
    try {
      const input = rt.ingest.open({ origin: 'live', identity: { kind: 'none' }, startOffset: 0, startLineNo: 0, live: true, format: 'plain' });
      input.push(Buffer.from(lines.join('\n') + '\n'));
      await waitFor(`${lines.length} lines consumed`, () => input.linesRead >= lines.length);
      await rt.ingest.stop();
      return allAlerts(rt);
    } finally {
      await rt.close();
    }
  };
  const first = [...office, ...stalePair(AT, RU)];
  // Stopped 2 min into the wait: nothing raised yet, in either case.
  for (const name of ['login', 'none']) assert.deepEqual(await live(s.path(`live-${name}.db`), first), []);
  // The owner logs in 5 min after the pair: it was an expired session.
  assert.deepEqual(await live(s.path('live-login.db'), [au(AT + 5 * MIN, MM, RU)]), []);
  // No login, and the log goes on past the wait: raised, at the pair's time.
  const raised = await live(s.path('live-none.db'), [az(AT + 11 * MIN, MM, SE)]);
  assert.deepEqual(keys(raised), [`stale-refresh-token - ${RU}`]);
  assert.equal(raised[0].time, new Date(AT + 4).toISOString());
});

test('stale-refresh-token: what waits for a login is bounded by its lines\' size: past 16 MiB a pair is raised at once', async () => {
  // 22 stale copies tried from 22 networks nobody here uses, each AzFail line of about 0.9 MB (a URL padded to the
  // parser's limit), then a login from each of those networks a minute later.
  const pad = '/x'.repeat(450_000);
  const nets = Array.from({ length: 22 }, (_, i) => `5.255.${100 + i}.5`);
  const pairs = nets.flatMap((ip, i) => {
    const thread = `XNIO-1 task-${i}`;
    return [idpWarn(AT + i * SEC, thread), azFail(AT + i * SEC + 4, NONE, ip, { thread, url: `${TOKEN_URL.replace('/token', pad)}/token`, session: 'null' })];
  });
  const logins = nets.map((ip, i) => au(AT + MIN + i * SEC, MM, ip));
  const { alerts } = await run('stale-refresh-token', [...office, ...pairs, ...logins]);
  const raised = new Set(alerts.map((a) => a.ip));
  // The first pairs waited and their logins cleared them; the last ones found the budget spent and were raised.
  assert.equal(raised.has(nets[0]), false);
  assert.equal(raised.has(nets[21]), true);
  assert.ok(raised.size >= 3 && raised.size <= 6, `${raised.size} raised`);
});

test('invalid-client-secret: a live token sent with a wrong secret fires on its address; the stale-token WARN does not, and stale-refresh-token ignores this WARN', async () => {
  const wrongSecret = (t: number, thread: string) => [idpWarn(t, thread, 'Invalid client_secret'), azFail(t + 4, NONE, RU, { thread, url: TOKEN_URL, session: 'null' })];
  const rules = rulesDir(s.path(`r${n}-secret`), ['invalid-client-secret', 'stale-refresh-token']);
  const GB = '81.2.69.142';
  const { alerts } = await detect(s.path(`t${n++}.db`), rules, [...office, ...wrongSecret(AT, 'XNIO-1 task-7'), ...stalePair(AT + MIN, GB, 'XNIO-1 task-8')]);
  assert.deepEqual(keys(alerts), [`invalid-client-secret - ${RU}`, `stale-refresh-token - ${GB}`]);
  const secret = alerts[0];
  assert.equal(secret.severity, 'medium');
  assert.equal(secret.risk, 60);
  assert.equal(secret.respond, false);
  assert.deepEqual(secret.evidence.map((e) => e.line), wrongSecret(AT, 'XNIO-1 task-7'));
  assert.match(secret.reason, /^A refresh token was sent with a wrong client secret \(the token itself was current\) from 5\.255\.255\.5 \(RU\): OpenIDConnectIdP logged 'Invalid client_secret' and 4 ms later the refresh at .*\/token failed \(AzFail\) on thread 'XNIO-1 task-7'\.$/);
  // The stale token's reason is its own, untouched by the new parameters.
  assert.match(alerts[1].reason, /^A refresh token was used after its grace period from 81\.2\.69\.142/);
});

test('refresh-token-replay on a new store behind an ingress: a lone user\'s race through two replicas is the race until private networks are many', async () => {
  const ALICE = 'uid=alice,ou=users,o=Tremolo';
  const [POD_A, POD_B] = ['10.42.0.15', '10.42.1.22'];
  const token = { url: TOKEN_URL, app: 'k8sIdp' };
  const lone = [
    az(T0, ALICE, POD_A),
    // kubectl refreshes through one replica; a second client on the same kubeconfig uses the old token through the other.
    az(T0 + MIN, ALICE, POD_A, token),
    az(T0 + MIN + 4 * SEC, ALICE, POD_B, token),
    expired(T0 + MIN + 4 * SEC + 1, ALICE, POD_B),
  ];
  // Nobody else seen yet, two private networks in all: the ingress's, not two parties. Before,
  // this was a critical alert on the first minute of a new store.
  assert.deepEqual((await run('refresh-token-replay', lone)).alerts, []);
  // Twenty users earlier, each on a private network of their own: private addresses are
  // clients' here, and the replica nobody else came through is a stranger's.
  const lan = Array.from({ length: 20 }, (_, i) => az(T0 - H + i * SEC, `uid=lan${i},ou=users,o=Tremolo`, `10.60.${i}.5`, { session: 'f' + String(i).padStart(40, '7') }));
  assert.deepEqual(keys((await run('refresh-token-replay', [...lan, ...lone])).alerts), [`refresh-token-replay ${ALICE} ${POD_B}`]);
});

test('refresh-token-replay behind an ingress: a race through two replicas the users share is the race; sharedBy: null, or a reuse from a stranger, fires', async () => {
  const fixture = readFileSync(new URL('../../fixtures/rules/refresh-token-replay/clients-racing-behind-an-ingress.log', import.meta.url), 'utf8').trimEnd().split('\n');
  const ALICE = 'uid=alice,ou=users,o=Tremolo';
  const tuned = (params: Record<string, unknown>) => rulesDir(s.path(`r${n++}`), ['refresh-token-replay'], { 'refresh-token-replay': { params } });
  assert.deepEqual((await detect(s.path(`t${n++}.db`), tuned({}), fixture)).alerts, []);
  // Judged by address and network alone, the replica alice never came through is a stranger's.
  const unshared = await detect(s.path(`t${n++}.db`), tuned({ sharedBy: null }), fixture);
  assert.deepEqual(keys(unshared.alerts), [`refresh-token-replay ${ALICE} 10.42.1.22`]);
  // The rotation through the ingress, the old token used from Moscow 4 s later: a copy.
  const reuse = fixture.slice(-2).map((l) => l.replaceAll('[10.42.1.22]', `[${RU}]`));
  const stolen = await detect(s.path(`t${n++}.db`), tuned({}), [...fixture.slice(0, -2), ...reuse]);
  assert.deepEqual(keys(stolen.alerts), [`refresh-token-replay ${ALICE} ${RU}`]);
});
