import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeAlert } from '../../helpers/alerts.js';
import { harness } from '../../helpers/delivery.js';
import { tempDir } from '../../helpers/tmp.js';

const dir = tempDir();
let n = 0;
const db = () => `f${++n}.db`;
const HOUR = 3_600_000;

describe('the stale guard and log times in the future', () => {
  test('an alert whose log time is ahead of the clock beyond the skew (an archive read with a wrong --tz) is held, not acted on', async () => {
    const now = Date.now();
    const h = harness(dir, { respond: { mode: 'dry-run', guards: { cooldownMinutes: 0 } } }, { dbName: db(), now: () => now });
    // Lines written at 10:00 in UTC+2 but read as UTC look two hours younger than they are.
    const skewed = makeAlert({ time: new Date(now + 2 * HOUR).toISOString() });
    const slightlyAhead = makeAlert({ dn: 'uid=jjackson,ou=shadow,o=Tremolo', time: new Date(now + 2 * 60_000).toISOString() });
    h.raise(skewed, slightlyAhead);
    const [held] = h.delivery.actions.list({ dn: skewed.dn! });
    assert.equal(held.status, 'held');
    assert.equal(held.guard, 'stale');
    assert.match(held.reason!, /log time is 2\.0 h in the future \(more than 5 min ahead of this clock\).*--tz/);
    assert.equal(skewed.response?.status, 'held:stale');
    assert.equal(h.delivery.actions.list({ dn: slightlyAhead.dn! })[0].status, 'planned', 'within the 5 min skew: acted on');
    await h.close();
  });

  test('respond.guards.maxFutureSkewMinutes sets the skew (null turns the check off)', async () => {
    const now = Date.now();
    const h = harness(dir, { respond: { mode: 'dry-run', guards: { maxFutureSkewMinutes: null, cooldownMinutes: 0 } } }, { dbName: db(), now: () => now });
    const ahead = makeAlert({ time: new Date(now + 2 * HOUR).toISOString() });
    h.raise(ahead);
    assert.equal(h.delivery.actions.list({ dn: ahead.dn! })[0].status, 'planned');
    await h.close();
  });
});
