import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { kubernetesSourceSchema } from '../../src/app/config.js';
import { normaliseStamp, sinceTimeOf } from '../../src/components/decode/kubelet-time.js';
import { spawnDaemon, type DaemonProcess } from '../helpers/daemon.js';
import { committedCounts, countsOf, totalOf } from '../helpers/event-counts.js';
import { KubernetesApiStandIn } from '../helpers/kube-api-standin-pods.js';
import { liveHarness, type LiveHarness } from '../helpers/live.js';
import { tempDir } from '../helpers/tmp.js';
import { BASE_TIME, logLine } from '../helpers/log-lines.js';
import { waitFor } from '../helpers/wait.js';
import { REQUEST_TIMEOUT_MS, metric } from '../helpers/http.js';

// The cluster watcher (`ouwatch run --k8s`) follows the log of every OpenUnison pod through
// the API server (`pods/log?follow=true&timestamps=true`). A stream's position is the kubelet
// stamp of the last line processed and how many lines carried it; a reconnection or a restart
// asks for that second again (sinceTime is whole seconds) and drops what it already has, so
// every line is processed exactly once.

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
 * The first 140 records all fall in the same second.
 */
function record(i: number): Array<{ stamp: string; text: string }> {
  const group = i - (i % 3);
  const stamp = kubeletStamp(BASE_TIME + group * 7, group % 2 === 0 ? 120_000 : 987_654);
  return logLine(i).split('\n').map((text) => ({ stamp, text }));
}

const isEvent = (i: number) => i % 10 !== 3 && i % 10 !== 9;
/** The lines of records `indices` that are events, in that order. */
const eventsOf = (indices: number[]) => indices.filter(isEvent).map((i) => logLine(i));
const physical = (indices: number[]) => indices.flatMap((i) => logLine(i).split('\n')).length;
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);

function kubeconfigFile(dir: string, url: string): string {
  const path = join(dir, 'kubeconfig');
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'standin', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'ouwatch', user: { token: 'test-token' } }],
      contexts: [{ name: 'standin', context: { cluster: 'standin', user: 'ouwatch', namespace: NS } }],
      'current-context': 'standin',
    }),
  );
  return path;
}

function addPod(api: KubernetesApiStandIn, name: string, uid: string, indices: number[]): void {
  api.addPod({ name, uid, labels: LABELS, container: CONTAINER, phase: 'Running', started: true, lines: indices.flatMap(record) });
}

function append(api: KubernetesApiStandIn, pod: string, indices: number[]): void {
  for (const i of indices) for (const l of record(i)) api.log(pod, l.stamp, l.text);
}

async function watching(dbPath: string, kubeconfig: string): Promise<LiveHarness> {
  process.env.KUBECONFIG = kubeconfig;
  const h = await liveHarness(dbPath, {
    mergeWindowMs: 400,
    configure: (c) => {
      c.sources.kubernetes = kubernetesSourceSchema.parse({ namespace: NS, labelSelector: 'application=openunison-orchestra', container: CONTAINER });
    },
  });
  cleanups.push(() => h.close());
  return h;
}

const processed = (h: LiveHarness, n: number) => () => h.processed.length >= n;

test('kubelet stamps normalise to fixed-width UTC text that sorts in time order; sinceTime is their whole second', () => {
  assert.equal(normaliseStamp('2026-03-02T08:00:00.1234Z'), '2026-03-02T08:00:00.123400000Z');
  assert.equal(normaliseStamp('2026-03-02T08:00:00Z'), '2026-03-02T08:00:00.000000000Z');
  assert.equal(normaliseStamp('2026-03-02T10:00:00.5+02:00'), '2026-03-02T08:00:00.500000000Z');
  assert.ok(normaliseStamp('2026-03-02T08:00:00.1234Z')! < normaliseStamp('2026-03-02T08:00:00.12345Z')!);
  assert.equal(normaliseStamp('[2026-03-02 08:00:00,000]'), null);
  assert.equal(normaliseStamp('2026-03-02T08:00:00.1234567890Z'), null);
  assert.equal(sinceTimeOf('2026-03-02T08:00:00.123400000Z'), '2026-03-02T08:00:00Z');
});

test('the watcher follows every matching pod, merges them in time order, attaches and lets go, and resumes without double counting', async () => {
  const dir = tempDir();
  const db = join(dir, 'ouwatch.db');
  const api = new KubernetesApiStandIn(NS);
  const kubeconfig = kubeconfigFile(dir, await api.start());
  cleanups.push(() => api.close());
  const a = range(0, 30).filter((i) => i % 2 === 0);
  const b = range(0, 30).filter((i) => i % 2 === 1);
  addPod(api, 'openunison-orchestra-7d9f-a', 'uid-a', a);
  addPod(api, 'openunison-orchestra-7d9f-b', 'uid-b', b);
  api.addPod({ name: 'openunison-operator-1', uid: 'uid-op', labels: { application: 'operator' }, container: CONTAINER, phase: 'Running', started: true, lines: record(999) });

  const first = await watching(db, kubeconfig);
  const source = first.sources[0];
  await waitFor('both pods', processed(first, eventsOf(range(0, 30)).length));
  assert.deepEqual(first.processed, eventsOf(range(0, 30)), 'the two replicas merged by log time');
  assert.ok(first.origins.includes(`${NS}/openunison-orchestra-7d9f-a/${CONTAINER}:1`));
  const logCall = api.logRequests('openunison-orchestra-7d9f-a')[0];
  assert.equal(logCall.query.get('follow'), 'true');
  assert.equal(logCall.query.get('timestamps'), 'true');
  assert.equal(logCall.query.get('container'), CONTAINER);
  assert.equal(logCall.query.get('sinceTime'), null, 'a pod never read is read from its start');
  assert.equal(logCall.authorization, 'Bearer test-token');
  assert.equal(api.logRequests('openunison-operator-1').length, 0, 'pods outside the selector are not read');
  await waitFor('attached', () => source.status().attached);

  // A new replica starts: it is attached; lines keep flowing from the others.
  addPod(api, 'openunison-orchestra-7d9f-c', 'uid-c', [30, 31]);
  append(api, 'openunison-orchestra-7d9f-a', [32, 33]);
  await waitFor('the new pod and the new lines', processed(first, eventsOf(range(0, 34)).length));
  assert.deepEqual([...first.processed].sort(), eventsOf(range(0, 34)).sort());

  // The API server drops a follow stream: the watcher reconnects and skips what it has.
  api.dropLogConnections('openunison-orchestra-7d9f-c');
  await waitFor('a reconnection', () => api.logRequests('openunison-orchestra-7d9f-c').length >= 2, 15_000);
  append(api, 'openunison-orchestra-7d9f-c', [34]);
  await waitFor('the line after the reconnection', processed(first, eventsOf(range(0, 35)).length));
  const again = api.logRequests('openunison-orchestra-7d9f-c')[1];
  assert.equal(again.query.get('sinceTime'), kubeletStamp(BASE_TIME + 30 * 7, 0).slice(0, 19) + 'Z', 'resumes at the second of the last line received');

  // A replica goes away: its stream ends and is not reopened.
  api.deletePod('openunison-orchestra-7d9f-b');
  await waitFor('the pod to be let go', () => !source.status().inputs.some((i) => i.name.includes('-b/') && i.state === 'following'));
  const bCalls = api.logRequests('openunison-orchestra-7d9f-b').length;
  await first.close();
  assert.equal(api.logRequests('openunison-orchestra-7d9f-b').length, bCalls);
  assert.equal(first.processed.length, eventsOf(range(0, 35)).length, 'each line exactly once in the first run');

  // Restart: every stream resumes from its committed position; the API sends the whole last
  // second again (sinceTime is whole seconds) and the reader skips what it already processed.
  append(api, 'openunison-orchestra-7d9f-a', [35, 36, 37]);
  const second = await watching(db, kubeconfig);
  await waitFor('the lines written meanwhile', processed(second, eventsOf([35, 36, 37]).length));
  await sleep(300);
  assert.deepEqual(second.processed, eventsOf([35, 36, 37]), 'nothing counted twice');
  const resumed = api.logRequests('openunison-orchestra-7d9f-a').at(-1)!;
  assert.equal(resumed.query.get('sinceTime'), '2026-03-02T08:00:00Z');
  await second.close();
  assert.deepEqual(committedCounts(db), countsOf(range(0, 38).map((i) => logLine(i) + '\n').join('')));
});

function streamPositions(db: string): Array<{ origin: string; last_time: string; at_last_time: number; line_no: number }> {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare('SELECT origin, last_time, at_last_time, line_no FROM stream_positions ORDER BY origin').all() as Array<{ origin: string; last_time: string; at_last_time: number; line_no: number }>;
  } finally {
    d.close();
  }
}

test('ouwatch run --k8s: kubeconfig from KUBECONFIG, /readyz attached; stopped and restarted, every line is processed exactly once, those of the restart point’s second included', async () => {
  const dir = tempDir();
  const db = join(dir, 'ouwatch.db');
  const api = new KubernetesApiStandIn(NS);
  const kubeconfig = kubeconfigFile(dir, await api.start());
  cleanups.push(() => api.close());
  const [podA, podB] = ['openunison-orchestra-7d9f-a', 'openunison-orchestra-7d9f-b'];
  const [originA, originB] = [podA, podB].map((p) => `${NS}/${p}/${CONTAINER}`);
  // Pod a's first run ends in the middle of a group of lines with one stamp (records 9, 10,
  // 11): record 9 is two lines (an error and its stack trace), record 10 one, 11 comes later.
  // Pod b says nothing more after the first run.
  const before = range(0, 11);
  const quiet = range(100, 106);
  addPod(api, podA, 'uid-a', before);
  addPod(api, podB, 'uid-b', quiet);
  const args = ['--k8s', '--namespace', NS, '--db', db, '--listen', '127.0.0.1:0', '--commit-ms', '50', '--log-level', 'debug'];
  const run = async (expectLines: number): Promise<DaemonProcess> => {
    const d = spawnDaemon(args, { env: { KUBECONFIG: kubeconfig } });
    cleanups.push(() => void d.child.kill('SIGKILL'));
    const base = await d.url();
    await waitFor(`${expectLines} lines read`, async () => (await metric(base, 'ouwatch_lines_read_total')) === expectLines, 20_000);
    const ready = await waitFor('ready', async () => {
      const r = await fetch(new URL('/readyz', base), { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      return r.status === 200 ? ((await r.json()) as { sources: Array<{ name: string; detail: string }> }) : undefined;
    });
    assert.deepEqual(ready.sources.map((s) => [s.name, s.detail]), [['kubernetes', 'following 2 pod logs']]);
    d.child.kill('SIGTERM');
    assert.equal((await d.exited).code, 0, d.rawErrors.join('\n'));
    return d;
  };
  /** The streams whose positions a run committed. */
  const committedStreams = (d: DaemonProcess) => new Set(d.logs.filter((r) => r.msg === 'committed').flatMap((r) => Object.keys((r.upTo as Record<string, number>) ?? {})));

  await run(physical(before) + physical(quiet));
  const stamp9 = normaliseStamp(record(9)[0].stamp)!;
  const first = streamPositions(db);
  assert.deepEqual(first.find((p) => p.origin === originA), { origin: originA, last_time: stamp9, at_last_time: 3, line_no: physical(before) });

  // Written while the daemon was stopped: the rest of the group (same stamp), then more lines
  // of the same second.
  const later = range(11, 40);
  append(api, podA, later);
  const second = await run(physical(later));
  const resumed = api.logRequests(podA).at(-1)!;
  assert.equal(resumed.query.get('sinceTime'), '2026-03-02T08:00:00Z', 'the restart asks for the whole second again');
  const all = [...range(0, 40), ...quiet].map((i) => logLine(i) + '\n').join('');
  const committed = committedCounts(db);
  assert.deepEqual(committed, countsOf(all));
  assert.equal(streamPositions(db).find((p) => p.origin === originA)!.line_no, physical(range(0, 40)));
  // Pod b's connection brought back only what was processed: its position is committed as it was.
  assert.ok(committedStreams(second).has(originB), 'the second run committed pod b’s stream');
  assert.deepEqual(streamPositions(db).find((p) => p.origin === originB), first.find((p) => p.origin === originB));

  // A third run reads pod b's new line, once.
  append(api, podB, [106]);
  await run(physical([106]));
  assert.deepEqual(committedCounts(db), countsOf(all + logLine(106) + '\n'));
  assert.ok(totalOf(committedCounts(db)) > 20);
});
