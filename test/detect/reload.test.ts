import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { ConfigError } from '../../src/app/config.js';
import { replayFiles } from '../../src/app/replay.js';
import type { CommitReport } from '../../src/pipeline/committer.js';
import { waitFor } from '../helpers/wait.js';
import { ALICE, CN, GB, MIN, RU, SEC, T0, allAlerts, auFail, azFail, keys, rulesDir, runtimeFor, scratch } from './helpers.js';

const s = scratch();
after(() => s.done());

const thresholdOf = (r: { params: unknown }) => (r.params as { threshold: number }).threshold;

test('reloadRules swaps in edited rules; a bad edit throws ConfigError and the old rules keep working', async () => {
  const dir = rulesDir(s.dir, ['auth-failure-burst']);
  const file = `${dir}/auth-failure-burst.yaml`;
  const rt = await runtimeFor(s.path('reload.db'), dir);
  try {
    const log = s.path('reload.log');
    // Five failures: quiet under the shipped threshold of 10.
    writeFileSync(log, Array.from({ length: 5 }, (_, i) => auFail(T0 + i * SEC, CN)).join('\n') + '\n');
    await replayFiles([log], rt);
    assert.deepEqual(allAlerts(rt), []);

    writeFileSync(file, readFileSync(file, 'utf8').replace('threshold: 10', 'threshold: 3'));
    const loaded = rt.reloadRules();
    assert.deepEqual(loaded.map(thresholdOf), [3]);
    assert.deepEqual(rt.detection.rules.map(thresholdOf), [3]);
    appendFileSync(log, Array.from({ length: 3 }, (_, i) => auFail(T0 + 60 * SEC + i * SEC, RU)).join('\n') + '\n');
    await replayFiles([log], rt);
    assert.deepEqual(keys(allAlerts(rt)), [`auth-failure-burst - ${RU}`]);

    writeFileSync(file, readFileSync(file, 'utf8').replace('threshold: 3', 'threshold: three'));
    assert.throws(() => rt.reloadRules(), (e: unknown) => e instanceof ConfigError && e.file === file && /params\.threshold: Invalid input: expected number/.test(e.message));
    assert.deepEqual(rt.detection.rules.map(thresholdOf), [3]);
    appendFileSync(log, Array.from({ length: 3 }, (_, i) => auFail(T0 + 120 * SEC + i * SEC, '81.2.69.142')).join('\n') + '\n');
    await replayFiles([log], rt);
    assert.deepEqual(keys(allAlerts(rt)), [`auth-failure-burst - ${RU}`, 'auth-failure-burst - 81.2.69.142']);
  } finally {
    await rt.close();
  }
});

test('rules reloaded while events are pending take over after the next commit, their state intact', async () => {
  const dir = rulesDir(s.path('two'), ['auth-failure-burst']);
  const file = `${dir}/auth-failure-burst.yaml`;
  const rt = await runtimeFor(s.path('pending.db'), dir);
  const commits: CommitReport[] = [];
  // The commits asked for; the one before the run's first event (for retention, empty) is not.
  rt.onCommit((r) => void (r.logTimeTick === null && commits.push(r)));
  try {
    // A live input that commits only when asked: events stay pending in between.
    const input = rt.ingest.open({ origin: 'live', identity: { kind: 'none' }, startOffset: 0, startLineNo: 0, live: true, format: 'plain' });
    input.push(Buffer.from(Array.from({ length: 4 }, (_, i) => auFail(T0 + i * SEC, CN) + '\n').join('')));
    await waitFor('four events processed', () => rt.detection.pending === 4);
    writeFileSync(file, readFileSync(file, 'utf8').replace('threshold: 10', 'threshold: 5'));
    rt.reloadRules();
    // Still the old rules: their four-event window is not written yet.
    assert.deepEqual(rt.detection.rules.map(thresholdOf), [10]);
    await rt.ingest.commitNow();
    assert.deepEqual(rt.detection.rules.map(thresholdOf), [5]);
    assert.deepEqual(commits.map((c) => c.raised.length), [0]);
    input.push(Buffer.from(auFail(T0 + 10 * SEC, CN) + '\n'));
    await waitFor('the fifth event processed', () => rt.detection.pending === 1);
    await rt.ingest.commitNow();
    // The new rule counted the four events of the old one's window: five within five minutes.
    assert.deepEqual(keys(commits[1].raised), [`auth-failure-burst - ${CN}`]);
    input.end();
    await rt.ingest.stop();
  } finally {
    await rt.close();
  }
});

test('a reload keeps the state in force: a window spent since start-up does not come back', async () => {
  const dir = rulesDir(s.path('three'), ['auth-failure-burst']);
  const db = s.path('spent.db');
  const log = s.path('spent.log');
  // A first process leaves a window of nine failures in the store.
  writeFileSync(log, Array.from({ length: 9 }, (_, i) => auFail(T0 + i * SEC, CN)).join('\n') + '\n');
  const first = await runtimeFor(db, dir);
  await replayFiles([log], first).finally(() => first.close());
  const rt = await runtimeFor(db, dir);
  try {
    // The tenth completes the burst: the alert is raised and the window starts afresh.
    appendFileSync(log, auFail(T0 + 10 * SEC, CN) + '\n');
    await replayFiles([log], rt);
    assert.deepEqual(allAlerts(rt).map((a) => a.count), [1]);
    rt.reloadRules();
    appendFileSync(log, auFail(T0 + 11 * SEC, CN) + '\n');
    await replayFiles([log], rt);
    // One failure in the new window: nothing to count on the alert.
    assert.deepEqual(allAlerts(rt).map((a) => a.count), [1]);
  } finally {
    await rt.close();
  }
});

test("a reload that excludes a user's DN applies to a user already seen (what rules admit a user is worked out again)", async () => {
  const dir = rulesDir(s.path('dns'), ['authz-failure-burst']);
  const file = `${dir}/authz-failure-burst.yaml`;
  const rt = await runtimeFor(s.path('reload-dns.db'), dir);
  try {
    const log = s.path('reload-dns.log');
    const burst = (from: number) => Array.from({ length: 10 }, (_, i) => azFail(from + i * SEC, ALICE, GB)).join('\n') + '\n';
    writeFileSync(log, burst(T0));
    await replayFiles([log], rt);
    assert.deepEqual(keys(allAlerts(rt)), [`authz-failure-burst ${ALICE} ${GB}`]);

    writeFileSync(file, readFileSync(file, 'utf8').replace('  exclude: []', `  exclude: ['uid=alice,*']`));
    rt.reloadRules();
    // Alice is in memory with the verdicts of the old rules; a burst after the suppression window is not hers to raise now.
    appendFileSync(log, burst(T0 + 25 * 60 * MIN));
    await replayFiles([log], rt);
    assert.equal(allAlerts(rt).length, 1, 'no second alert for an excluded DN');

    writeFileSync(file, readFileSync(file, 'utf8').replace(`  exclude: ['uid=alice,*']`, '  exclude: []'));
    rt.reloadRules();
    appendFileSync(log, burst(T0 + 50 * 60 * MIN));
    await replayFiles([log], rt);
    assert.equal(allAlerts(rt).length, 2, 'admitted again: a new burst is a new alert');
  } finally {
    await rt.close();
  }
});
