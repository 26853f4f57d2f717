import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { writeCorpus } from '../../bench/corpus.js';
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
      state: d.prepare('SELECT scope, key, state, expires FROM detector_state ORDER BY scope, key').all(),
    };
  } finally {
    d.close();
  }
}

// Every stateful detector has state open at the split: half a burst, a WARN waiting for its
// AzFail, a last location, an open alert that the second half repeats.
const AT = T0 + 3 * 60 * MIN;
const before = [
  ...history(ALICE, SE, 12, 10 * MIN),
  ...history(BOB, SE, 3, 10 * MIN),
  ...Array.from({ length: 6 }, (_, i) => auFail(AT + i * SEC, CN)),
  ...Array.from({ length: 3 }, (_, i) => expired(AT + i * MIN, BOB, SE)),
  ...Array.from({ length: 6 }, (_, i) => azFail(AT + i * SEC + 500, BOB, SE)),
  az(AT + 150 * SEC, ALICE, US),
  idpWarn(AT + 160 * SEC, 'XNIO-1 task-3'),
].sort((a, b) => a.slice(1, 24).localeCompare(b.slice(1, 24)));
const afterSplit = [
  azFail(AT + 162 * SEC, NONE, CN, { thread: 'XNIO-1 task-3', url: TOKEN_URL }),
  ...Array.from({ length: 4 }, (_, i) => auFail(AT + 3 * MIN + i * SEC, CN)),
  ...Array.from({ length: 2 }, (_, i) => expired(AT + 3 * MIN + i * SEC + 200, BOB, SE)),
  ...Array.from({ length: 4 }, (_, i) => azFail(AT + 3 * MIN + i * SEC + 500, BOB, SE)),
  az(AT + 4 * MIN, ALICE, SE),
  az(AT + 5 * MIN, ALICE, US),
].sort((a, b) => a.slice(1, 24).localeCompare(b.slice(1, 24)));

test('detector state and open alerts survive a restart: two processes equal one', () => {
  // The same file name (evidence names it) in two directories.
  mkdirSync(s.path('one'));
  mkdirSync(s.path('two'));
  writeFileSync(s.path('one/day.log'), [...before, ...afterSplit].join('\n') + '\n');
  ouwatch(['replay', 'day.log', '--db', s.path('one.db'), '-q'], s.path('one'));

  writeFileSync(s.path('two/day.log'), before.join('\n') + '\n');
  ouwatch(['replay', 'day.log', '--db', s.path('two.db'), '-q'], s.path('two'));
  appendFileSync(s.path('two/day.log'), afterSplit.join('\n') + '\n');
  const second = ouwatch(['replay', 'day.log', '--db', s.path('two.db'), '--json'], s.path('two'));

  const one = detectionState(s.path('one.db'));
  const two = detectionState(s.path('two.db'));
  const rules = (one.alerts as Array<{ rule: string; count: number }>).map((a) => `${a.rule}:${a.count}`).sort();
  // Each of these needed state from the first process (the travel alert counts the second trip).
  assert.deepEqual(rules, [
    'auth-failure-burst:1', 'authz-failure-burst:1', 'impossible-travel:1', 'impossible-travel:2', 'new-country:1', 'new-source-ip:1',
    'refresh-token-grace-burst:1', 'stale-refresh-token:1',
  ]);
  assert.deepEqual(two, one);
  // The second process printed only what it raised (the repeat on the open alert is not new).
  const raised = second.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { rule: string }).rule).sort();
  assert.deepEqual(raised, ['auth-failure-burst', 'authz-failure-burst', 'impossible-travel', 'refresh-token-grace-burst', 'stale-refresh-token']);
});

test('killed with SIGKILL after a commit and run again, detection ends exactly as an uninterrupted run', async () => {
  const corpus = s.path('corpus.log');
  await writeCorpus(corpus, { lines: 400_000, users: 300, seed: 7 });
  ouwatch(['replay', corpus, '--db', s.path('clean.db'), '-q']);

  const db = s.path('killed.db');
  const child = spawn(process.execPath, [BIN, 'replay', corpus, '--db', db, '-q'], { stdio: 'ignore' });
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
  ouwatch(['replay', corpus, '--db', db, '-q']);
  const clean = detectionState(s.path('clean.db'));
  assert.ok(clean.alerts.length > 100);
  assert.deepEqual(detectionState(db), clean);
});
