import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { BREAKER_RULE } from '../../../src/components/sinks/end-session/responder.js';
import { makeAlert } from '../../helpers/alerts.js';
import { tempDir } from '../../helpers/tmp.js';
import { harness } from '../../helpers/delivery.js';
import { KubeApiStandIn, writeKubeconfig } from '../../helpers/kube-api-standin-sessions.js';

// Every guard, in apply mode against the Kubernetes API stand-in: each must hold the action
// back (recorded as held, with the guard and the reason, logged, on the alert's response)
// and the stand-in must see no request for it.
const api = new KubeApiStandIn();
const dir = tempDir();
let kubeconfig = '';
let n = 0;
const db = () => `g${++n}.db`;

before(async () => {
  kubeconfig = writeKubeconfig(dir, { prod: await api.start() }, 'prod');
});
after(() => api.stop());
beforeEach(() => api.reset());

const apply = (guards: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({ respond: { mode: 'apply', kubeconfig, guards }, ...extra });

async function heldBy(guard: string, h: ReturnType<typeof harness>, alert: ReturnType<typeof makeAlert>) {
  await h.delivery.worker.drain(5_000);
  const action = h.delivery.actions.list({ dn: alert.dn! })[0];
  assert.equal(action.status, 'held');
  assert.equal(action.guard, guard);
  assert.equal(alert.response!.status, `held:${guard}`);
  assert.ok(h.log.lines.some((l) => l.level === 'warn' && l.msg.includes(`held back by the ${guard} guard`)), h.log.text());
  assert.equal(h.delivery.responder.counters.held[guard as 'cooldown'], 1);
  return action;
}

describe('guards', () => {
  test('only rules that ask for a response: no action at all for the others', async () => {
    const h = harness(dir, apply(), { dbName: db() });
    const alert = makeAlert({ respond: false, rule: 'new-country', severity: 'high' });
    h.raise(alert);
    await h.delivery.worker.drain(5_000);
    assert.equal(alert.response, null);
    assert.equal(h.delivery.actions.list().length, 0);
    assert.equal(api.requests.length, 0);
    await h.close();
  });

  test('IP-keyed alerts (dn null) never end anything', async () => {
    const h = harness(dir, apply({ requireRuleOptIn: false }), { dbName: db() });
    h.raise(makeAlert({ dn: null, rule: 'auth-failure-burst' }));
    assert.equal(h.delivery.actions.list().length, 0);
    await h.close();
  });

  test('minimum severity', async () => {
    const h = harness(dir, apply({ minSeverity: 'critical' }), { dbName: db() });
    const alert = makeAlert({ severity: 'high' });
    h.raise(alert);
    const a = await heldBy('min-severity', h, alert);
    assert.match(a.reason!, /severity high is below the minimum for a response \(critical\)/);
    assert.equal(api.requests.length, 0);
    await h.close();
  });

  test('never-end list (case-insensitive) and patterns protect break-glass administrators', async () => {
    const h = harness(dir, apply({ neverEnd: { dns: ['uid=BreakGlass,o=Tremolo'], patterns: ['uid=admin-*,ou=*,o=Tremolo'] }, cooldownMinutes: 0 }), { dbName: db() });
    const exact = makeAlert({ dn: 'uid=breakglass,o=Tremolo' });
    const pattern = makeAlert({ dn: 'uid=admin-eu/1,ou=ops,o=Tremolo' });
    const normal = makeAlert({ dn: 'uid=admin,ou=ops,o=Tremolo' });
    h.raise(exact, pattern, normal);
    await h.delivery.worker.drain(5_000);
    assert.equal(h.delivery.actions.list({ dn: exact.dn! })[0].guard, 'never-end');
    assert.match(h.delivery.actions.list({ dn: pattern.dn! })[0].reason!, /never-end pattern "uid=admin-\*,ou=\*,o=Tremolo"/);
    assert.equal(h.delivery.actions.list({ dn: normal.dn! })[0].status, 'done');
    assert.equal(api.requests.length, 2, 'only the unprotected DN was ended');
    await h.close();
  });

  test('stale alerts (a replay of old logs) are not acted on', async () => {
    const h = harness(dir, apply(), { dbName: db() });
    const alert = makeAlert({ time: new Date(Date.now() - 3 * 3_600_000).toISOString() });
    h.raise(alert);
    const a = await heldBy('stale', h, alert);
    assert.match(a.reason!, /3\.0 h old/);
    assert.equal(api.requests.length, 0);
    await h.close();
  });

  test('per-DN cooldown, then acting again once it has passed', async () => {
    let now = Date.now();
    const h = harness(dir, apply({ cooldownMinutes: 30 }), { dbName: db(), now: () => now });
    h.raise(makeAlert({}, now));
    const second = makeAlert({}, now);
    h.raise(second);
    const a = await heldBy('cooldown', h, second);
    assert.match(a.reason!, /ended this DN's sessions 0 s ago \(cooldown 30 min\)/);
    assert.equal(api.requests.length, 2, 'one action only');
    now += 31 * 60_000;
    const third = makeAlert({}, now);
    h.raise(third);
    await h.delivery.worker.drain(5_000);
    assert.equal(third.response!.status, 'queued');
    assert.equal(h.delivery.actions.list()[0].status, 'done');
    assert.equal(api.requests.length, 4);
    await h.close();
  });

  test('hourly budget: past it the breaker opens, a critical alert is stored and notified, and it stays open until reset', async () => {
    const jsonl = join(dir, 'alerts.jsonl');
    const h = harness(dir, apply({ budgetPerHour: 2, cooldownMinutes: 0 }, { notify: { jsonl: { path: jsonl } } }), { dbName: db() });
    const alerts = [1, 2, 3].map((i) => makeAlert({ dn: `uid=user${i},o=Tremolo` }));
    const result = h.raise(...alerts);
    assert.deepEqual(alerts.map((a) => a.response!.status), ['queued', 'queued', 'held:budget']);
    const breaker = result.raised.find((a) => a.rule === BREAKER_RULE);
    assert.ok(breaker, 'the commit raised the breaker alert');
    assert.equal(breaker.severity, 'critical');
    assert.match(breaker.reason, /Automatic responses stopped: 2 EndSession actions in the last hour reached the budget of 2/);
    assert.deepEqual(h.stored.map((a) => a.id), [breaker.id], 'stored through the alert store');
    assert.ok(h.db.prepare('SELECT 1 FROM alerts WHERE id = ?').get(breaker.id));
    assert.ok(h.log.lines.some((l) => l.level === 'error' && /response breaker opened/.test(l.msg)));
    // later alerts are held while the breaker is open, even when the hour has room again; no second breaker alert
    const later = makeAlert({ dn: 'uid=user4,o=Tremolo' });
    const r2 = h.raise(later);
    assert.equal(later.response!.status, 'held:budget');
    assert.match(h.delivery.actions.list({ dn: later.dn! })[0].reason!, /breaker is open since/);
    assert.equal(r2.raised.filter((a) => a.rule === BREAKER_RULE).length, 0);
    await h.delivery.worker.drain(5_000);
    assert.equal(api.requests.length, 4, 'two actions carried out, two held');
    const lines = readFileSync(jsonl, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { rule: string });
    assert.ok(lines.some((l) => l.rule === BREAKER_RULE), 'the breaker alert is notified');
    const breakerAction = h.delivery.actions.list().find((a) => a.action === 'breaker-open');
    assert.equal(breakerAction?.byKind, 'ouwatch');
    await h.close();
  });

  test('the budget is off with budgetPerHour: null', async () => {
    const h = harness(dir, apply({ budgetPerHour: null, cooldownMinutes: 0 }), { dbName: db() });
    const alerts = [1, 2, 3, 4].map((i) => makeAlert({ dn: `uid=u${i},o=Tremolo` }));
    h.raise(...alerts);
    assert.deepEqual(alerts.map((a) => a.response!.status), ['queued', 'queued', 'queued', 'queued']);
    await h.close();
  });
});
