import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import picomatch from 'picomatch';
import { parseAllDocuments } from 'yaml';
import { configSchema, loadConfig, parseYamlWith, type Config } from '../../src/app/config.js';
import { nodeLogGlob } from '../../src/app/run/sources.js';
import { parseListen } from '../../src/core/listen.js';

const DEPLOY = fileURLToPath(new URL('../../deploy/', import.meta.url));

/* Minimal shapes of the Kubernetes objects the checks read. */
interface Meta {
  name: string;
  namespace?: string;
}
interface Mount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
}
interface Probe {
  httpGet: { path: string; port: string | number };
}
interface Container {
  name: string;
  image?: string;
  args?: string[];
  ports?: Array<{ name: string; containerPort: number }>;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  volumeMounts?: Mount[];
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; capabilities?: { drop?: string[] } };
}
interface Volume {
  name: string;
  emptyDir?: object;
  hostPath?: { path: string };
  configMap?: { name: string };
  persistentVolumeClaim?: { claimName: string };
}
interface PodSpec {
  serviceAccountName?: string;
  containers: Container[];
  volumes?: Volume[];
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: Meta;
  data?: Record<string, string>;
  spec?: { template?: { spec: PodSpec }; replicas?: number; strategy?: { type: string } };
  rules?: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>;
  roleRef?: { kind: string; name: string };
  subjects?: Array<{ kind: string; name: string; namespace?: string }>;
}

function load(file: string): K8sObject[] {
  const docs = parseAllDocuments(readFileSync(DEPLOY + file, 'utf8'));
  return docs.map((d) => {
    assert.equal(d.errors.length, 0, `${file}: ${d.errors.map((e) => e.message).join('; ')}`);
    const o = d.toJS() as K8sObject;
    assert.ok(o.apiVersion && o.kind && o.metadata?.name, `${file}: every object has apiVersion, kind and metadata.name`);
    return o;
  });
}

function one(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  assert.equal(found.length, 1, `one ${kind}${name ? ' ' + name : ''}`);
  return found[0];
}

function container(spec: PodSpec, name: string): Container {
  const c = spec.containers.find((x) => x.name === name);
  assert.ok(c, `container ${name}`);
  return c;
}

/** The ouwatch configuration a ConfigMap carries, validated by the daemon's own schema. */
function embeddedConfig(cm: K8sObject): Config {
  assert.ok(cm.data?.['ouwatch.yaml'], `${cm.metadata.name} has ouwatch.yaml`);
  return parseYamlWith(`${cm.metadata.name}/ouwatch.yaml`, cm.data['ouwatch.yaml'], configSchema);
}

/** Checks shared by every ouwatch container: the config mount, the metrics port, probes, hardening. */
function checkOuwatchContainer(c: Container, spec: PodSpec, config: Config, cm: K8sObject, opts: { readiness: boolean }): void {
  assert.deepEqual(c.args, ['run', '--config', '/etc/ouwatch/ouwatch.yaml']);
  const port = c.ports?.find((p) => p.name === 'metrics');
  assert.ok(port, 'a metrics port');
  assert.equal(parseListen(config.server.listen)?.port, port.containerPort, 'the daemon listens on the container port');
  assert.equal(parseListen(config.server.listen)?.host, '0.0.0.0', 'reachable by the kubelet and Prometheus');
  assert.deepEqual(c.livenessProbe?.httpGet, { path: '/healthz', port: 'metrics' });
  if (opts.readiness) assert.deepEqual(c.readinessProbe?.httpGet, { path: '/readyz', port: 'metrics' });
  else assert.equal(c.readinessProbe, undefined);
  const cfgMount = c.volumeMounts?.find((m) => m.mountPath === '/etc/ouwatch');
  assert.ok(cfgMount?.readOnly);
  assert.equal(spec.volumes?.find((v) => v.name === cfgMount.name)?.configMap?.name, cm.metadata.name);
  const dataMount = c.volumeMounts?.find((m) => config.store.path.startsWith(m.mountPath + '/'));
  assert.ok(dataMount && !dataMount.readOnly, 'the database is on a writable volume');
  assert.equal(c.securityContext?.allowPrivilegeEscalation, false);
  assert.equal(c.securityContext?.readOnlyRootFilesystem, true);
  assert.deepEqual(c.securityContext?.capabilities?.drop, ['ALL']);
}

const KINDS = ['ConfigMap', 'Secret', 'ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding', 'Deployment', 'DaemonSet', 'Service', 'PersistentVolumeClaim'];

test('every manifest under deploy/ parses, with a known kind, a name and the openunison namespace where namespaced', () => {
  const files = (readdirSync(DEPLOY, { recursive: true }) as string[]).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(DEPLOY, f));
  const manifests = files.filter((f) => !readFileSync(f, 'utf8').match(/^store:|^sources:/m));
  assert.ok(manifests.length >= 5);
  for (const f of manifests) {
    for (const o of load(relative(DEPLOY, f))) {
      assert.ok(KINDS.includes(o.kind), `${f}: unexpected kind ${o.kind}`);
      if (!o.kind.startsWith('Cluster')) assert.equal(o.metadata.namespace, 'openunison', `${f}: ${o.kind} ${o.metadata.name}`);
    }
  }
});

test('the example configuration is valid', () => {
  const config = loadConfig(DEPLOY + 'ouwatch.yaml');
  assert.deepEqual(config.sources.files, ['/var/log/openunison/openunison*.log']);
});

test('sidecar: shared emptyDir, log4j2.xml keeping the stdout pattern and adding a file appender, the ouwatch container', () => {
  const log4j = one(load('sidecar/log4j2-configmap.yaml'), 'ConfigMap', 'ouwatch-log4j2');
  const xml = log4j.data!['log4j2.xml'];
  const pattern = '<PatternLayout pattern="[%d][%t] %-5p %c{1} - %m%n"/>';
  assert.match(xml, /<Console name="STDOUT" target="SYSTEM_OUT">\s*<PatternLayout pattern="\[%d\]\[%t\] %-5p %c\{1\} - %m%n"\/>/);
  assert.equal(xml.split(pattern).length - 1, 2, 'the file appender writes the same pattern as stdout');
  const fileName = xml.match(/<RollingFile [^>]*fileName="([^"]+)"/)?.[1];
  const rotated = xml.match(/filePattern="([^"]+)"/)?.[1];
  assert.ok(fileName && rotated);
  assert.match(xml, /<AppenderRef ref="STDOUT"\/>\s*<AppenderRef ref="OUWATCH"\/>/);

  const cm = one(load('sidecar/ouwatch-configmap.yaml'), 'ConfigMap', 'ouwatch-sidecar');
  const config = embeddedConfig(cm);
  const patch = one(load('sidecar/openunison-patch.yaml'), 'Deployment', 'openunison-orchestra');
  assert.equal(patch.metadata.namespace, 'openunison');
  const spec = patch.spec!.template!.spec;
  const shared = spec.volumes?.find((v) => v.name === 'openunison-logs');
  assert.ok(shared?.emptyDir, 'the log directory is an emptyDir');
  const ou = container(spec, 'openunison-orchestra');
  const ouMount = ou.volumeMounts?.find((m) => m.name === 'openunison-logs');
  assert.ok(ouMount && !ouMount.readOnly, 'OpenUnison writes the shared directory');
  const ow = container(spec, 'ouwatch');
  const owMount = ow.volumeMounts?.find((m) => m.name === 'openunison-logs');
  assert.equal(owMount?.mountPath, ouMount.mountPath, 'both containers see the same path');
  assert.equal(owMount?.readOnly, true, 'ouwatch only reads the logs');
  assert.ok(fileName.startsWith(ouMount.mountPath + '/') && rotated.startsWith(ouMount.mountPath + '/'));
  // The tailed glob matches the live file and log4j's rotated names.
  const glob = config.sources.files[0];
  const matches = picomatch(glob);
  assert.ok(matches(fileName) && matches(rotated.replace('%i', '1')), `${glob} matches ${fileName} and ${rotated}`);
  checkOuwatchContainer(ow, spec, config, cm, { readiness: false });
});

test('watcher: read-only RBAC on pods and pods/log, bound to the Deployment service account', () => {
  const rbac = load('watcher/rbac.yaml');
  const sa = one(rbac, 'ServiceAccount');
  const role = one(rbac, 'Role');
  assert.deepEqual(role.rules, [
    { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
  ]);
  const binding = one(rbac, 'RoleBinding');
  assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name });
  assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace }]);

  const objects = load('watcher/deployment.yaml');
  const deployment = one(objects, 'Deployment', 'ouwatch');
  assert.equal(deployment.spec!.replicas, 1);
  assert.equal(deployment.spec!.strategy?.type, 'Recreate', 'never two writers of one SQLite file');
  const spec = deployment.spec!.template!.spec;
  assert.equal(spec.serviceAccountName, sa.metadata.name);
  const cm = one(objects, 'ConfigMap', 'ouwatch-watcher');
  const config = embeddedConfig(cm);
  assert.deepEqual(config.sources.kubernetes && [config.sources.kubernetes.namespace, config.sources.kubernetes.labelSelector], ['openunison', 'application=openunison-orchestra']);
  assert.equal(config.sources.kubernetes?.namespace, role.metadata.namespace, 'the Role is in the namespace watched');
  checkOuwatchContainer(container(spec, 'ouwatch'), spec, config, cm, { readiness: true });
  const data = spec.volumes?.find((v) => v.name === 'data');
  assert.equal(data?.persistentVolumeClaim?.claimName, one(objects, 'PersistentVolumeClaim').metadata.name);
  const service = one(objects, 'Service');
  assert.equal((service.spec as unknown as { ports: Array<{ targetPort: string }> }).ports[0].targetPort, 'metrics');
});

test('node: a DaemonSet reading the CRI files through a read-only hostPath, without API access', () => {
  const objects = load('node/daemonset.yaml');
  const ds = one(objects, 'DaemonSet');
  const spec = ds.spec!.template!.spec;
  const cm = one(objects, 'ConfigMap', 'ouwatch-node');
  const config = embeddedConfig(cm);
  const node = config.sources.node!;
  assert.ok(node, 'sources.node is set');
  const c = container(spec, 'ouwatch');
  const logs = c.volumeMounts?.find((m) => m.mountPath === node.dir);
  assert.equal(logs?.readOnly, true);
  assert.equal(spec.volumes?.find((v) => v.name === logs.name)?.hostPath?.path, node.dir);
  assert.equal(nodeLogGlob(node), '/var/log/pods/openunison_openunison-orchestra-*_*/openunison-orchestra/*.log*');
  assert.equal((spec as unknown as { automountServiceAccountToken: boolean }).automountServiceAccountToken, false);
  checkOuwatchContainer(c, spec, config, cm, { readiness: true });
});
