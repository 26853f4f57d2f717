import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { replayFiles } from '../../src/app/replay.js';
import type { Config } from '../../src/app/config.js';
import type { CommitReport } from '../../src/pipeline/committer.js';
import { AlertStore } from '../../src/store/sqlite/alerts.js';
import { openDatabase } from '../../src/store/sqlite/database.js';
import { ALICE, H, MIN, RU, T0, az, allAlerts, detect, keys, rulesDir, runtimeFor, scratch } from './helpers.js';

const s = scratch();
after(() => s.done());
let n = 0;
// ip-not-allowed with an allowlist: every success from RU is a finding, which makes repeats easy to count.
const strict = (extra: Record<string, unknown> = {}) =>
  rulesDir(s.path(`r${n++}`), ['ip-not-allowed'], { 'ip-not-allowed': { params: { allow: ['89.160.20.0/24'] }, ...extra } });
const fromRu = (...ts: number[]) => ts.map((t) => az(t, ALICE, RU));

/** An analyst's status change from another process (its own connection), as `ouwatch alerts` makes it. */
function setStatus(db: string, id: string, status: 'acknowledged' | 'closed', by: string, comment: string | null): void {
  const d = openDatabase(db);
  try {
    assert.equal(new AlertStore(d).setStatus(id, status, by, comment), true);
  } finally {
    d.close();
  }
}

test('a repeat of (rule, DN, address) within 24 h is counted on the open alert, with its time and evidence', async () => {
  const { alerts } = await detect(s.path('s1.db'), strict(), fromRu(T0, T0 + H, T0 + 2 * H));
  assert.equal(alerts.length, 1);
  const a = alerts[0];
  assert.equal(a.count, 3);
  assert.equal(a.time, new Date(T0).toISOString());
  assert.equal(a.lastTime, new Date(T0 + 2 * H).toISOString());
  assert.deepEqual(a.evidence.map((e) => e.line), fromRu(T0, T0 + H, T0 + 2 * H));
  assert.equal(a.evidenceTotal, 3);
});

test('24 h after the alert was raised, the same (rule, DN, address) raises a new alert', async () => {
  const { alerts } = await detect(s.path('s2.db'), strict(), fromRu(T0, T0 + 24 * H - 1, T0 + 24 * H));
  assert.deepEqual(alerts.map((a) => [a.time, a.count]), [
    [new Date(T0).toISOString(), 2],
    [new Date(T0 + 24 * H).toISOString(), 1],
  ]);
  assert.notEqual(alerts[0].id, alerts[1].id);
});

test('the suppression window comes from the rule file', async () => {
  const { alerts } = await detect(s.path('s3.db'), strict({ suppress: '30m' }), fromRu(T0, T0 + 29 * MIN, T0 + 30 * MIN));
  assert.deepEqual(alerts.map((a) => a.count), [2, 1]);
});

test('evidence is capped (detect.maxEvidence, 20 by default) while the count and evidenceTotal go on', async () => {
  const times = Array.from({ length: 30 }, (_, i) => T0 + i * MIN);
  const { alerts } = await detect(s.path('s4.db'), strict(), fromRu(...times));
  assert.equal(alerts[0].count, 30);
  assert.equal(alerts[0].evidence.length, 20);
  assert.equal(alerts[0].evidenceTotal, 30);
  const capped = await detect(s.path('s4b.db'), strict(), fromRu(...times), undefined, (c) => (c.detect.maxEvidence = 5));
  assert.deepEqual([capped.alerts[0].count, capped.alerts[0].evidence.length, capped.alerts[0].evidenceTotal], [30, 5, 30]);
});

test('repeats after the alert is stored append their lines to its stored evidence, across commits and runs, within detect.maxEvidence', async () => {
  // A commit after every line: each repeat finds its alert stored (its evidence no longer in memory).
  const everyLine = (c: Config) => {
    c.store.commitEvery = 1;
    c.detect.maxEvidence = 4;
  };
  const db = s.path('s4c.db');
  await detect(db, strict(), fromRu(T0, T0 + H), s.path('s4c-1.log'), everyLine);
  const { alerts } = await detect(db, strict(), fromRu(T0 + 2 * H, T0 + 3 * H, T0 + 4 * H), s.path('s4c-2.log'), everyLine);
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0].count, 5);
  assert.deepEqual(alerts[0].evidence.map((e) => e.line), fromRu(T0, T0 + H, T0 + 2 * H, T0 + 3 * H));
  assert.deepEqual(alerts[0].evidence.map((e) => e.source), [`${s.path('s4c-1.log')}:1`, `${s.path('s4c-1.log')}:2`, `${s.path('s4c-2.log')}:1`, `${s.path('s4c-2.log')}:2`]);
  assert.equal(alerts[0].evidenceTotal, 5);
});

test('repeats go on an acknowledged alert; after it is closed, a repeat raises a new alert (across runs)', async () => {
  const db = s.path('s5.db');
  const rules = strict();
  const log = s.path('s5.log');
  writeFileSync(log, fromRu(T0).join('\n') + '\n');
  const first = await detect(db, rules, { files: [log] });
  setStatus(db, first.alerts[0].id, 'acknowledged', 'alice', 'looking');
  appendFileSync(log, fromRu(T0 + H).join('\n') + '\n');
  const second = await detect(db, rules, { files: [log] });
  assert.deepEqual(second.alerts.map((a) => [a.status, a.count]), [['acknowledged', 2]]);
  setStatus(db, first.alerts[0].id, 'closed', 'alice', 'a pentest');
  appendFileSync(log, fromRu(T0 + 2 * H).join('\n') + '\n');
  const third = await detect(db, rules, { files: [log] });
  assert.deepEqual(third.alerts.map((a) => [a.status, a.count, a.time]), [
    ['closed', 2, new Date(T0).toISOString()],
    ['open', 1, new Date(T0 + 2 * H).toISOString()],
  ]);
});

test('an alert closed while a run is counting repeats on it: the next repeats become a new alert', async () => {
  const db = s.path('s6.db');
  const rt = await runtimeFor(db, strict());
  try {
    const log = s.path('s6.log');
    writeFileSync(log, fromRu(T0).join('\n') + '\n');
    await replayFiles([log], rt);
    const [raised] = allAlerts(rt);
    // An analyst closes it from another process while this one keeps running.
    setStatus(db, raised.id, 'closed', 'bob', null);
    appendFileSync(log, fromRu(T0 + H, T0 + 2 * H).join('\n') + '\n');
    const committed: string[] = [];
    rt.onCommit((r: CommitReport) => void committed.push(...r.raised.map((a) => a.id)));
    await replayFiles([log], rt);
    const all = allAlerts(rt);
    assert.deepEqual(all.map((a) => [a.status, a.count, a.time, a.lastTime]), [
      ['closed', 1, new Date(T0).toISOString(), new Date(T0).toISOString()],
      ['open', 2, new Date(T0 + H).toISOString(), new Date(T0 + 2 * H).toISOString()],
    ]);
    assert.deepEqual(committed, [all[1].id]);
  } finally {
    await rt.close();
  }
});

test('DN exclude patterns and address exceptions keep events away from a rule', async () => {
  const rules = rulesDir(s.path('rx'), ['ip-not-allowed'], {
    'ip-not-allowed': { params: { allow: ['89.160.20.0/24'] }, dns: { include: [], exclude: ['uid=alice,*'] }, ipExceptions: ['216.160.83.0/24'] },
  });
  const { alerts } = await detect(s.path('s7.db'), rules, [az(T0, ALICE, RU), az(T0, 'uid=bob,o=X', '216.160.83.56'), az(T0 + 1, 'uid=bob,o=X', RU)]);
  assert.deepEqual(keys(alerts), [`ip-not-allowed uid=bob,o=X ${RU}`]);
});

test('the global allowlist (detect.allowlist networks and DN globs) keeps events away from every rule', async () => {
  const lines = [az(T0, ALICE, RU), az(T0 + 1, 'uid=bob,o=X', RU), az(T0 + 2, 'uid=probe,ou=monitoring,o=X', '216.160.83.56'), az(T0 + 3, 'uid=bob,o=X', '216.160.83.56')];
  const { alerts } = await detect(s.path('s9.db'), strict(), lines, undefined, (c) => {
    c.detect.allowlist.networks = ['5.255.255.0/24'];
    c.detect.allowlist.dns = ['*,ou=monitoring,*'];
  });
  assert.deepEqual(keys(alerts), ['ip-not-allowed uid=bob,o=X 216.160.83.56']);
});

test('reading the same lines again (--from-start) after their alert was closed raises nothing twice', async () => {
  const db = s.path('s8.db');
  const rt = await runtimeFor(db, strict());
  try {
    const log = s.path('s8.log');
    writeFileSync(log, fromRu(T0).join('\n') + '\n');
    await replayFiles([log], rt);
    const [raised] = allAlerts(rt);
    new AlertStore(rt.db).setStatus(raised.id, 'closed', 'bob', null);
    const again: string[] = [];
    rt.onCommit((r: CommitReport) => void again.push(...r.raised.map((a) => a.id)));
    await replayFiles([log], rt, { fromStart: true });
    assert.deepEqual(again, []);
    assert.deepEqual(allAlerts(rt).map((a) => [a.id, a.status]), [[raised.id, 'closed']]);
  } finally {
    await rt.close();
  }
});

test('detect.maxOpenAlerts bounds the open alerts held: the least recently repeated are let go after a commit, and a later finding of theirs raises a new alert', async () => {
  const db = s.path('bound.db');
  const users = [1, 2, 3, 4, 5].map((i) => `uid=user${i},ou=users,o=Tremolo`);
  const cap = (c: Config) => (c.detect.maxOpenAlerts = 3);
  const log = s.path('bound.log');
  const rt = await runtimeFor(db, strict(), cap);
  try {
    // Five users, five alerts; user5's is repeated last. Over 3 held, the commit keeps 90 % of 3 (2): user4's and user5's.
    writeFileSync(log, [...users.map((u, i) => az(T0 + i * MIN, u, RU)), az(T0 + 10 * MIN, users[4], RU)].join('\n') + '\n');
    await replayFiles([log], rt);
    assert.deepEqual(rt.detection.openAlerts, { held: 2, letGoEarly: 3 });
    appendFileSync(log, [az(T0 + H, users[4], RU), az(T0 + H + 1, users[0], RU)].join('\n') + '\n');
    await replayFiles([log], rt);
    const alerts = allAlerts(rt);
    // user5's finding counts on its open alert; user1's, whose alert was let go, is a new alert (the first stays as it was).
    assert.deepEqual(
      alerts.map((a) => [a.dn, a.count, a.lastTime]),
      [
        [users[0], 1, new Date(T0).toISOString()],
        [users[1], 1, new Date(T0 + MIN).toISOString()],
        [users[2], 1, new Date(T0 + 2 * MIN).toISOString()],
        [users[3], 1, new Date(T0 + 3 * MIN).toISOString()],
        [users[4], 3, new Date(T0 + H).toISOString()],
        [users[0], 1, new Date(T0 + H + 1).toISOString()],
      ],
    );
  } finally {
    await rt.close();
  }
  // At start-up the store's open alerts are loaded (five keys: user1's later alert takes its key), then held within the bound too.
  const again = await runtimeFor(db, strict(), cap);
  try {
    assert.deepEqual(again.detection.openAlerts, { held: 2, letGoEarly: 3 });
  } finally {
    await again.close();
  }
  // Without the bound (250,000 by default) the latest open alert of every key is held.
  const unbounded = await runtimeFor(db, strict());
  try {
    assert.deepEqual(unbounded.detection.openAlerts, { held: 5, letGoEarly: 0 });
  } finally {
    await unbounded.close();
  }
});
