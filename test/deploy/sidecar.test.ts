import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import picomatch from 'picomatch';
import { KUSTOMIZE_DIR, assertDaemonContainer, configOf, container, one, parseObjects, render } from '../helpers/kustomize.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const objects = render('overlays/sidecar');
// The patch of OpenUnison's Deployment is applied with `kubectl patch`, not rendered by kustomize.
const patch = one(parseObjects(readFileSync(KUSTOMIZE_DIR + 'overlays/sidecar/openunison-patch.yaml', 'utf8'), 'openunison-patch.yaml'), 'Deployment', 'openunison-orchestra');
const pod = patch.spec!.template!.spec;
const ouwatch = container(pod, 'ouwatch');
const openunison = container(pod, 'openunison-orchestra');
const TOKEN_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';

test("sidecar: the patch names OpenUnison's Deployment and leaves the namespace to kubectl -n", () => {
  assert.equal(patch.metadata.namespace, undefined);
  assert.deepEqual(Object.keys(openunison), ['name', 'volumeMounts'], "only a mount is added to OpenUnison's container");
});

test('sidecar: log4j2.xml keeps the stdout pattern and adds a rolling file in the shared emptyDir, which ouwatch tails', () => {
  const xml = one(objects, 'ConfigMap', 'ouwatch-log4j2').data!['log4j2.xml'];
  const pattern = '<PatternLayout pattern="[%d][%t] %-5p %c{1} - %m%n"/>';
  assert.match(xml, /<Console name="STDOUT" target="SYSTEM_OUT">\s*<PatternLayout pattern="\[%d\]\[%t\] %-5p %c\{1\} - %m%n"\/>/);
  assert.equal(xml.split(pattern).length - 1, 2, 'the file appender writes the same pattern as stdout');
  assert.match(xml, /<AppenderRef ref="STDOUT"\/>\s*<AppenderRef ref="OUWATCH"\/>/);
  const fileName = xml.match(/<RollingFile [^>]*fileName="([^"]+)"/)?.[1];
  const rotated = xml.match(/filePattern="([^"]+)"/)?.[1];
  assert.ok(fileName && rotated);

  const shared = pod.volumes?.find((v) => v.name === 'ouwatch-logs');
  assert.ok(shared?.emptyDir?.sizeLimit, 'the log directory is a bounded emptyDir');
  const written = openunison.volumeMounts?.find((m) => m.name === 'ouwatch-logs');
  assert.ok(written && !written.readOnly, 'OpenUnison writes it');
  const read = ouwatch.volumeMounts?.find((m) => m.name === 'ouwatch-logs');
  assert.deepEqual(read, { ...written, readOnly: true }, 'ouwatch reads the same path, read-only');
  assert.ok(fileName.startsWith(written.mountPath + '/') && rotated.startsWith(written.mountPath + '/'));
  const glob = ouwatch.args![ouwatch.args!.indexOf('--file') + 1];
  const isMatch = picomatch(glob);
  assert.ok(isMatch(fileName) && isMatch(rotated.replace('%i', '1')), `${glob} matches ${fileName} and ${rotated}: no line is missed at a rotation`);
});

test('sidecar: the ouwatch container has the restricted profile and a liveness probe only (readiness would take OpenUnison out of its Service)', () => {
  assertDaemonContainer(pod, ouwatch, { config: configOf(objects), portName: 'ouwatch-metrics', readiness: false, version: VERSION });
});

test('sidecar: the database on the PVC the overlay creates (never an emptyDir), and rollouts that never run two sidecars on it', () => {
  const data = pod.volumes?.find((v) => v.name === ouwatch.volumeMounts?.find((m) => m.mountPath === '/var/lib/ouwatch')?.name);
  assert.equal(data?.persistentVolumeClaim?.claimName, one(objects, 'PersistentVolumeClaim').metadata.name);
  assert.deepEqual(patch.spec!.strategy, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } });
});

test("sidecar: OpenUnison's ServiceAccount token is hidden from ouwatch until respond.mode is apply", () => {
  const mask = ouwatch.volumeMounts?.find((m) => m.mountPath === TOKEN_PATH);
  assert.equal(mask?.readOnly, true);
  assert.ok(pod.volumes?.find((v) => v.name === mask.name)?.emptyDir, 'an empty directory over the token');
  assert.equal(configOf(objects).respond.mode, 'dry-run', 'the default mode needs no token');
  assert.equal(openunison.volumeMounts?.some((m) => m.mountPath === TOKEN_PATH), false, "OpenUnison's own token is untouched");
});

test('sidecar: a Service for /metrics on the ouwatch port of OpenUnison\'s pods, and no NetworkPolicy over OpenUnison\'s pods', () => {
  const service = one(objects, 'Service');
  assert.deepEqual(service.spec!.selector, { application: 'openunison-orchestra' });
  assert.deepEqual(service.spec!.ports, [{ name: 'metrics', port: 9464, targetPort: 'ouwatch-metrics' }]);
  assert.deepEqual(objects.filter((o) => o.kind === 'NetworkPolicy'), []);
});
