import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { KUSTOMIZE_DIR, kubectl, one, parseObjects, render, type K8sObject } from '../helpers/kustomize.js';
import { tempDir } from '../helpers/tmp.js';

const MODES = ['watcher', 'sidecar', 'node'] as const;
const rendered = new Map(MODES.map((m) => [m, render(`overlays/${m}`)]));
const KINDS = ['ConfigMap', 'ServiceAccount', 'Role', 'RoleBinding', 'Deployment', 'DaemonSet', 'Service', 'PersistentVolumeClaim', 'NetworkPolicy'];
// What kustomize v2 (kubectl 1.20, Debian's kubernetes-client) understands and kustomize v5 still accepts.
const PORTABLE_FIELDS = ['namespace', 'bases', 'resources', 'configMapGenerator', 'generatorOptions', 'images'];
// A port name: an IANA service name, at most 15 characters.
const PORT_NAME = /^(?=.{1,15}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

function workloadPod(objects: K8sObject[]) {
  return objects.find((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet');
}

test('every overlay renders known kinds, all in the namespace its kustomization sets, all labelled as ouwatch', () => {
  for (const [mode, objects] of rendered) {
    const ns = (parse(readFileSync(KUSTOMIZE_DIR + `overlays/${mode}/kustomization.yaml`, 'utf8')) as { namespace: string }).namespace;
    assert.equal(ns, 'openunison', `${mode}: OpenUnison's namespace`);
    for (const o of objects) {
      assert.ok(KINDS.includes(o.kind), `${mode}: unexpected kind ${o.kind}`);
      assert.equal(o.metadata.namespace, ns, `${mode}: ${o.kind} ${o.metadata.name}`);
      assert.equal(o.metadata.labels?.['app.kubernetes.io/name'], 'ouwatch', `${mode}: ${o.kind} ${o.metadata.name} is labelled`);
      for (const s of o.subjects ?? []) assert.equal(s.namespace, ns, `${mode}: ${o.metadata.name} binds an account of its namespace`);
    }
  }
});

test('every kustomization uses only fields that kustomize v2 and v5 both render', () => {
  for (const dir of ['base', ...MODES.map((m) => `overlays/${m}`), 'servicemonitor']) {
    const k = parse(readFileSync(KUSTOMIZE_DIR + `${dir}/kustomization.yaml`, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(k).filter((f) => !PORTABLE_FIELDS.includes(f)), [], dir);
  }
});

test('every overlay carries the base configuration unchanged, as the ConfigMap ouwatch-config', () => {
  const example = readFileSync(KUSTOMIZE_DIR + 'base/ouwatch.yaml', 'utf8');
  for (const [mode, objects] of rendered) assert.equal(one(objects, 'ConfigMap', 'ouwatch-config').data!['ouwatch.yaml'], example, mode);
});

test("changing an overlay's namespace moves every object, and the accounts its bindings name", () => {
  const copy = join(tempDir(), 'kustomize');
  cpSync(KUSTOMIZE_DIR, copy, { recursive: true });
  for (const mode of ['watcher', 'node']) {
    const file = join(copy, 'overlays', mode, 'kustomization.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^namespace: openunison/m, 'namespace: idp'));
    const r = spawnSync(kubectl(), ['kustomize', join(copy, 'overlays', mode)], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    for (const o of parseObjects(r.stdout, mode)) {
      assert.equal(o.metadata.namespace, 'idp', `${mode}: ${o.kind} ${o.metadata.name}`);
      for (const s of o.subjects ?? []) assert.equal(s.namespace, 'idp', `${mode}: ${o.metadata.name}`);
    }
  }
});

test('watcher and node: a NetworkPolicy admits only the monitoring namespace, only to the metrics port, of their own pods', () => {
  for (const mode of ['watcher', 'node'] as const) {
    const objects = rendered.get(mode)!;
    const workload = workloadPod(objects)!;
    const labels = workload.spec!.template!.metadata!.labels!;
    const port = workload.spec!.template!.spec.containers[0].ports!.find((p) => p.name === 'metrics')!;
    const policy = one(objects, 'NetworkPolicy');
    const selected = policy.spec!.podSelector!.matchLabels!;
    assert.ok(Object.keys(selected).length > 0 && Object.entries(selected).every(([k, v]) => labels[k] === v), `${mode}: selects the workload's pods`);
    assert.deepEqual(selected, workload.spec!.selector!.matchLabels, `${mode}: and only them`);
    assert.deepEqual(policy.spec!.policyTypes, ['Ingress']);
    assert.deepEqual(policy.spec!.ingress, [
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ protocol: 'TCP', port: port.containerPort }] },
    ]);
  }
});

test('every mode has a metrics Service on port 9464 named metrics, which the optional ServiceMonitor selects', () => {
  const monitor = one(render('servicemonitor'), 'ServiceMonitor');
  assert.deepEqual(monitor.spec!.endpoints, [{ port: 'metrics', path: '/metrics', interval: '30s' }]);
  const selector = monitor.spec!.selector!.matchLabels!;
  for (const [mode, objects] of rendered) {
    const service = one(objects, 'Service');
    assert.ok(Object.entries(selector).every(([k, v]) => service.metadata.labels?.[k] === v), `${mode}: the ServiceMonitor selects ${service.metadata.name}`);
    assert.deepEqual(service.spec!.ports!.map((p) => [p.name, p.port]), [['metrics', 9464]], mode);
    const workload = workloadPod(objects);
    if (workload) assert.deepEqual(service.spec!.selector, workload.spec!.selector!.matchLabels, `${mode}: the Service selects the workload`);
  }
});

test('every container port has a valid name', () => {
  const patch = readFileSync(KUSTOMIZE_DIR + 'overlays/sidecar/openunison-patch.yaml', 'utf8');
  const pods = [...[...rendered.values()].map(workloadPod), ...parseObjects(patch, 'patch')].filter((o) => o !== undefined);
  for (const w of pods) {
    for (const c of w.spec!.template!.spec.containers) for (const p of c.ports ?? []) assert.match(p.name, PORT_NAME, `${w.metadata.name}/${c.name}`);
  }
});
