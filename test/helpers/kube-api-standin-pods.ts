import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A Kubernetes API stand-in on loopback (the pods side; the respond side is
 * kube-api-standin-sessions.ts): the only stand-ins the tests use. It implements
 * exactly the three calls the cluster watcher makes, with the real paths, parameters, status
 * codes and bodies:
 *   GET /api/v1/namespaces/{ns}/pods?labelSelector=…                     (PodList)
 *   GET /api/v1/namespaces/{ns}/pods?watch=true&resourceVersion=…&labelSelector=…
 *                                                                        (one watch event per line)
 *   GET /api/v1/namespaces/{ns}/pods/{name}/log?container=…&follow=…&timestamps=…&sinceTime=…
 * Log lines carry kubelet stamps (RFC 3339, up to nine fractional digits, trailing zeros
 * trimmed); like the API server, sinceTime is honoured to the whole second.
 */
export interface StandInPod {
  name: string;
  uid: string;
  labels: Record<string, string>;
  container: string;
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  /** The container has started (running, or terminated after running). */
  started: boolean;
  lines: Array<{ stamp: string; text: string }>;
}

interface Follower {
  res: ServerResponse;
  timestamps: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
}

export class KubernetesApiStandIn {
  readonly requests: RecordedRequest[] = [];
  private readonly pods = new Map<string, StandInPod>();
  private readonly followers = new Map<string, Set<Follower>>();
  private readonly watchers = new Set<{ res: ServerResponse; selector: string | null }>();
  private readonly events: Array<{ rv: number; type: string; pod: StandInPod }> = [];
  private rv = 100;
  private server: Server | null = null;

  constructor(readonly namespace: string) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const set of this.followers.values()) for (const f of set) f.res.end();
    for (const w of this.watchers) w.res.end();
    await new Promise<void>((resolve) => {
      this.server?.close(() => resolve());
      this.server?.closeAllConnections();
    });
  }

  addPod(p: Omit<StandInPod, 'lines'> & { lines?: StandInPod['lines'] }): void {
    const pod: StandInPod = { ...p, lines: p.lines ?? [] };
    this.pods.set(pod.name, pod);
    this.emit('ADDED', pod);
  }

  /** Appends a line to a pod's log and sends it to open follow streams. */
  log(name: string, stamp: string, text: string): void {
    const pod = this.pods.get(name)!;
    pod.lines.push({ stamp, text });
    for (const f of this.followers.get(name) ?? []) f.res.write(render({ stamp, text }, f.timestamps));
  }

  /** The pod is deleted: watchers see DELETED, its log streams end. */
  deletePod(name: string): void {
    const pod = this.pods.get(name)!;
    this.pods.delete(name);
    this.endFollowers(name);
    this.emit('DELETED', pod);
  }

  /** Ends open log streams as an API server does now and then (the client must reconnect). */
  dropLogConnections(name: string): void {
    this.endFollowers(name);
  }

  logRequests(pod: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === `/api/v1/namespaces/${this.namespace}/pods/${pod}/log`);
  }

  private endFollowers(name: string): void {
    for (const f of this.followers.get(name) ?? []) f.res.end();
    this.followers.delete(name);
  }

  private emit(type: string, pod: StandInPod): void {
    const rv = ++this.rv;
    this.events.push({ rv, type, pod: { ...pod } });
    for (const w of this.watchers) if (matches(pod, w.selector)) w.res.write(JSON.stringify({ type, object: podObject(pod, this.namespace, rv) }) + '\n');
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://standin');
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, authorization: req.headers.authorization });
    const podsPath = `/api/v1/namespaces/${this.namespace}/pods`;
    if (req.method !== 'GET') return status(res, 405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    if (url.pathname === podsPath) {
      const selector = url.searchParams.get('labelSelector');
      if (url.searchParams.get('watch') === 'true') return this.watch(res, selector, Number(url.searchParams.get('resourceVersion') ?? '0'));
      const items = [...this.pods.values()].filter((p) => matches(p, selector)).map((p) => podObject(p, this.namespace, this.rv));
      return json(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: String(this.rv) }, items });
    }
    const m = url.pathname.match(/^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log$/);
    if (m && m[1] === this.namespace) return this.podLog(res, decodeURIComponent(m[2]), url.searchParams);
    return status(res, 404, 'NotFound', 'the server could not find the requested resource');
  }

  private watch(res: ServerResponse, selector: string | null, since: number): void {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    for (const e of this.events) if (e.rv > since && matches(e.pod, selector)) res.write(JSON.stringify({ type: e.type, object: podObject(e.pod, this.namespace, e.rv) }) + '\n');
    const w = { res, selector };
    this.watchers.add(w);
    res.on('close', () => this.watchers.delete(w));
  }

  private podLog(res: ServerResponse, name: string, q: URLSearchParams): void {
    const pod = this.pods.get(name);
    if (pod === undefined) return status(res, 404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' });
    const container = q.get('container');
    if (container !== null && container !== pod.container) return status(res, 400, 'BadRequest', `container ${container} is not valid for pod ${name}`);
    if (!pod.started) return status(res, 400, 'BadRequest', `container "${pod.container}" in pod "${name}" is waiting to start: ContainerCreating`);
    const timestamps = q.get('timestamps') === 'true';
    const sinceTime = q.get('sinceTime');
    const since = sinceTime === null ? null : Math.floor(Date.parse(sinceTime) / 1000) * 1000;
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    let out = '';
    for (const l of pod.lines) if (since === null || Date.parse(l.stamp) >= since) out += render(l, timestamps);
    if (out.length > 0) res.write(out);
    if (q.get('follow') !== 'true' || pod.phase !== 'Running') return void res.end();
    const f = { res, timestamps };
    let set = this.followers.get(name);
    if (set === undefined) this.followers.set(name, (set = new Set()));
    set.add(f);
    res.on('close', () => set!.delete(f));
  }
}

function render(l: { stamp: string; text: string }, timestamps: boolean): string {
  return (timestamps ? l.stamp + ' ' : '') + l.text + '\n';
}

function matches(pod: StandInPod, selector: string | null): boolean {
  if (selector === null || selector === '') return true;
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=');
    return pod.labels[k] === v;
  });
}

function podObject(p: StandInPod, namespace: string, rv: number) {
  const state = !p.started ? { waiting: { reason: 'ContainerCreating' } } : p.phase === 'Running' ? { running: { startedAt: '2026-03-02T07:59:00Z' } } : { terminated: { exitCode: 0, reason: 'Completed' } };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: p.name, namespace, uid: p.uid, resourceVersion: String(rv), labels: p.labels },
    spec: { containers: [{ name: p.container, image: 'docker.io/tremolosecurity/openunison-k8s:latest' }] },
    status: {
      phase: p.phase,
      containerStatuses: [{ name: p.container, ready: p.phase === 'Running', restartCount: 0, image: 'openunison', imageID: 'x', state }],
    },
  };
}

function json(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function status(res: ServerResponse, code: number, reason: string, message: string, details?: Record<string, string>): void {
  json(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code });
}
