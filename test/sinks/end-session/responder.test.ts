import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { parse } from 'yaml';
import { HOSTILE_DNS, makeAlert } from '../../helpers/alerts.js';
import { tempDir } from '../../helpers/tmp.js';
import { harness } from '../../helpers/delivery.js';
import { KubeApiStandIn, writeKubeconfig } from '../../helpers/kube-api-standin-sessions.js';

const api = new KubeApiStandIn();
const satellite = new KubeApiStandIn();
const dir = tempDir();
let kubeconfig = '';
let n = 0;
const db = () => `t${++n}.db`;

before(async () => {
  kubeconfig = writeKubeconfig(dir, { prod: await api.start(), satellite: await satellite.start() }, 'prod');
});
after(async () => {
  await api.stop();
  await satellite.stop();
});
beforeEach(() => {
  api.reset();
  satellite.reset();
});

const apply = (extra: Record<string, unknown> = {}) => ({ respond: { mode: 'apply', kubeconfig, ...extra } });

describe('dry-run (the default)', () => {
  test('records the planned action, sets the alert response, prints the manifest, and calls nothing', async () => {
    // the API is configured and reachable: dry-run must still not call it
    const h = harness(dir, { respond: { kubeconfig } }, { dbName: db() });
    const alert = makeAlert();
    const result = h.raise(alert);
    assert.deepEqual(result.raised[0].response, { action: 'end-session', mode: 'dry-run', name: alert.response!.name, status: 'planned' });
    assert.match(alert.response!.name, /^ouwatch-a\d+-[0-9a-f]{12}$/);
    const stored = h.db.prepare('SELECT response FROM alerts WHERE id = ?').get(alert.id) as { response: string };
    assert.deepEqual(JSON.parse(stored.response), alert.response, 'the alerts table holds the response');
    const drained = await h.delivery.worker.drain(5_000);
    assert.equal(drained.delivered, 1);
    const [action] = h.delivery.actions.list();
    assert.equal(action.status, 'planned');
    assert.equal(action.mode, 'dry-run');
    assert.equal(action.by, 'refresh-token-replay');
    assert.equal(action.byKind, 'rule');
    assert.equal(action.alertId, alert.id);
    assert.deepEqual(action.steps.map((s) => s.step), ['print-manifest']);
    const printed = h.log.lines.find((l) => typeof l.fields?.text === 'string');
    assert.ok(printed, h.log.text());
    assert.equal(parse(printed.fields!.text as string).spec.dn, alert.dn);
    assert.equal(api.requests.length, 0, 'dry-run called the API');
    await h.close();
  });

  test('mode off records nothing and leaves the response null', async () => {
    const h = harness(dir, { respond: { mode: 'off' } }, { dbName: db() });
    const alert = makeAlert();
    h.raise(alert);
    assert.equal(alert.response, null);
    assert.equal(h.delivery.actions.list().length, 0);
    assert.equal(h.delivery.outbox.pending().length, 0);
    await h.close();
  });
});

describe('apply', () => {
  test('the outbox worker ends the sessions after the commit and records both API answers', async () => {
    const h = harness(dir, apply(), { dbName: db() });
    const alert = makeAlert();
    h.raise(alert);
    assert.equal(alert.response!.status, 'queued');
    assert.equal(api.requests.length, 0, 'nothing is called inside the commit');
    await h.delivery.worker.drain(5_000);
    assert.deepEqual(api.requests.map((r) => r.method), ['DELETE', 'POST']);
    const [action] = h.delivery.actions.list();
    assert.equal(action.status, 'done');
    assert.deepEqual(action.steps.map((s) => [s.step, s.code]), [['delete-oidc-sessions', 200], ['create-endsession', 201]]);
    const row = h.db.prepare('SELECT response FROM alerts WHERE id = ?').get(alert.id) as { response: string };
    assert.equal(JSON.parse(row.response).status, 'done');
    assert.equal(h.delivery.worker.counters['end-session'].delivered, 1);
    await h.close();
  });

  test('a 500 is retried with backoff until it succeeds; the retry is idempotent', async () => {
    const h = harness(dir, apply(), { dbName: db() });
    api.failNext('create', 500, 2);
    h.raise(makeAlert());
    await h.delivery.worker.drain(5_000);
    const [action] = h.delivery.actions.list();
    assert.equal(action.status, 'done', JSON.stringify(action));
    assert.equal(action.attempts, 3);
    assert.deepEqual(api.requests.map((r) => r.method), ['DELETE', 'POST', 'POST', 'POST'], 'the delete is not repeated');
    assert.equal(h.delivery.worker.counters['end-session'].retrying, 2);
    await h.close();
  });

  test('a 403 fails the action at once, visibly: recorded, logged, counted', async () => {
    const h = harness(dir, apply(), { dbName: db() });
    api.failNext('delete', 403);
    const alert = makeAlert();
    h.raise(alert);
    const r = await h.delivery.worker.drain(5_000);
    assert.equal(r.failed, 1);
    const [action] = h.delivery.actions.list();
    assert.equal(action.status, 'failed');
    assert.match(action.error!, /HTTP 403 Forbidden.*deploy\/kustomize\/base\/responder-role\.yaml/);
    assert.equal(h.delivery.outbox.list('failed').length, 1);
    assert.equal(h.delivery.worker.counters['end-session'].failed, 1);
    assert.ok(h.log.lines.some((l) => l.level === 'error' && /403/.test(l.msg)), h.log.text());
    await h.close();
  });

  test('an action that cannot be carried out before it expires becomes a visible failure', async () => {
    let now = Date.now();
    const h = harness(dir, apply({ expireMinutes: 1 }), { dbName: db(), now: () => now });
    api.failNext('delete', 500, 100);
    h.raise(makeAlert({}, now));
    await h.delivery.worker.runOnce();
    assert.equal(h.delivery.actions.list()[0].status, 'retrying');
    now += 61_000;
    await h.delivery.worker.runOnce({ flush: true });
    const pendingAfter = h.delivery.outbox.pending();
    if (pendingAfter.length) {
      // the backoff put the retry after `now`: move past it
      now = Math.max(now, pendingAfter[0].nextAttemptAt);
      await h.delivery.worker.runOnce();
    }
    const [action] = h.delivery.actions.list();
    assert.equal(action.status, 'failed');
    assert.match(action.error!, /expired/);
    assert.equal(h.delivery.outbox.pending().length, 0);
    assert.match(h.delivery.outbox.list('failed')[0].lastError!, /expired/);
    await h.close();
  });

  test('turning the mode down stops what is already queued: nothing is called, the action says why', async () => {
    const first = harness(dir, apply(), { dbName: 'downgrade.db' });
    first.raise(makeAlert());
    await first.close(); // queued, not carried out yet
    const second = harness(dir, { respond: { mode: 'dry-run' } }, { dbName: 'downgrade.db' });
    const r = await second.delivery.worker.drain(5_000);
    assert.equal(r.failed, 1);
    const [action] = second.delivery.actions.list();
    assert.equal(action.status, 'failed');
    assert.equal(action.error, 'not carried out: respond.mode is now dry-run (it was apply when the action was queued)');
    assert.equal(api.requests.length, 0);
  });

  test('routes send the action to the cluster whose logs showed the session', async () => {
    const h = harness(dir, apply({ routes: [{ source: 'logs/satellite/**', context: 'satellite' }] }), { dbName: db() });
    h.raise(makeAlert({ evidence: [{ source: 'logs/satellite/openunison-0.log:7', line: 'x' }] }), makeAlert({ dn: 'uid=b,o=Tremolo' }));
    await h.delivery.worker.drain(5_000);
    assert.equal(satellite.requests.length, 2);
    assert.equal(api.requests.length, 2);
    await h.close();
  });

  for (const dn of HOSTILE_DNS.slice(0, 4)) {
    test(`hostile DN ${JSON.stringify(dn)} reaches the API exactly through the outbox`, async () => {
      const h = harness(dir, apply(), { dbName: db() });
      h.raise(makeAlert({ dn }));
      await h.delivery.worker.drain(5_000);
      assert.equal((api.requests[1].body as { spec: { dn: string } }).spec.dn, dn);
      await h.close();
    });
  }
});

describe('manifest mode', () => {
  test('writes the EndSession YAML for GitOps, once per action, and calls nothing', async () => {
    const out = join(dir, 'gitops');
    const h = harness(dir, { respond: { mode: 'manifest', manifestDir: out, kubeconfig } }, { dbName: db() });
    const dn = HOSTILE_DNS[1];
    const alert = makeAlert({ dn });
    h.raise(alert);
    await h.delivery.worker.drain(5_000);
    const files = readdirSync(out);
    assert.deepEqual(files, [`${alert.response!.name}.yaml`]);
    const doc = parse(readFileSync(join(out, files[0]), 'utf8'));
    assert.equal(doc.spec.dn, dn);
    assert.equal(doc.metadata.name, alert.response!.name);
    assert.equal(h.delivery.actions.list()[0].status, 'done');
    assert.equal(api.requests.length, 0);
    await h.close();
  });
});
