import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { KubernetesSource } from '../../src/components/sources/kubernetes/pod-watcher.js';
import { normaliseStamp } from '../../src/components/sources/kubernetes/kubelet-time.js';
import { StreamPositionStore } from '../../src/store/sqlite/stream-positions.js';
import { spawnDaemon } from '../helpers/daemon.js';
import { KubernetesApiStandIn } from '../helpers/kube-api-standin-pods.js';
import { liveHarness, type LiveHarness } from '../helpers/live.js';
import { tempDir } from '../helpers/tmp.js';
import { BASE_TIME, logLine } from '../helpers/log-lines.js';
import { waitFor } from '../helpers/wait.js';

const NS = 'openunison';
const LABELS = { application: 'openunison-orchestra' };
const CONTAINER = 'openunison-orchestra';

const cleanups: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** A kubelet stamp as the API prints it: RFC 3339 with up to nine digits, trailing zeros trimmed. */
function kubeletStamp(ms: number, nanos: number): string {
  const iso = new Date(ms).toISOString(); // …:05.123Z
  const frac = (iso.slice(20, 23) + String(nanos).padStart(6, '0')).replace(/0+$/, '');
  return iso.slice(0, 19) + (frac.length > 0 ? '.' + frac : '') + 'Z';
}

/**
 * Log record `i` as the kubelet stores it: every physical line gets the stamp of the read it
 * came in, and reads come in groups of three records (ties on the stamp, as in real logs).
 */
function record(i: number): Array<{ stamp: string; text: string }> {
  const group = i - (i % 3);
  const stamp = kubeletStamp(BASE_TIME + group * 7, group % 2 === 0 ? 120_000 : 987_654);
  return logLine(i).split('\n').map((text) => ({ stamp, text }));
}

function physical(indices: number[]): string[] {
  return indices.flatMap((i) => logLine(i).split('\n'));
}

function kubeConfigFor(url: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'standin', server: url, skipTLSVerify: true }],
    users: [{ name: 'ouwatch', token: 'test-token' }],
    contexts: [{ name: 'standin', cluster: 'standin', user: 'ouwatch', namespace: NS }],
    currentContext: 'standin',
  });
  return kc;
}

async function watching(dbPath: string, url: string) {
  const h = liveHarness(dbPath, { mergeWindowMs: 400 });
  const source = new KubernetesSource(
    { namespace: NS, labelSelector: 'application=openunison-orchestra', container: CONTAINER, idleReconnectSeconds: 300, startAt: 'beginning', maxLineBytes: 1 << 20 },
    h.ingest,
    new StreamPositionStore(h.runtime.db),
    h.runtime.pipeline,
    kubeConfigFor(url),
  );
  h.ingest.attach(source);
  h.ingest.hold();
  await source.start();
  h.ingest.release();
  return { h, source };
}

const processed = (h: LiveHarness, n: number) => () => h.processed.length >= n;

function addPod(api: KubernetesApiStandIn, name: string, uid: string, indices: number[]): void {
  api.addPod({ name, uid, labels: LABELS, container: CONTAINER, phase: 'Running', started: true, lines: indices.flatMap(record) });
}

test('kubelet stamps normalise to fixed-width UTC text that sorts in time order', () => {
  assert.equal(normaliseStamp('2026-03-02T08:00:00.1234Z'), '2026-03-02T08:00:00.123400000Z');
  assert.equal(normaliseStamp('2026-03-02T08:00:00Z'), '2026-03-02T08:00:00.000000000Z');
  assert.equal(normaliseStamp('2026-03-02T10:00:00.5+02:00'), '2026-03-02T08:00:00.500000000Z');
  assert.ok(normaliseStamp('2026-03-02T08:00:00.1234Z')! < normaliseStamp('2026-03-02T08:00:00.12345Z')!);
  assert.equal(normaliseStamp('[2026-03-02 08:00:00,000]'), null);
  assert.equal(normaliseStamp('2026-03-02T08:00:00.1234567890Z'), null);
});

test('the watcher follows every matching pod, merges them in time order, attaches and lets go, and resumes without double counting', async () => {
  const dir = tempDir();
  const db = join(dir, 'ouwatch.db');
  const api = new KubernetesApiStandIn(NS);
  const url = await api.start();
  cleanups.push(() => api.close());
  const a = [...Array(30).keys()].filter((i) => i % 2 === 0);
  const b = [...Array(30).keys()].filter((i) => i % 2 === 1);
  addPod(api, 'openunison-orchestra-7d9f-a', 'uid-a', a);
  addPod(api, 'openunison-orchestra-7d9f-b', 'uid-b', b);
  api.addPod({ name: 'openunison-operator-1', uid: 'uid-op', labels: { application: 'operator' }, container: CONTAINER, phase: 'Running', started: true, lines: record(999) });

  const first = await watching(db, url);
  cleanups.push(() => first.h.close(first.source));
  await waitFor('both pods', processed(first.h, physical([...a, ...b]).length));
  assert.deepEqual(first.h.processed, physical([...Array(30).keys()]), 'the two replicas merged by log time');
  assert.ok(first.h.sources.includes(`${NS}/openunison-orchestra-7d9f-a/${CONTAINER}:1`));
  const logCall = api.logRequests('openunison-orchestra-7d9f-a')[0];
  assert.equal(logCall.query.get('follow'), 'true');
  assert.equal(logCall.query.get('timestamps'), 'true');
  assert.equal(logCall.query.get('container'), CONTAINER);
  assert.equal(logCall.query.get('sinceTime'), null, 'a pod never read is read from its start');
  assert.equal(logCall.authorization, 'Bearer test-token');
  assert.equal(api.logRequests('openunison-operator-1').length, 0, 'pods outside the selector are not read');
  await waitFor('attached', () => first.source.status().attached);

  // A new replica starts: it is attached; lines keep flowing from the others.
  addPod(api, 'openunison-orchestra-7d9f-c', 'uid-c', [30, 31]);
  for (const i of [32, 33]) for (const l of record(i)) api.log('openunison-orchestra-7d9f-a', l.stamp, l.text);
  await waitFor('the new pod and the new lines', processed(first.h, physical([...Array(34).keys()]).length));
  assert.deepEqual([...first.h.processed].sort(), physical([...Array(34).keys()]).sort());

  // The API server drops a follow stream: the watcher reconnects and skips what it has.
  api.dropLogConnections('openunison-orchestra-7d9f-c');
  await waitFor('a reconnection', () => api.logRequests('openunison-orchestra-7d9f-c').length >= 2);
  for (const l of record(34)) api.log('openunison-orchestra-7d9f-c', l.stamp, l.text);
  await waitFor('the line after the reconnection', processed(first.h, physical([...Array(35).keys()]).length));
  const again = api.logRequests('openunison-orchestra-7d9f-c')[1];
  assert.equal(again.query.get('sinceTime'), kubeletStamp(BASE_TIME + 30 * 7, 0).slice(0, 19) + 'Z', 'resumes at the second of the last line received');

  // A replica goes away: its stream ends and is not reopened.
  api.deletePod('openunison-orchestra-7d9f-b');
  await waitFor('the pod to be let go', () => !first.source.status().inputs.some((i) => i.name.includes('-b/') && i.state === 'following'));
  const bCalls = api.logRequests('openunison-orchestra-7d9f-b').length;
  await first.h.close(first.source);
  cleanups.pop();
  assert.equal(api.logRequests('openunison-orchestra-7d9f-b').length, bCalls);
  const seenFirst = first.h.processed.length;
  assert.equal(seenFirst, physical([...Array(35).keys()]).length, 'each line exactly once in the first run');

  // Restart: every stream resumes from its committed position; the API sends the whole last
  // second again (sinceTime is whole seconds) and the reader skips what it already processed.
  for (const i of [35, 36, 37]) for (const l of record(i)) api.log('openunison-orchestra-7d9f-a', l.stamp, l.text);
  const second = await watching(db, url);
  cleanups.push(() => second.h.close(second.source));
  await waitFor('the lines written meanwhile', processed(second.h, physical([35, 36, 37]).length));
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(second.h.processed, physical([35, 36, 37]), 'nothing counted twice');
  const resumed = api.logRequests('openunison-orchestra-7d9f-a').at(-1)!;
  assert.match(resumed.query.get('sinceTime') ?? '', /^2026-03-02T08:00:00Z$/);
  await second.h.close(second.source);
  cleanups.pop();
});

test('ouwatch run --k8s: kubeconfig from KUBECONFIG, pod logs counted in /metrics, /readyz attached', async () => {
  const dir = tempDir();
  const api = new KubernetesApiStandIn(NS);
  const url = await api.start();
  cleanups.push(() => api.close());
  addPod(api, 'openunison-orchestra-7d9f-a', 'uid-a', [0, 1, 2, 3, 4, 5]);
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, kubeConfigFor(url).exportConfig());
  const d = spawnDaemon(['--k8s', '--namespace', NS, '--db', join(dir, 'ouwatch.db'), '--listen', '127.0.0.1:0'], { env: { KUBECONFIG: kubeconfig } });
  cleanups.push(() => void d.child.kill('SIGKILL'));
  const base = await d.url();
  const ready = await waitFor('ready', async () => {
    const r = await fetch(new URL('/readyz', base));
    return r.status === 200 ? ((await r.json()) as { sources: Array<{ name: string; detail: string }> }) : undefined;
  });
  assert.deepEqual(ready.sources.map((s) => [s.name, s.detail]), [['kubernetes', 'following 1 pod log']]);
  await waitFor('six lines', async () => (await (await fetch(new URL('/metrics', base))).text()).includes('ouwatch_lines_read_total 6\n'));
  d.child.kill('SIGTERM');
  assert.equal((await d.exited).code, 0);
});
