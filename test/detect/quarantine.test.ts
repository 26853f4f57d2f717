import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { replayFiles } from '../../src/app/replay.js';
import { AlertStore } from '../../src/store/sqlite/alerts.js';
import { openDatabase } from '../../src/store/sqlite/database.js';
import { ALICE, BOB, H, MIN, PRIV, SE, SE_HOME, SE_POOL, T0, TOKEN_URL, US, az, azFail, allAlerts, detect, expired, history, keys, rulesDir, runtimeFor, scratch } from './helpers.js';

/**
 * No baseline poisoning: an address whose first success raised an alert of medium severity or
 * more is not learnt while that alert is open (its later successes count on the alert), and is
 * learnt once the alert is closed as benign. Closed otherwise, the next success from it is a
 * new alert: a thief who comes back is caught again. Rules quarantine by default; new-source-ip
 * ships with `quarantine: false` (a new network is common), so these scenarios use new-country.
 */
const s = scratch();
after(() => s.done());
let n = 0;
const rules = () => rulesDir(s.path(`r${n++}`), ['new-country']);
const LATER = T0 + 3 * H;

/**
 * `ouwatch alerts close ID --benign` as the store records it (from another process): the
 * status, the benign verdict, and a status-change row (what running pipelines poll).
 */
function closeAsBenign(db: string, id: string): void {
  const d = openDatabase(db);
  try {
    d.transaction(() => {
      assert.equal(d.prepare("UPDATE alerts SET status = 'closed', closed_benign = 1 WHERE id = ?").run(id).changes, 1);
      d.prepare('INSERT INTO alert_status_changes (alert_id, status, by, at, comment) VALUES (?, ?, ?, ?, ?)').run(id, 'closed', 'alice', Date.now(), 'benign: her trip');
    })();
  } finally {
    d.close();
  }
}

function closeAsMalicious(db: string, id: string): void {
  const d = openDatabase(db);
  try {
    assert.equal(new AlertStore(d).setStatus(id, 'closed', 'alice', 'not her'), true);
  } finally {
    d.close();
  }
}

/** alice's stored address row: learnt, and the alert keeping it from being learnt. */
function addressRow(db: string, ip: string): { learnt: number; quarantined_by: string | null; success_count: number } {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare('SELECT learnt, quarantined_by, success_count FROM user_ips WHERE user_id = (SELECT id FROM users WHERE dn = ?) AND ip = ?').get(ALICE, ip) as { learnt: number; quarantined_by: string | null; success_count: number };
  } finally {
    d.close();
  }
}

test('an address whose first success raised an alert is stored unlearnt, quarantined by that alert; its next successes count on it', async () => {
  const db = s.path('q1.db');
  const { alerts } = await detect(db, rules(), [...history(ALICE, SE), az(LATER, ALICE, US), az(LATER + MIN, ALICE, US), az(LATER + 2 * MIN, ALICE, US)]);
  assert.deepEqual(keys(alerts), [`new-country ${ALICE} ${US}`]);
  assert.equal(alerts[0].count, 3);
  assert.deepEqual(addressRow(db, US), { learnt: 0, quarantined_by: alerts[0].id, success_count: 3 });
  assert.deepEqual(addressRow(db, SE), { learnt: 1, quarantined_by: null, success_count: 12 });
});

test('closed as benign while the pipeline runs: after its next commit the address is learnt, and later successes from it raise nothing', async () => {
  const db = s.path('q2.db');
  const log = s.path('q2.log');
  const rt = await runtimeFor(db, rules());
  try {
    writeFileSync(log, [...history(ALICE, SE), az(LATER, ALICE, US)].join('\n') + '\n');
    await replayFiles([log], rt);
    const [alert] = allAlerts(rt);
    closeAsBenign(db, alert.id);
    appendFileSync(log, [az(LATER + H, ALICE, SE), az(LATER + 2 * H, ALICE, US), az(LATER + 30 * H, ALICE, US)].join('\n') + '\n');
    await replayFiles([log], rt);
    assert.deepEqual(allAlerts(rt).map((a) => [a.id, a.status, a.count]), [[alert.id, 'closed', 1]]);
  } finally {
    await rt.close();
  }
  assert.deepEqual(addressRow(db, US), { learnt: 1, quarantined_by: null, success_count: 3 });
});

test('closed as benign while no pipeline runs: the next run learns the address', async () => {
  const db = s.path('q3.db');
  const log = s.path('q3.log');
  const r = rules();
  writeFileSync(log, [...history(ALICE, SE), az(LATER, ALICE, US)].join('\n') + '\n');
  const first = await detect(db, r, { files: [log] });
  closeAsBenign(db, first.alerts[0].id);
  appendFileSync(log, [az(LATER + 2 * H, ALICE, US), az(LATER + 30 * H, ALICE, US)].join('\n') + '\n');
  const second = await detect(db, r, { files: [log] });
  assert.deepEqual(second.alerts.map((a) => [a.status, a.count]), [['closed', 1]]);
  assert.deepEqual(addressRow(db, US), { learnt: 1, quarantined_by: null, success_count: 3 });
});

test('the alerts closed as benign, which every start looks up, are found by an index, not by a scan of every alert row', () => {
  const d = openDatabase(s.path('q-plan.db'));
  try {
    const plan = (d.prepare('EXPLAIN QUERY PLAN SELECT id FROM alerts WHERE closed_benign = 1').all() as Array<{ detail: string }>).map((r) => r.detail).join('; ');
    assert.match(plan, /USING (COVERING )?INDEX alerts_closed_benign/, plan);
  } finally {
    d.close();
  }
});

test('closed, not as benign: the address stays unlearnt and its next success is a new alert (the thief is caught again)', async () => {
  const db = s.path('q4.db');
  const log = s.path('q4.log');
  const r = rules();
  writeFileSync(log, [...history(ALICE, SE), az(LATER, ALICE, US)].join('\n') + '\n');
  const first = await detect(db, r, { files: [log] });
  closeAsMalicious(db, first.alerts[0].id);
  appendFileSync(log, az(LATER + 2 * H, ALICE, US) + '\n');
  const second = await detect(db, r, { files: [log] });
  assert.deepEqual(second.alerts.map((a) => [a.status, a.time]), [
    ['closed', new Date(LATER).toISOString()],
    ['open', new Date(LATER + 2 * H).toISOString()],
  ]);
  assert.equal(addressRow(db, US).learnt, 0);
});

test('a low-severity finding teaches its address at once (only medium or worse quarantines)', async () => {
  const db = s.path('q5.db');
  // new-source-ip with quarantine: true; its low variant (a new /24 of a known ASN and country), shown as an alert.
  const r = rulesDir(s.path(`r${n++}`), ['new-source-ip'], { 'new-source-ip': { quarantine: true, params: { quietWhenLow: false } } });
  const { alerts } = await detect(db, r, [...history(ALICE, SE), az(LATER, ALICE, SE_POOL)]);
  assert.deepEqual(alerts.map((a) => a.severity), ['low']);
  assert.deepEqual(addressRow(db, SE_POOL), { learnt: 1, quarantined_by: null, success_count: 1 });
});

test('a rule with quarantine: false (new-source-ip as shipped) learns the address at once; a quarantining rule raised by the same event still holds it', async () => {
  const alone = s.path('q7.db');
  const nsip = rulesDir(s.path(`r${n++}`), ['new-source-ip']);
  const one = await detect(alone, nsip, [...history(ALICE, SE), az(LATER, ALICE, SE_HOME), az(LATER + MIN, ALICE, SE_HOME)]);
  assert.deepEqual(one.alerts.map((a) => [a.rule, a.status, a.count]), [['new-source-ip', 'open', 1]]);
  assert.deepEqual(addressRow(alone, SE_HOME), { learnt: 1, quarantined_by: null, success_count: 2 });

  const both = s.path('q8.db');
  const two = await detect(both, rulesDir(s.path(`r${n++}`), ['new-source-ip', 'new-country']), [...history(ALICE, SE), az(LATER, ALICE, US), az(LATER + MIN, ALICE, US)]);
  const country = two.alerts.find((a) => a.rule === 'new-country')!;
  assert.deepEqual(two.alerts.map((a) => [a.rule, a.count]), [['new-country', 2], ['new-source-ip', 2]]);
  assert.deepEqual(addressRow(both, US), { learnt: 0, quarantined_by: country.id, success_count: 2 });
});

test('closed as malicious, raised again, then closed as benign: the address is learnt (the alert that keeps it is the latest)', async () => {
  const db = s.path('q6.db');
  const log = s.path('q6.log');
  const r = rules();
  writeFileSync(log, [...history(ALICE, SE), az(LATER, ALICE, US)].join('\n') + '\n');
  const first = await detect(db, r, { files: [log] });
  closeAsMalicious(db, first.alerts[0].id);
  appendFileSync(log, az(LATER + 2 * H, ALICE, US) + '\n');
  const second = await detect(db, r, { files: [log] });
  const again = second.alerts.find((a) => a.status === 'open')!;
  closeAsBenign(db, again.id);
  appendFileSync(log, az(LATER + 30 * H, ALICE, US) + '\n');
  const third = await detect(db, r, { files: [log] });
  assert.deepEqual(third.alerts.map((a) => a.status), ['closed', 'closed']);
  assert.deepEqual(addressRow(db, US), { learnt: 1, quarantined_by: null, success_count: 3 });
});

test('closed as benign while an address it quarantined is out of memory (a sprayed user lets go of addresses that never succeeded): read back, it is released too', async () => {
  const db = s.path('q9.db');
  const log = s.path('q9.log');
  // Alice holds at most 16 addresses: after a commit she keeps 8, those that succeeded first.
  const rt = await runtimeFor(db, rulesDir(s.path(`r${n++}`), ['authz-failure-burst']), undefined, { maxAddressesHeld: 16 });
  const sprayed = (i: number) => `81.2.69.${10 + i}`;
  const quarantined = sprayed(9); // the tenth denial completes the burst: its address is the alert's
  try {
    writeFileSync(log, [...history(ALICE, SE), ...Array.from({ length: 40 }, (_, i) => azFail(LATER + i * 1_000, ALICE, sprayed(i)))].join('\n') + '\n');
    await replayFiles([log], rt);
    // Four bursts, each ending at its own address: four alerts, the first on the tenth address.
    const all = allAlerts(rt);
    assert.deepEqual(all.map((a) => a.ip), [9, 19, 29, 39].map(sprayed));
    const alert = all[0];
    assert.deepEqual(addressRow(db, quarantined), { learnt: 0, quarantined_by: alert.id, success_count: 0 });
    assert.ok(rt.history.addressMemory.letGo >= 30, `the sprayed addresses were let go (${rt.history.addressMemory.letGo})`);

    closeAsBenign(db, alert.id);
    // Alice herself signs in from that address: read back before its batch, the address is released as if it had been held, and learnt.
    appendFileSync(log, az(LATER + H, ALICE, quarantined) + '\n');
    await replayFiles([log], rt);
    appendFileSync(log, az(LATER + 2 * H, ALICE, quarantined) + '\n');
    await replayFiles([log], rt);
  } finally {
    await rt.close();
  }
  assert.deepEqual(addressRow(db, quarantined), { learnt: 1, quarantined_by: null, success_count: 2 });
});

test('closed as benign after the address it quarantined aged out of memory: read back at the close, its country is the user\'s at once', async () => {
  const db = s.path('q10.db');
  const log = s.path('q10.log');
  // Two days of addresses in memory: alice's trip to the US is let go while she is home again.
  const rt = await runtimeFor(db, rules(), (c) => (c.store.commitEvery = 4), { addressesKeptFor: 2 * 24 * H });
  const home = (d: number) => `89.160.20.${10 + d}`;
  const US2 = '216.160.83.60';
  try {
    const trip = [az(LATER, ALICE, US), az(LATER + MIN, ALICE, US)];
    const days = Array.from({ length: 10 }, (_, d) => az(LATER + (d + 1) * 24 * H, ALICE, home(d)));
    writeFileSync(log, [...history(ALICE, SE), ...trip, ...days].join('\n') + '\n');
    await replayFiles([log], rt);
    const [alert] = allAlerts(rt);
    assert.deepEqual(keys([alert]), [`new-country ${ALICE} ${US}`]);
    assert.deepEqual(addressRow(db, US), { learnt: 0, quarantined_by: alert.id, success_count: 2 });
    const before = rt.history.addressMemory;
    assert.ok(before.letGo >= 1, `the trip's address was let go with alice's old ones (${before.letGo})`);

    closeAsBenign(db, alert.id);
    // Another US address, never seen: the country is hers once the close is noticed, though the
    // address that taught it was out of memory.
    appendFileSync(log, az(LATER + 12 * 24 * H, ALICE, US2) + '\n');
    await replayFiles([log], rt);
    assert.deepEqual(allAlerts(rt).map((a) => [a.id, a.status]), [[alert.id, 'closed']], 'no new-country alert for a country closed as hers');
    assert.equal(rt.history.addressMemory.readBack, before.readBack + 1, 'the quarantined address was read back at the close');
  } finally {
    await rt.close();
  }
  assert.deepEqual(addressRow(db, US), { learnt: 1, quarantined_by: null, success_count: 2 });
});

test('closed as benign while its user is out of memory: the organisation counts the place the store learnt, after that commit', async () => {
  const db = s.path('q11.db');
  const log = s.path('q11.log');
  // Small DN tables, started over by the 300 people after alice; no user is kept in memory
  // after a commit beyond those ids still in flight name.
  const tables = { dns: 64, ips: 256, sessions: 256, threads: 64 };
  const rt = await runtimeFor(db, rules(), (c) => (c.store.commitEvery = 50), { usersHeld: 0, tables });
  try {
    // bob's only country is the US (learnt); alice's trip there is quarantined by its alert.
    const others = Array.from({ length: 300 }, (_, i) => az(LATER + H + i * 1_000, `uid=user${i},ou=users,o=Tremolo`, PRIV));
    writeFileSync(log, [...history(ALICE, SE), ...history(BOB, US), az(LATER, ALICE, US), ...others].join('\n') + '\n');
    await replayFiles([log], rt);
    const [alert] = allAlerts(rt);
    assert.deepEqual(keys([alert]), [`new-country ${ALICE} ${US}`]);
    assert.equal(rt.detection.organisation.usersInCountry('US'), 1, 'bob');
    assert.equal(rt.history.holds(ALICE), false, 'alice is out of memory');

    closeAsBenign(db, alert.id);
    // Any later line makes the pipeline notice the close and commit.
    appendFileSync(log, az(LATER + 2 * H, BOB, US) + '\n');
    await replayFiles([log], rt);
    assert.equal(rt.detection.organisation.usersInCountry('US'), 2, 'bob and alice, as the store counts them');
  } finally {
    await rt.close();
  }
  assert.deepEqual(addressRow(db, US), { learnt: 1, quarantined_by: null, success_count: 1 });
});

test("a thief's address learnt by the success of the request that replayed the token is taken back when the replay alerts: the thief's return is caught", async () => {
  // A thief in alice's own country, another ISP (only new-source-ip, which does not quarantine,
  // finds the address new): OpenUnison logs the refresh's AzSuccess, then 3 ms later the
  // grace-period use it revealed. Three days later the thief replays another copied token
  // from the same address.
  const db = s.path('q12.db');
  const DAY = 24 * H;
  const thief = (t: number, thread: string) => [az(t, ALICE, SE_HOME, { url: TOKEN_URL, thread }), expired(t + 3, ALICE, SE_HOME, { thread })];
  const r = rulesDir(s.path(`r${n++}`), ['refresh-token-replay', 'new-source-ip']);
  const rt = await runtimeFor(db, r);
  try {
    const log = s.path('q12.log');
    writeFileSync(log, [...history(ALICE, SE, 30), ...thief(T0 + DAY, 'XNIO-1 task-9'), ...history(ALICE, SE, 5, 10 * MIN, T0 + 2 * DAY)].join('\n') + '\n');
    await replayFiles([log], rt);
    const first = allAlerts(rt).find((a) => a.rule === 'refresh-token-replay')!;
    assert.deepEqual(addressRow(db, SE_HOME), { learnt: 0, quarantined_by: first.id, success_count: 1 }, 'kept from being learnt by the replay alert');
    assert.equal(rt.detection.organisation.usersOnNet('81.224.10.0/24'), 0, "the thief's network is nobody's");
    assert.equal(rt.detection.organisation.usersOnAsn(3301), 0);
    assert.equal(rt.detection.organisation.usersInCountry('SE'), 1, "alice's own country stays hers: the office taught it");

    appendFileSync(log, thief(T0 + 4 * DAY, 'XNIO-1 task-7').join('\n') + '\n');
    await replayFiles([log], rt);
    const replays = allAlerts(rt).filter((a) => a.rule === 'refresh-token-replay');
    assert.deepEqual(replays.map((a) => [a.ip, a.severity]), [[SE_HOME, 'critical'], [SE_HOME, 'critical']], 'the returning thief is caught again');
  } finally {
    await rt.close();
  }
  const d = new Database(db, { readonly: true });
  try {
    const counts = d.prepare('SELECT kind, value, users FROM organisation_counts ORDER BY kind, value').all();
    assert.deepEqual(counts, [
      { kind: 'asn', value: '29518', users: 1 },
      { kind: 'country', value: 'SE', users: 1 },
      { kind: 'net', value: '89.160.20.0/24', users: 1 },
    ], 'the stored counts hold no place the thief taught and lost');
  } finally {
    d.close();
  }
});

test("a burst of denials from a user's own new address right after its first success leaves it learnt: only a grace-period use takes a success's learning back", async () => {
  // alice's new home line (learnt: new-source-ip does not quarantine), then ten denied requests
  // from it within 5 s (a script poking at a namespace she may not read): authz-failure-burst,
  // medium, on her own address. Taking the learning back for it made her own places strangers.
  const db = s.path('q13.db');
  const r = rulesDir(s.path(`r${n++}`), ['new-source-ip', 'authz-failure-burst']);
  const at = T0 + 3 * H;
  const { alerts } = await detect(db, r, [...history(ALICE, SE), az(at, ALICE, SE_HOME), ...Array.from({ length: 10 }, (_, i) => azFail(at + 100 + i * 400, ALICE, SE_HOME))]);
  assert.deepEqual(alerts.map((a) => a.rule).sort(), ['authz-failure-burst', 'new-source-ip']);
  assert.deepEqual(addressRow(db, SE_HOME), { learnt: 1, quarantined_by: null, success_count: 1 });
});
