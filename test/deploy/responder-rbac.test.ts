import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ENDSESSION, OIDC_SESSIONS } from '../../src/components/sinks/end-session/manifest.js';
import { KUSTOMIZE_DIR, one, parseObjects, render, type K8sObject } from '../helpers/kustomize.js';

const role = one(parseObjects(readFileSync(KUSTOMIZE_DIR + 'base/responder-role.yaml', 'utf8'), 'responder-role.yaml'), 'Role');

test('the responder Role grants exactly what the two steps of ending a session need, nothing more', () => {
  assert.equal(role.metadata.name, 'ouwatch-responder');
  assert.equal(role.metadata.namespace, undefined, 'the namespace comes from the kustomization');
  const grants = new Map<string, string[]>();
  for (const r of role.rules!) {
    assert.deepEqual(r.apiGroups, [OIDC_SESSIONS.group]);
    for (const res of r.resources) grants.set(res, [...r.verbs].sort());
  }
  assert.deepEqual(Object.fromEntries(grants), {
    [OIDC_SESSIONS.plural]: ['delete', 'deletecollection', 'list'],
    [ENDSESSION.plural]: ['create', 'get'],
  });
  assert.ok(!role.rules!.some((r) => r.verbs.includes('*') || r.resources.includes('*')), 'no wildcards');
});

/** The one RoleBinding of the responder Role in a rendered overlay. */
function responderBinding(objects: K8sObject[]): K8sObject {
  const bindings = objects.filter((o) => o.kind === 'RoleBinding' && o.roleRef?.name === role.metadata.name);
  assert.equal(bindings.length, 1, 'one binding of the responder Role');
  assert.deepEqual(bindings[0].roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name });
  assert.equal(bindings[0].metadata.namespace, one(objects, 'Role', role.metadata.name).metadata.namespace);
  return bindings[0];
}

test("watcher: the Role is bound to the watcher's ServiceAccount", () => {
  const objects = render('overlays/watcher');
  const pod = one(objects, 'Deployment').spec!.template!.spec;
  const ns = one(objects, 'Deployment').metadata.namespace;
  assert.deepEqual(responderBinding(objects).subjects, [{ kind: 'ServiceAccount', name: pod.serviceAccountName, namespace: ns }]);
});

test("node: the Role is bound to the node reader's ServiceAccount", () => {
  const objects = render('overlays/node');
  const pod = one(objects, 'DaemonSet').spec!.template!.spec;
  const ns = one(objects, 'DaemonSet').metadata.namespace;
  assert.deepEqual(responderBinding(objects).subjects, [{ kind: 'ServiceAccount', name: pod.serviceAccountName, namespace: ns }]);
});

test("sidecar: the Role is bound to OpenUnison's ServiceAccount, the identity of the pod the sidecar joins", () => {
  const objects = render('overlays/sidecar');
  const ns = one(objects, 'Role').metadata.namespace;
  // The orchestra chart names it openunison-<release> (release "orchestra", as the Deployment).
  assert.deepEqual(responderBinding(objects).subjects, [{ kind: 'ServiceAccount', name: 'openunison-orchestra', namespace: ns }]);
});
