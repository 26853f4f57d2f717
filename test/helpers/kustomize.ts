import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { configSchema, parseYamlWith, type Config } from '../../src/app/config.js';
import { parseListen } from '../../src/core/listen.js';

export const KUSTOMIZE_DIR = fileURLToPath(new URL('../../deploy/kustomize/', import.meta.url));

/* Minimal shapes of the Kubernetes objects the deployment tests read. */
export interface Meta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
}
export interface Mount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
}
export interface Probe {
  httpGet: { path: string; port: string | number };
  timeoutSeconds?: number;
}
export interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  fsGroup?: number;
  supplementalGroups?: number[];
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  privileged?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type: string };
}
export interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  ports?: Array<{ name: string; containerPort: number }>;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts?: Mount[];
  securityContext?: SecurityContext;
}
export interface Volume {
  name: string;
  emptyDir?: { medium?: string; sizeLimit?: string };
  hostPath?: { path: string; type?: string };
  configMap?: { name: string };
  persistentVolumeClaim?: { claimName: string };
}
export interface PodSpec {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  nodeSelector?: Record<string, string>;
  securityContext?: SecurityContext;
  initContainers?: Container[];
  containers: Container[];
  volumes?: Volume[];
}
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: Meta;
  data?: Record<string, string>;
  spec?: {
    template?: { metadata?: Meta; spec: PodSpec };
    selector?: { matchLabels?: Record<string, string> } & Record<string, string>;
    replicas?: number;
    strategy?: { type: string; rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string } };
    updateStrategy?: { type: string; rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string } };
    ports?: Array<{ name: string; port: number; targetPort: string | number }>;
    podSelector?: { matchLabels?: Record<string, string> };
    policyTypes?: string[];
    ingress?: Array<{ from?: Array<{ namespaceSelector?: { matchLabels?: Record<string, string> }; podSelector?: object; ipBlock?: object }>; ports?: Array<{ port: number | string; protocol?: string }> }>;
    endpoints?: Array<{ port: string; path?: string }>;
    accessModes?: string[];
  };
  rules?: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>;
  roleRef?: { apiGroup: string; kind: string; name: string };
  subjects?: Array<{ kind: string; name: string; namespace?: string }>;
}

/** Every document of a YAML stream, each checked to be a Kubernetes object. */
export function parseObjects(text: string, what: string): K8sObject[] {
  return parseAllDocuments(text)
    .filter((d) => d.contents !== null)
    .map((d) => {
      assert.deepEqual(d.errors, [], `${what}: YAML errors`);
      const o = d.toJS() as K8sObject;
      assert.ok(o.apiVersion && o.kind && o.metadata?.name, `${what}: every object has apiVersion, kind and metadata.name`);
      return o;
    });
}

/**
 * The kubectl that renders the kustomizations: $KUBECTL, else `kubectl` on the PATH. CI installs
 * Debian's kubernetes-client (kubectl 1.20, kustomize v2) when none is there; the overlays are
 * written to render with that old kustomize and with current ones alike.
 */
export function kubectl(): string {
  const bin = process.env.KUBECTL || 'kubectl';
  const probe = spawnSync(bin, ['version', '--client'], { encoding: 'utf8', timeout: 30_000 });
  assert.ok(
    probe.status === 0,
    `the deployment tests render deploy/kustomize with kubectl, and "${bin}" cannot run (${probe.error?.message ?? probe.stderr.trim()}): ` +
      'install it (Debian: apt-get install kubernetes-client, as .ci/run does) or point KUBECTL at one',
  );
  return bin;
}

/** `kubectl kustomize deploy/kustomize/DIR`, parsed. */
export function render(dir: string): K8sObject[] {
  const r = spawnSync(kubectl(), ['kustomize', KUSTOMIZE_DIR + dir], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `kubectl kustomize ${dir} failed: ${r.stderr}`);
  return parseObjects(r.stdout, `kubectl kustomize ${dir}`);
}

export function one(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  assert.equal(found.length, 1, `exactly one ${kind}${name ? ' ' + name : ''} (found ${found.length})`);
  return found[0];
}

export function container(spec: PodSpec, name: string): Container {
  const c = spec.containers.find((x) => x.name === name);
  assert.ok(c, `container ${name}`);
  return c;
}

/** Megabytes in a Kubernetes quantity such as 300Mi or 1Gi. */
export function mebibytes(quantity: string | undefined): number {
  const m = /^(\d+)(Mi|Gi)$/.exec(quantity ?? '');
  assert.ok(m, `a memory quantity in Mi or Gi, got ${quantity}`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
}

/** The effective security setting of a container: its own, else its pod's. */
export function effective<K extends keyof SecurityContext>(spec: PodSpec, c: Container, key: K): SecurityContext[K] {
  return c.securityContext?.[key] ?? spec.securityContext?.[key];
}

/**
 * The restricted Pod Security profile for one container (what a read-only, non-root process
 * needs): non-root, no privilege escalation, read-only root filesystem, every capability
 * dropped and none added, the runtime's default seccomp profile.
 */
export function assertRestricted(spec: PodSpec, c: Container): void {
  assert.equal(effective(spec, c, 'runAsNonRoot'), true, `${c.name}: runAsNonRoot`);
  const uid = effective(spec, c, 'runAsUser');
  assert.ok(uid !== undefined && uid !== 0, `${c.name}: a numeric non-root user`);
  assert.equal(c.securityContext?.allowPrivilegeEscalation, false, `${c.name}: no privilege escalation`);
  assert.equal(c.securityContext?.readOnlyRootFilesystem, true, `${c.name}: read-only root filesystem`);
  assert.notEqual(c.securityContext?.privileged, true, `${c.name}: not privileged`);
  assert.deepEqual(c.securityContext?.capabilities, { drop: ['ALL'] }, `${c.name}: every capability dropped, none added`);
  assert.equal(effective(spec, c, 'seccompProfile')?.type, 'RuntimeDefault', `${c.name}: seccomp RuntimeDefault`);
}

/** The ouwatch configuration a rendered ConfigMap carries, validated by the daemon's own schema. */
export function configOf(objects: K8sObject[], name = 'ouwatch-config'): Config {
  const cm = one(objects, 'ConfigMap', name);
  assert.ok(cm.data?.['ouwatch.yaml'], `${name} has ouwatch.yaml`);
  return parseYamlWith(`ConfigMap ${name}`, cm.data['ouwatch.yaml'], configSchema);
}

/**
 * What every `ouwatch run` container needs, whatever the mode: the configuration mounted from
 * its ConfigMap, the port the daemon listens on, probes on it, memory sized from the measured
 * RSS, the restricted profile, and the database on a volume that outlives the pod.
 */
export function assertDaemonContainer(spec: PodSpec, c: Container, opts: { config: Config; portName: string; readiness: boolean; version: string }): void {
  assert.equal(c.image, `ouwatch:${opts.version}`, 'the image built from this version');
  assert.deepEqual(c.args?.slice(0, 3), ['run', '--config', '/etc/ouwatch/ouwatch.yaml']);
  assert.ok(c.args?.includes('--json'), 'alerts as JSON lines on stdout (the container log)');
  const port = c.ports?.find((p) => p.name === opts.portName);
  assert.ok(port, `a port named ${opts.portName}`);
  assert.deepEqual(parseListen(opts.config.server.listen), { host: '0.0.0.0', port: port.containerPort }, 'the daemon listens on the pod address, where the kubelet and Prometheus reach it');
  assert.equal(c.livenessProbe?.httpGet.path, '/healthz');
  assert.equal(c.livenessProbe?.httpGet.port, opts.portName);
  assert.ok((c.livenessProbe?.timeoutSeconds ?? 1) >= 5, 'a liveness probe patient enough for a commit during catch-up');
  if (opts.readiness) assert.deepEqual([c.readinessProbe?.httpGet.path, c.readinessProbe?.httpGet.port], ['/readyz', opts.portName]);
  else assert.equal(c.readinessProbe, undefined, 'no readiness probe');
  // Measured: about 250 MiB while following, 323 MiB catching up 1,000,000 lines, 385 MiB for a
  // replay of 5,000,000: the request covers the first, the limit the last.
  const requested = mebibytes(c.resources?.requests?.memory);
  const limit = mebibytes(c.resources?.limits?.memory);
  assert.ok(requested >= 256 && requested <= limit, `memory request ${requested} Mi: at least the 250 MiB measured while following`);
  assert.ok(limit >= 400, `memory limit ${limit} Mi: above the 385 MiB peak measured`);
  assert.ok(c.resources?.requests?.cpu, 'a CPU request');
  assertRestricted(spec, c);
  const cfg = c.volumeMounts?.find((m) => m.mountPath === '/etc/ouwatch');
  assert.equal(cfg?.readOnly, true, 'the configuration is mounted read-only');
  assert.equal(spec.volumes?.find((v) => v.name === cfg.name)?.configMap?.name, 'ouwatch-config');
  const data = c.volumeMounts?.find((m) => opts.config.store.path.startsWith(m.mountPath + '/'));
  assert.ok(data && !data.readOnly, `the database ${opts.config.store.path} is on a writable mount`);
  const volume = spec.volumes?.find((v) => v.name === data.name);
  assert.ok(volume?.persistentVolumeClaim || volume?.hostPath, 'the database is on a volume that outlives the pod (never an emptyDir)');
  assert.equal(volume.emptyDir, undefined);
}
