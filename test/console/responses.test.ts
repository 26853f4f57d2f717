import assert from 'node:assert/strict';
import { test } from 'node:test';
import { actions } from '../../src/app/console/pages/detail.js';
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
