import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { confirmationWatch, LOOK_BACK_MS } from '../../src/app/run/confirmation-watch.js';
import { CONFIRM_WITHIN_MS } from '../../src/core/actions.js';
import type { ResponseMode } from '../../src/core/alerts.js';
import { openDatabase } from '../../src/store/sqlite/database.js';
import { ActionStore } from '../../src/store/sqlite/actions.js';
import { SqlitePipelineStore } from '../../src/store/sqlite/pipeline-store.js';
import { alertsOnly, MemoryLog } from '../helpers/delivery.js';
import { logoutLine } from '../helpers/lines.js';
import { tempDir } from '../helpers/tmp.js';

// The daemon looks every minute for end-session actions carried out more than 15 minutes ago
// that no logout line confirmed, and warns once about each: an EndSession OpenUnison ignores
// is answered 201 like any other.

const MIN = 60_000;
const NOW = Date.parse('2026-03-04T12:00:00Z');

function setUp() {
  const db = openDatabase(join(tempDir(), 'watch.db'));
  const actions = new ActionStore(db);
  const done = (dn: string, at: number, mode: ResponseMode = 'apply') => {
    const a = actions.insert({ action: 'end-session', alertId: null, byKind: 'rule', by: 'refresh-token-replay', mode, status: 'queued', dn, name: `ouwatch-${dn.length}-${at}` }, at);
    actions.update(a.id, { status: 'done' }, at + 1_000);
    return a.id;
  };
  const log = new MemoryLog();
  let now = NOW;
  const watch = confirmationWatch(actions, log, { now: () => now });
  return { db, actions, done, log, watch, at: (t: number) => (now = t) };
}

test('an action carried out 16 min ago with no logout is reported once, counted, and forgotten a day on', async () => {
  const s = setUp();
  const late = s.done('uid=alice,o=Tremolo', NOW - 16 * MIN);
  s.done('uid=bob,o=Tremolo', NOW - 10 * MIN); // still within the 15 min: waiting
  await s.watch.check();
  assert.equal(s.log.lines.length, 1);
  const [w] = s.log.lines;
  assert.equal(w.level, 'warn');
  assert.match(w.msg, new RegExp(`^end-session action ${late} \\(apply, EndSession .*\\) was carried out at 2026-03-04T11:44:00\\.000Z, and no 'Logging out user' line of its DN has been read in the 15 min since: check that OpenUnison processes EndSession objects \\(openunison\\.enable_end_session, OpenUnison 1\\.0\\.43 or later\\)`));
  assert.equal(w.fields?.dn, 'uid=alice,o=Tremolo');
  assert.deepEqual(s.watch.stats().actions, { unconfirmed: 1 });

  // A minute later: alice's is not reported again; bob's is now 16 min old.
  s.at(NOW + 6 * MIN);
  await s.watch.check();
  assert.deepEqual(s.log.lines.map((l) => l.fields?.dn), ['uid=alice,o=Tremolo', 'uid=bob,o=Tremolo']);
  assert.deepEqual(s.watch.stats().actions, { unconfirmed: 2 });

  // Past a day, neither is looked at any more.
  s.at(NOW + LOOK_BACK_MS);
  await s.watch.check();
  assert.equal(s.log.lines.length, 2);
  s.db.close();
});

test('confirmed, dry-run and held actions are never reported', async () => {
  const s = setUp();
  s.done('uid=carol,o=Tremolo', NOW - 20 * MIN);
  s.actions.insert({ action: 'end-session', alertId: null, byKind: 'rule', by: 'r', mode: 'dry-run', status: 'planned', dn: 'uid=dave,o=Tremolo' }, NOW - 20 * MIN);
  s.actions.insert({ action: 'end-session', alertId: null, byKind: 'rule', by: 'r', mode: 'apply', status: 'held', guard: 'cooldown', dn: 'uid=erin,o=Tremolo' }, NOW - 20 * MIN);
  // carol's logout, read 30 s after her action.
  const batch = alertsOnly([]);
  batch.history.logouts = [{ dn: 'uid=carol,o=Tremolo', ts: NOW - 20 * MIN + 30_000, source: 'openunison.log:3', line: logoutLine('uid=carol,o=Tremolo') }];
  new SqlitePipelineStore(s.db).commitNow(batch, []);
  await s.watch.check();
  assert.deepEqual(s.log.lines, []);
  assert.deepEqual(s.watch.stats().actions, { unconfirmed: 0 });
  assert.ok(CONFIRM_WITHIN_MS < 20 * MIN);
  s.db.close();
});

test('the timer runs the check and stops with the daemon', async () => {
  const s = setUp();
  s.done('uid=frank,o=Tremolo', Date.now() - 16 * MIN);
  const watch = confirmationWatch(s.actions, s.log, { everyMs: 20 });
  watch.start();
  const until = Date.now() + 5_000;
  while (s.log.lines.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  await watch.stop();
  assert.deepEqual(s.log.lines.map((l) => l.fields?.dn), ['uid=frank,o=Tremolo']);
  s.db.close();
});
