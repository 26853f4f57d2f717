import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { dnSha1 } from '../../../src/core/identity.js';
import { carryOut, type EndSessionDeps } from '../../../src/components/sinks/end-session/end-session.js';
import { KubeClients } from '../../../src/components/sinks/end-session/kube-clients.js';
import { KubeConfigError } from '../../../src/components/sinks/end-session/kube-errors.js';
import type { EndSessionTarget } from '../../../src/components/sinks/end-session/manifest.js';
import { endSessionNameForAlert } from '../../../src/components/sinks/end-session/names.js';
import { HOSTILE_DNS } from '../../helpers/alerts.js';
import { tempDir } from '../../helpers/tmp.js';
import { KubeApiStandIn, writeKubeconfig } from '../../helpers/kube-api-standin-sessions.js';

// The real @kubernetes/client-node against the Kubernetes API stand-in (two clusters).
const prod = new KubeApiStandIn();
const satellite = new KubeApiStandIn();
let kubeconfig = '';
const dir = tempDir();

before(async () => {
  kubeconfig = writeKubeconfig(dir, { prod: await prod.start(), satellite: await satellite.start() }, 'prod');
});
after(async () => {
  await prod.stop();
  await satellite.stop();
});
beforeEach(() => {
  prod.reset();
  satellite.reset();
});

const DN = 'uid=mmosley,ou=shadow,o=Tremolo';
const target = (dn = DN, over: Partial<EndSessionTarget> = {}): EndSessionTarget => ({
  dn,
  dnSha1: dnSha1(dn),
  name: endSessionNameForAlert('a1', dn),
  namespace: 'openunison',
  context: null,
  alertId: 'a1',
  ...over,
});
const deps = (): EndSessionDeps => ({ clients: new KubeClients({ kubeconfig, timeoutMs: 5_000 }), manifestDir: null, print: () => {}, now: Date.now });

describe('apply: the two OpenUnison calls through client-node', () => {
  test('deletes the oidc-sessions by label first, then creates the EndSession with the exact DN', async () => {
    prod.addSession('openunison', 'x1', dnSha1(DN));
    prod.addSession('openunison', 'x2', dnSha1(DN));
    prod.addSession('openunison', 'other', dnSha1('uid=other,o=Tremolo'));
    const out = await carryOut('apply', target(), [], deps());
    assert.equal(out.status, 'done', out.summary);
    assert.deepEqual(prod.requests.map((r) => `${r.method} ${r.path}`), [
      'DELETE /apis/openunison.tremolo.io/v2/namespaces/openunison/oidc-sessions',
      'POST /apis/openunison.tremolo.io/v1/namespaces/openunison/endsessions',
    ]);
    assert.equal(prod.requests[0].labelSelector, 'tremolo.io/user-dn=5204c08a79c11dbdc2fdda1e07bc866fb4f22888');
    assert.match(prod.requests[0].rawQuery, /labelSelector=tremolo\.io%2Fuser-dn%3D5204c08a79c11dbdc2fdda1e07bc866fb4f22888/);
    const body = prod.requests[1].body as { apiVersion: string; kind: string; metadata: { name: string }; spec: { dn: string } };
    assert.equal(body.apiVersion, 'openunison.tremolo.io/v1');
    assert.equal(body.kind, 'EndSession');
    assert.equal(body.metadata.name, target().name);
    assert.deepEqual(body.spec, { dn: DN });
    assert.deepEqual(prod.sessions.map((s) => s.name), ['other'], "only this user's sessions are deleted");
    assert.deepEqual(out.steps.map((s) => [s.step, s.code, s.outcome]), [
      ['delete-oidc-sessions', 200, 'ok'],
      ['create-endsession', 201, 'ok'],
    ]);
    assert.match(out.summary, /2 oidc-sessions deleted/);
    assert.equal(satellite.requests.length, 0);
  });

  for (const dn of HOSTILE_DNS) {
    test(`hostile DN ${JSON.stringify(dn)} reaches the API body exactly, and its SHA-1 the label selector`, async () => {
      const out = await carryOut('apply', target(dn), [], deps());
      assert.equal(out.status, 'done', out.summary);
      assert.equal(prod.requests[0].labelSelector, `tremolo.io/user-dn=${dnSha1(dn)}`);
      assert.equal((prod.requests[1].body as { spec: { dn: string } }).spec.dn, dn);
    });
  }

  test('a retry of the same action is idempotent: the EndSession already there (409) counts as done', async () => {
    const first = await carryOut('apply', target(), [], deps());
    assert.equal(first.status, 'done');
    const again = await carryOut('apply', target(), [], deps());
    assert.equal(again.status, 'done', again.summary);
    assert.equal(again.steps.at(-1)!.code, 409);
    assert.equal(again.steps.at(-1)!.outcome, 'already-exists');
    assert.equal(prod.endSessions.size, 1);
  });

  test('a retry after the delete succeeded only creates the EndSession', async () => {
    prod.failNext('create', 500);
    const first = await carryOut('apply', target(), [], deps());
    assert.equal(first.status, 'retry', 'a 500 is retried later');
    assert.match(first.error!, /HTTP 500 InternalError/);
    const second = await carryOut('apply', target(), first.steps, deps());
    assert.equal(second.status, 'done', second.summary);
    assert.deepEqual(prod.requests.map((r) => r.method), ['DELETE', 'POST', 'POST']);
    assert.match(second.summary, /deleted by an earlier attempt/);
  });

  test('403 (missing RBAC) is a clear, permanent error naming the verb, the resource and the fix', async () => {
    prod.failNext('delete', 403);
    const out = await carryOut('apply', target(), [], deps());
    assert.equal(out.status, 'failed');
    assert.match(out.error!, /deletecollection oidc-sessions\.openunison\.tremolo\.io\/v2 in namespace openunison/);
    assert.match(out.error!, /HTTP 403 Forbidden: .*cannot deletecollection resource "oidc-sessions"/);
    assert.match(out.error!, /RBAC permission: bind the Role of deploy\/kustomize\/base\/responder-role\.yaml/);
    assert.equal(prod.requests.length, 1, 'no EndSession after the delete step failed');
  });

  test('403 on create is reported for the create step', async () => {
    prod.failNext('create', 403);
    const out = await carryOut('apply', target(), [], deps());
    assert.equal(out.status, 'failed');
    assert.equal(out.steps.at(-1)!.step, 'create-endsession');
    assert.match(out.error!, /create endsessions\.openunison\.tremolo\.io\/v1 .*HTTP 403/);
  });

  test('404 (no such namespace) is permanent and says what to check', async () => {
    const out = await carryOut('apply', target(DN, { namespace: 'nowhere' }), [], deps());
    assert.equal(out.status, 'failed');
    assert.match(out.error!, /HTTP 404 NotFound: namespaces "nowhere" not found/);
    assert.match(out.error!, /Check --namespace and --context/);
  });

  test('--context sends both calls to that cluster only', async () => {
    const out = await carryOut('apply', target(DN, { context: 'satellite' }), [], deps());
    assert.equal(out.status, 'done', out.summary);
    assert.equal(prod.requests.length, 0);
    assert.equal(satellite.requests.length, 2);
  });

  test('an unknown context is a configuration error listing the contexts', async () => {
    await assert.rejects(new KubeClients({ kubeconfig, timeoutMs: 1000 }).get('nope'), (e: Error) => e instanceof KubeConfigError && /"prod", "satellite"/.test(e.message));
  });

  test('an API server that does not answer times out and is retried later', async () => {
    prod.hangNext('delete');
    const out = await carryOut('apply', target(), [], { ...deps(), clients: new KubeClients({ kubeconfig, timeoutMs: 300 }) });
    assert.equal(out.status, 'retry');
    assert.match(out.error!, /no answer from the API server of context "prod" .* within 300 ms/);
  });

  test('an API server that cannot be reached is retried later', async () => {
    const gone = new KubeApiStandIn();
    const url = await gone.start();
    await gone.stop();
    const clients = new KubeClients({ kubeconfig: writeKubeconfig(tempDir(), { gone: url }, 'gone'), timeoutMs: 2_000 });
    const out = await carryOut('apply', target(), [], { ...deps(), clients });
    assert.equal(out.status, 'retry');
    assert.match(out.error!, /cannot reach the API server .*ECONNREFUSED/);
  });
});
