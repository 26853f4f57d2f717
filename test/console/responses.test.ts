import assert from 'node:assert/strict';
import { test } from 'node:test';
import { actions } from '../../src/app/console/pages/detail.js';
import { overviewPage } from '../../src/app/console/pages/rules.js';
import { overview } from '../../src/app/review/overview.js';
import { openReviewStore } from '../../src/app/review/store.js';
import { configSchema } from '../../src/app/config.js';
import { openDatabase } from '../../src/store/sqlite/database.js';
import { ActionStore } from '../../src/store/sqlite/actions.js';
import { SqlitePipelineStore } from '../../src/store/sqlite/pipeline-store.js';
import { alertsOnly } from '../helpers/delivery.js';
import { tempDir } from '../helpers/tmp.js';
import { join } from 'node:path';
import { CONFIRM_WITHIN_MS, type ActionRecord } from '../../src/core/actions.js';

// The Responses table of an alert's page says whether OpenUnison logged the user out after an
// end-session action: the proof the EndSession did something.

const base: ActionRecord = {
  id: 7, action: 'end-session', alertId: 'a1', byKind: 'rule', by: 'refresh-token-replay', time: new Date(Date.now() - 2 * CONFIRM_WITHIN_MS).toISOString(),
  updated: new Date().toISOString(), mode: 'apply', dn: 'uid=mmosley,ou=shadow,o=Tremolo', dnSha1: null, name: 'ouwatch-a1-0', namespace: 'openunison',
  context: null, status: 'done', guard: null, reason: null, steps: [], error: null, attempts: 1, confirmed: null,
};

test('a confirmed action names the logout line\'s time and place, escaped', () => {
  const page = actions([{ ...base, confirmed: { time: '2026-03-04T00:00:40.000Z', source: 'pods/<b>x</b>.log:2', line: "… Logging out user 'uid=mmosley'" } }]).toString();
  assert.match(page, /<div class="note logout">OpenUnison logged the user out at 2026-03-04T00:00:40\.000Z \(pods\/&lt;b&gt;x&lt;\/b&gt;\.log:2\)<\/div>/);
});

test('an action carried out more than 15 min ago with no logout read says what to check; a dry run says nothing', () => {
  const page = actions([base, { ...base, id: 8, mode: 'dry-run', status: 'planned' }]).toString();
  assert.match(page, /<div class="error logout">no logout line of the user read within 15 min: check that OpenUnison processes EndSession objects \(openunison\.enable_end_session, OpenUnison 1\.0\.43 or later\)/);
  assert.equal(page.match(/class="[a-z]+ logout"/g)?.length, 1);
});

test('the overview lists the end-session actions of the last day left unconfirmed past 15 min, with the DN escaped', async () => {
  const path = join(tempDir(), 'overview.db');
  const db = openDatabase(path);
  const log = new ActionStore(db);
  const now = Date.parse('2026-03-04T12:00:00Z');
  const record = (dn: string, at: number) => {
    const a = log.insert({ action: 'end-session', alertId: null, byKind: 'person', by: 'ana', mode: 'apply', status: 'queued', dn, name: `ouwatch-x-${at}` }, at);
    log.update(a.id, { status: 'done' }, at);
    return a.id;
  };
  const lost = record('uid=<i>eve</i>,o=Tremolo', now - 30 * 60_000);
  record('uid=bob,o=Tremolo', now - 20 * 60_000);
  record('uid=new,o=Tremolo', now - 5 * 60_000); // still within its 15 minutes
  record('uid=old,o=Tremolo', now - 2 * 86_400_000); // older than a day: not looked at
  // bob's logout was read.
  const batch = alertsOnly([]);
  batch.history.logouts = [{ dn: 'uid=bob,o=Tremolo', ts: now - 19 * 60_000, source: 'o.log:1', line: "Logging out user 'uid=bob,o=Tremolo'" }];
  new SqlitePipelineStore(db).commitNow(batch, []);
  db.close();

  const store = openReviewStore(configSchema.parse({ store: { path } }));
  try {
    const o = await overview(store, now);
    assert.deepEqual(o.unconfirmed.map((a) => a.id), [lost]);
    const page = overviewPage({ actor: 'ana', csrf: 't', store: path }, o);
    assert.match(page, /<p class="error" id="unconfirmed">1 end-session action of the last day with no logout line read in the 15 minutes after:/);
    assert.match(page, /action \d+ for uid=&lt;i&gt;eve&lt;\/i&gt;,o=Tremolo: EndSession ouwatch-x-/);
  } finally {
    store.close();
  }
});
