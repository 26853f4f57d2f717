import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { stringify } from 'yaml';

/**
 * Kubernetes API stand-in: a loopback HTTP server that implements exactly the two REST calls
 * ouwatch makes (OpenUnison's objects, docs/openunison.md), answering as a real kube-apiserver
 * does (Status objects, 201, 409 AlreadyExists, 403 Forbidden, 404, 500), and recording every
 * request it receives.
 *   DELETE /apis/openunison.tremolo.io/v2/namespaces/<ns>/oidc-sessions?labelSelector=...
 *   POST   /apis/openunison.tremolo.io/v1/namespaces/<ns>/endsessions
 * Anything else gets the API server's plain-text `404 page not found`.
 */

export interface RecordedRequest {
  method: string;
  path: string;
  labelSelector: string | null;
  rawQuery: string;
  body: unknown;
  rawBody: string;
  authorization: string | null;
}

interface OidcSession {
  namespace: string;
  name: string;
  labels: Record<string, string>;
}

type Call = 'delete' | 'create';

const DELETE_PATH = /^\/apis\/openunison\.tremolo\.io\/v2\/namespaces\/([^/]+)\/oidc-sessions$/;
const CREATE_PATH = /^\/apis\/openunison\.tremolo\.io\/v1\/namespaces\/([^/]+)\/endsessions$/;
const RFC1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const STANDIN_TOKEN = 'stand-in-token';

export class KubeApiStandIn {
  readonly requests: RecordedRequest[] = [];
  readonly sessions: OidcSession[] = [];
  readonly endSessions = new Map<string, { metadata: { name: string; namespace: string }; spec: { dn: string } }>();
  readonly namespaces = new Set(['openunison']);
  private readonly faults: Array<{ call: Call; code: number }> = [];
  private server: Server | null = null;
  url = '';

  /** Forgets requests, objects and pending faults (between tests). */
  reset(): void {
    this.requests.length = 0;
    this.sessions.length = 0;
    this.endSessions.clear();
    this.faults.length = 0;
  }

  /** The next call of this kind gets no answer at all (an API server that hangs). */
  hangNext(call: Call): void {
    this.faults.push({ call, code: 0 });
  }

  /** The next `times` calls of this kind answer `code` (403, 404, 500...) before doing anything. */
  failNext(call: Call, code: number, times = 1): void {
    for (let i = 0; i < times; i++) this.faults.push({ call, code });
  }

  addSession(namespace: string, name: string, userDnSha1: string): void {
    this.sessions.push({ namespace, name, labels: { 'tremolo.io/user-dn': userDnSha1 } });
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
    this.server = null;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://x');
    let body: unknown = null;
    try {
      body = rawBody ? JSON.parse(rawBody) : null;
    } catch {
      body = rawBody;
    }
    this.requests.push({
      method: req.method ?? '',
      path: url.pathname,
      labelSelector: url.searchParams.get('labelSelector'),
      rawQuery: url.search,
      body,
      rawBody,
      authorization: req.headers.authorization ?? null,
    });
    if (req.headers.authorization !== `Bearer ${STANDIN_TOKEN}`) return status(res, 401, 'Unauthorized', 'Unauthorized');
    const del = req.method === 'DELETE' ? DELETE_PATH.exec(url.pathname) : null;
    const create = req.method === 'POST' ? CREATE_PATH.exec(url.pathname) : null;
    if (!del && !create) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
      return;
    }
    const call: Call = del ? 'delete' : 'create';
    const ns = decodeURIComponent((del ?? create)![1]);
    const fault = this.faults.findIndex((f) => f.call === call);
    if (fault >= 0) {
      const { code } = this.faults.splice(fault, 1)[0];
      if (code === 0) return; // hang: the connection stays open without an answer
      const resource = call === 'delete' ? 'oidc-sessions' : 'endsessions';
      const verb = call === 'delete' ? 'deletecollection' : 'create';
      if (code === 403) {
        return status(res, 403, 'Forbidden',
          `${resource}.openunison.tremolo.io is forbidden: User "system:serviceaccount:openunison:ouwatch" cannot ${verb} resource "${resource}" in API group "openunison.tremolo.io" in the namespace "${ns}"`,
          { group: 'openunison.tremolo.io', kind: resource });
      }
      if (code === 404) return status(res, 404, 'NotFound', `the server could not find the requested resource`);
      return status(res, code, 'InternalError', `Internal error occurred: etcdserver: request timed out`);
    }
    if (del) return this.deleteCollection(res, ns, url.searchParams.get('labelSelector'));
    return this.createEndSession(res, ns, body);
  }

  private deleteCollection(res: ServerResponse, ns: string, selector: string | null): void {
    const [key, value] = (selector ?? '').split('=');
    const matching = this.sessions.filter((s) => s.namespace === ns && selector !== null && s.labels[key] === value);
    for (const m of matching) this.sessions.splice(this.sessions.indexOf(m), 1);
    json(res, 200, {
      kind: 'OidcSessionList',
      apiVersion: 'openunison.tremolo.io/v2',
      metadata: { resourceVersion: '4242' },
      items: matching.map((m) => ({ apiVersion: 'openunison.tremolo.io/v2', kind: 'OidcSession', metadata: { name: m.name, namespace: ns, labels: m.labels } })),
    });
  }

  private createEndSession(res: ServerResponse, ns: string, body: unknown): void {
    const obj = body as { apiVersion?: string; kind?: string; metadata?: { name?: string }; spec?: { dn?: unknown } } | null;
    const name = obj?.metadata?.name ?? '';
    if (obj?.apiVersion !== 'openunison.tremolo.io/v1' || obj.kind !== 'EndSession' || typeof obj.spec?.dn !== 'string' || !RFC1123.test(name) || name.length > 253) {
      return status(res, 422, 'Invalid', `EndSession.openunison.tremolo.io "${name}" is invalid`);
    }
    if (!this.namespaces.has(ns)) return status(res, 404, 'NotFound', `namespaces "${ns}" not found`, { name: ns, kind: 'namespaces' });
    const key = `${ns}/${name}`;
    if (this.endSessions.has(key)) {
      return status(res, 409, 'AlreadyExists', `endsessions.openunison.tremolo.io "${name}" already exists`, { name, group: 'openunison.tremolo.io', kind: 'endsessions' });
    }
    const created = { ...obj, metadata: { ...obj.metadata, name, namespace: ns, uid: '0f6e3c52-1111-4222-8333-944455556666', resourceVersion: '4243', creationTimestamp: new Date().toISOString() }, spec: { dn: obj.spec.dn } };
    this.endSessions.set(key, created as never);
    json(res, 201, created);
  }
}

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function status(res: ServerResponse, code: number, reason: string, message: string, details?: object): void {
  json(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code });
}

/** A kubeconfig with one context per stand-in (token auth), written with the yaml library. */
export function writeKubeconfig(dir: string, contexts: Record<string, string>, current: string): string {
  const names = Object.keys(contexts);
  const file = join(dir, 'kubeconfig');
  writeFileSync(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      // plain HTTP on loopback: client-node insists on this flag for an http:// server
      clusters: names.map((n) => ({ name: n, cluster: { server: contexts[n], 'insecure-skip-tls-verify': true } })),
      users: [{ name: 'responder', user: { token: STANDIN_TOKEN } }],
      contexts: names.map((n) => ({ name: n, context: { cluster: n, user: 'responder' } })),
      'current-context': current,
    }),
  );
  return file;
}
