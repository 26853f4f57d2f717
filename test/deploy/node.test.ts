import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import picomatch from 'picomatch';
import { nodeSourceSchema } from '../../src/app/config.js';
import { nodeLogGlob } from '../../src/app/run/sources.js';
import { assertDaemonContainer, configOf, container, effective, one, render } from '../helpers/kustomize.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const objects = render('overlays/node');
const ds = one(objects, 'DaemonSet', 'ouwatch-node');
const pod = ds.spec!.template!.spec;
const ouwatch = container(pod, 'ouwatch');
const flag = (name: string) => ouwatch.args![ouwatch.args!.indexOf(name) + 1];

test('node: runs only where OpenUnison runs, on the nodes labelled for it', () => {
  assert.deepEqual(pod.nodeSelector, { 'openunison-node': 'true' });
});

test("node: reads the OpenUnison pods' CRI files of its namespace through a read-only hostPath", () => {
  const source = nodeSourceSchema.parse({ dir: flag('--node-dir'), namespace: flag('--namespace'), pod: flag('--pod'), container: flag('--container') });
  assert.equal(source.namespace, ds.metadata.namespace, 'the namespace it deploys to is the one it reads');
  const glob = nodeLogGlob(source);
  assert.equal(glob, '/var/log/pods/openunison_openunison-orchestra-*_*/openunison-orchestra/*.log*');
  // The kubelet's names: live file, renamed rotation, compressed rotation.
  const isMatch = picomatch(glob);
  for (const f of ['0.log', '0.log.20260303-101500', '0.log.20260303-101500.gz']) {
    assert.ok(isMatch(`/var/log/pods/openunison_openunison-orchestra-7d9f8-x2x4q_0b6c0f4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b/openunison-orchestra/${f}`), f);
  }
  const logs = ouwatch.volumeMounts?.find((m) => m.mountPath === source.dir);
  assert.equal(logs?.readOnly, true);
  assert.deepEqual(pod.volumes?.find((v) => v.name === logs.name)?.hostPath, { path: '/var/log/pods', type: 'Directory' });
});

test("node: reads the kubelet's root:root 0640 files as a non-root user in group 0, with no capability", () => {
  assert.ok(pod.securityContext?.supplementalGroups?.includes(0), 'group root reads the log files');
  assert.notEqual(effective(pod, ouwatch, 'runAsGroup'), 0, 'its own files do not belong to group root');
  assertDaemonContainer(pod, ouwatch, { config: configOf(objects), portName: 'metrics', readiness: true, version: VERSION });
});

test("node: the database in a hostPath on the node, handed to ouwatch's user by an init container holding only CAP_CHOWN", () => {
  const data = pod.volumes?.find((v) => v.name === 'data');
  assert.deepEqual(data?.hostPath, { path: '/var/lib/ouwatch', type: 'DirectoryOrCreate' });
  assert.equal(pod.initContainers?.length, 1);
  const init = pod.initContainers![0];
  assert.equal(init.image, ouwatch.image);
  assert.equal(init.securityContext?.runAsUser, 0);
  assert.equal(init.securityContext?.allowPrivilegeEscalation, false);
  assert.equal(init.securityContext?.readOnlyRootFilesystem, true);
  assert.deepEqual(init.securityContext?.capabilities, { drop: ['ALL'], add: ['CHOWN'] });
  assert.deepEqual(init.volumeMounts, [{ name: 'data', mountPath: '/var/lib/ouwatch' }], 'it touches nothing else');
  const [shell, dashC, script] = init.command!;
  assert.deepEqual([shell, dashC], ['/bin/sh', '-c']);
  assert.equal(spawnSync('sh', ['-n', '-c', script]).status, 0, 'valid shell');
  assert.match(script, new RegExp(`chown ${effective(pod, ouwatch, 'runAsUser')}:${effective(pod, ouwatch, 'runAsGroup')} `));
});

test("node: a rollout stops a node's old pod before starting the new one (one writer of the node's database)", () => {
  assert.deepEqual(ds.spec!.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
});

test('node: a ServiceAccount token for the responder only; no other API access', () => {
  const sa = one(objects, 'ServiceAccount');
  assert.equal(pod.serviceAccountName, sa.metadata.name);
  assert.notEqual(pod.automountServiceAccountToken, false);
  assert.deepEqual(objects.filter((o) => o.kind === 'Role').map((r) => r.metadata.name), ['ouwatch-responder']);
  assert.deepEqual(objects.filter((o) => o.kind.startsWith('Cluster')), []);
});
