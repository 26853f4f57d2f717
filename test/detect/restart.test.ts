import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { writeCorpus } from '../../bench/corpus.js';
import type { StateRow } from '../../src/components/detect/state-table.js';
import { detectorStateByKey } from '../helpers/detector-state.js';
import { ALICE, BOB, CN, MIN, NONE, SE, SEC, T0, TOKEN_URL, US, auFail, az, azFail, expired, history, idpWarn, scratch } from './helpers.js';

const s = scratch();
after(() => s.done());
const BIN = new URL('../../bin/ouwatch.js', import.meta.url).pathname;

function ouwatch(args: string[], cwd = s.dir) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000, cwd });
  assert.equal(r.status, 0, r.stderr);
  return r;
}

/** Everything detection stored, in a comparable form (no wall-clock columns). */
function detectionState(db: string) {
  const d = new Database(db, { readonly: true });
  try {
    return {
      alerts: d.prepare('SELECT id, rule, severity, time, last_time, count, dn, ip, country, reason, evidence, status FROM alerts ORDER BY id').all(),
      // As a start reads it (chunks expanded): two runs commit at other moments.
      state: detectorStateByKey(d.prepare('SELECT scope, key, state, expires FROM detector_state').all() as StateRow[], (d.prepare('SELECT max(last_seen) FROM users').pluck().get() as number | null) ?? 0),
      incidents: d.prepare('SELECT id, key, dn, ip, status, severity, risk, first_time, last_time, rules FROM incidents ORDER BY id').all(),
      incidentAlerts: d.prepare('SELECT incident_id, alert_id FROM incident_alerts ORDER BY incident_id, alert_id').all(),
      learnt: d.prepare('SELECT u.dn, a.ip, a.learnt, a.quarantined_by FROM user_ips a JOIN users u ON u.id = a.user_id ORDER BY u.dn, a.ip').all(),
    };
  } finally {
    d.close();
  }
}

// Every stateful detector has state open at the split: half a burst, a WARN waiting for its
// AzFail, a last location, a session's last network, an open alert that the second half
// repeats, risk waiting in a user's window and an open incident that later alerts join.
const AT = T0 + 3 * 60 * MIN;
const SA = { session: 'f' + 'a1'.repeat(20) };
const SB = { session: 'f' + 'b2'.repeat(20) };
const byTime = (a: string, b: string) => a.slice(1, 24).localeCompare(b.slice(1, 24));
const before = [
  ...history(ALICE, SE, 12, 10 * MIN).map((l) => l.replace(/\[f[0-9a-f]{40}\]$/, `[${SA.session}]`)),
  ...history(BOB, SE, 3, 10 * MIN).map((l) => l.replace(/\[f[0-9a-f]{40}\]$/, `[${SB.session}]`)),
  ...Array.from({ length: 6 }, (_, i) => auFail(AT + i * SEC, CN)),
  ...Array.from({ length: 3 }, (_, i) => expired(AT + i * MIN, BOB, SE, SB)),
  // Bob's denials complete a burst before the split: its risk (30) waits in his window.
  ...Array.from({ length: 10 }, (_, i) => azFail(AT + i * SEC + 500, BOB, SE, SB)),
  // Alice from the US: new country, network and impossible travel from one success (50, with
  // 40 and 25 at half: 82.5, her incident opens).
  az(AT + 150 * SEC, ALICE, US, SA),
  idpWarn(AT + 160 * SEC, 'XNIO-1 task-3'),
].sort(byTime);
const afterSplit = [
  azFail(AT + 162 * SEC, NONE, CN, { thread: 'XNIO-1 task-3', url: TOKEN_URL }),
  ...Array.from({ length: 4 }, (_, i) => auFail(AT + 3 * MIN + i * SEC, CN)),
  // The fifth grace-period refresh within ten minutes: 30 more for bob, 60 in his window.
  ...Array.from({ length: 2 }, (_, i) => expired(AT + 3 * MIN + i * SEC + 200, BOB, SE, SB)),
  // Alice's session in Sweden, then in the US again within ten minutes: it went back and forth
  // (moved, from the session's state of the first process), and travel twice; all join her incident.
  az(AT + 4 * MIN, ALICE, SE, SA),
  az(AT + 5 * MIN, ALICE, US, SA),
].sort(byTime);

/**
 * Replays `first` then `rest` in one process and in two (`first`, then `rest` appended to the
 * same file): the same file name (evidence names it) in directories `<name>-one` and
 * `<name>-two`. `between` is given the two processes' store after the first of them.
 */
function oneAndTwoProcesses(name: string, first: readonly string[], rest: readonly string[], between: (db: string) => void = () => undefined) {
  const [oneDir, twoDir] = [s.path(`${name}-one`), s.path(`${name}-two`)];
  const [oneDb, twoDb] = [`${oneDir}.db`, `${twoDir}.db`];
  mkdirSync(oneDir);
  mkdirSync(twoDir);
  writeFileSync(`${oneDir}/day.log`, [...first, ...rest].join('\n') + '\n');
  ouwatch(['replay', 'day.log', '--db', oneDb, '-q'], oneDir);
  writeFileSync(`${twoDir}/day.log`, first.join('\n') + '\n');
  ouwatch(['replay', 'day.log', '--db', twoDb, '-q'], twoDir);
  between(twoDb);
  appendFileSync(`${twoDir}/day.log`, rest.join('\n') + '\n');
  const second = ouwatch(['replay', 'day.log', '--db', twoDb, '--json'], twoDir);
  return { one: detectionState(oneDb), two: detectionState(twoDb), second };
}

test('detector state, open alerts, risk windows and open incidents survive a restart: two processes equal one', () => {
  let firstHalf: ReturnType<typeof detectionState> | undefined;
  const { one, two, second } = oneAndTwoProcesses('restart', before, afterSplit, (db) => {
    firstHalf = detectionState(db);
  });
  const rules = (one.alerts as Array<{ rule: string; count: number }>).map((a) => `${a.rule}:${a.count}`).sort();
  // Each of these needed state from the first process (the travel alert, open in it, counts the
  // way back and the second trip between the two countries; alice's US address is not learnt
  // while its alerts are open, so they count her return).
  assert.deepEqual(rules, [
    'auth-failure-burst:1', 'authz-failure-burst:1', 'impossible-travel:3', 'new-country:2', 'new-source-ip:2',
    'refresh-token-grace-burst:1', 'session-moved:1', 'stale-refresh-token:1',
  ]);
  assert.deepEqual(two, one);
  // The second process printed only what it raised (the repeats on open alerts are not new).
  const raised = second.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { rule: string }).rule).sort();
  assert.deepEqual(raised, ['auth-failure-burst', 'refresh-token-grace-burst', 'session-moved', 'stale-refresh-token']);

  // Alice's incident opened in the first process; the second one's alerts of hers joined it.
  const incidents = one.incidents as Array<{ id: string; key: string; rules: string }>;
  assert.deepEqual(incidents.map((i) => i.key).sort(), [`dn:${ALICE}`, `dn:${BOB}`, 'net:175.16.199.0/24']);
  const alices = (firstHalf!.incidents as Array<{ id: string; key: string }>).filter((i) => i.key === `dn:${ALICE}`);
  assert.equal(alices.length, 1, 'her incident is open before the split');
  const joined = (two.incidentAlerts as Array<{ incident_id: string; alert_id: string }>).filter((l) => l.incident_id === alices[0].id);
  const rulesOf = new Map((two.alerts as Array<{ id: string; rule: string }>).map((a) => [a.id, a.rule]));
  assert.deepEqual(joined.map((l) => rulesOf.get(l.alert_id)).sort(), ['impossible-travel', 'new-country', 'new-source-ip', 'session-moved']);
  // Bob's incident needed the risk of his first-half alert (30) plus the second half's (30).
  assert.equal((firstHalf!.incidents as Array<{ key: string }>).some((i) => i.key === `dn:${BOB}`), false);
  const bobs = incidents.find((i) => i.key === `dn:${BOB}`)!;
  assert.deepEqual((JSON.parse(bobs.rules) as string[]).sort(), ['authz-failure-burst', 'refresh-token-grace-burst']);
  assert.equal((bobs as unknown as { risk: number }).risk, 60);
  const alice = incidents.find((i) => i.key === `dn:${ALICE}`) as unknown as { risk: number };
  // 82.5 from the US; then Sweden and the US again repeat her travel alert (the same trip),
  // which adds nothing, and the session moved (60).
  assert.equal(alice.risk, 82.5 + 60);
});

test("a restart reads back a commit's sessions stored compressed: the second process still sees alice's session go back", () => {
  // 300 colleagues' sessions in the minutes before the split make the last commit's chunk of
  // sessions far larger than PACK_FROM: it is stored compressed, alice's session with them.
  const colleagues = Array.from({ length: 300 }, (_, i) =>
    az(AT + 100 * SEC + i * 100, `uid=colleague${i},ou=shadow,o=Tremolo`, `10.20.${i >> 8}.${i & 255}`, { session: 'f' + i.toString(16).padStart(40, '0') }),
  );
  const { one, two, second } = oneAndTwoProcesses('packed', [...before, ...colleagues].sort(byTime), afterSplit, (db) => {
    const d = new Database(db, { readonly: true });
    const chunks = d.prepare("SELECT state FROM detector_state WHERE key LIKE '#chunk/%'").pluck().all() as string[];
    d.close();
    assert.ok(chunks.some((c) => !c.startsWith('[') && c.length < 300 * 200), 'a chunk stored compressed');
  });
  const raised = second.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { rule: string }).rule);
  assert.ok(raised.includes('session-moved'), `the session's uses came back from the compressed chunk: ${raised.join(', ')}`);
  assert.deepEqual(two, one);
});

test('killed with SIGKILL after a commit and run again, detection (alerts, state, incidents, learning) ends exactly as an uninterrupted run', async () => {
  const corpus = s.path('corpus.log');
  await writeCorpus(corpus, { lines: 100_000, users: 300, seed: 7 });
  ouwatch(['replay', corpus, '--db', s.path('clean.db'), '-q']);

  const db = s.path('killed.db');
  // Commits every 5,000 lines (the clean run commits once, at the end): killed between two.
  const child = spawn(process.execPath, [BIN, 'replay', corpus, '--db', db, '-q', '--commit-every', '5000'], { stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  // Wait for the first commit (a checkpoint row), then kill it mid-run.
  const deadline = Date.now() + 60_000;
  for (;;) {
    await sleep(10);
    let committed = false;
    try {
      const d = new Database(db, { readonly: true, fileMustExist: true });
      try {
        committed = (d.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'checkpoints'").get() as { n: number }).n === 1 &&
          (d.prepare('SELECT count(*) AS n FROM checkpoints').get() as { n: number }).n > 0;
      } finally {
        d.close();
      }
    } catch {
      // not created yet
    }
    if (committed || Date.now() > deadline) break;
  }
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL', 'the replay finished before it could be killed');
  const partial = detectionState(db);
  assert.ok(partial.alerts.length < (detectionState(s.path('clean.db')).alerts as unknown[]).length, 'killed before the end');
  ouwatch(['replay', corpus, '--db', db, '-q', '--commit-every', '5000']);
  const clean = detectionState(s.path('clean.db'));
  assert.ok(clean.alerts.length > 100);
  assert.deepEqual(detectionState(db), clean);
});
