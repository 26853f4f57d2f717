import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { assertDaemonContainer, configOf, container, one, render } from '../helpers/kustomize.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const objects = render('overlays/watcher');
const deployment = one(objects, 'Deployment', 'ouwatch-watcher');
const pod = deployment.spec!.template!.spec;
const ouwatch = container(pod, 'ouwatch');

test('watcher: one replica, recreated rather than rolled, so two processes never write one SQLite file', () => {
  assert.equal(deployment.spec!.replicas, 1);
  assert.equal(deployment.spec!.strategy?.type, 'Recreate');
  assert.equal(pod.containers.length, 1);
});

test('watcher: follows the OpenUnison pods of its own namespace through the API, with the restricted profile', () => {
  const args = ouwatch.args!;
  const flag = (name: string) => args[args.indexOf(name) + 1];
  assert.ok(args.includes('--k8s'));
  assert.equal(flag('--namespace'), deployment.metadata.namespace, 'the namespace it deploys to is the one it watches');
  assert.equal(flag('--selector'), 'application=openunison-orchestra', "the orchestra chart's pod label");
  assert.equal(flag('--container'), 'openunison-orchestra');
  assertDaemonContainer(pod, ouwatch, { config: configOf(objects), portName: 'metrics', readiness: true, version: VERSION });
  assert.equal(pod.securityContext?.fsGroup, pod.securityContext?.runAsGroup, 'the PVC is made writable for its group');
});

test('watcher: the database on a PersistentVolumeClaim, never an emptyDir', () => {
  const data = pod.volumes?.find((v) => v.name === ouwatch.volumeMounts?.find((m) => m.mountPath === '/var/lib/ouwatch')?.name);
  const pvc = one(objects, 'PersistentVolumeClaim');
  assert.equal(data?.persistentVolumeClaim?.claimName, pvc.metadata.name);
  assert.deepEqual(pvc.spec!.accessModes, ['ReadWriteOnce']);
  assert.ok(!pod.volumes?.some((v) => v.emptyDir), 'no emptyDir at all');
});

test('watcher: its ServiceAccount reads pods and their logs, and nothing else of the core API', () => {
  const sa = one(objects, 'ServiceAccount');
  assert.equal(pod.serviceAccountName, sa.metadata.name);
  assert.notEqual(pod.automountServiceAccountToken, false, 'the API token is mounted');
  const role = one(objects, 'Role', 'ouwatch-log-reader');
  assert.deepEqual(role.rules, [
    { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
  ]);
  const binding = one(objects, 'RoleBinding', 'ouwatch-log-reader');
  assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name });
  assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace }]);
});
