import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { SourceStatus } from '../../core/runtime.js';
import type { ListenAddress } from '../../core/listen.js';

/** `/readyz`: ready when the store answers and every source follows its logs. */
export interface ReadyReport {
  ready: boolean;
  db: string;
  /** Set while the daemon is paused because it cannot write its store. */
  storage?: { state: 'paused'; reason: string; since: string; retries: number; nextAttemptInSeconds: number };
  sources: SourceStatus[];
}

export interface Endpoints {
  ready(): ReadyReport;
  metrics(): Promise<{ contentType: string; body: string }>;
}

export interface RunningServer {
  /** Where it listens (the real port when 0 was asked for). */
  address: ListenAddress;
  close(): Promise<void>;
}

/** Another set of routes served beside the endpoints (the console): false when a path is not its. */
export type ExtraRoutes = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/** An address that cannot be listened on (in use, not local): the CLI exits with code 2. */
export class ListenError extends Error {}

/**
 * The daemon's HTTP endpoints: `/healthz` (the process and its event loop answer),
 * `/readyz` (JSON, 503 until ready) and `/metrics` (Prometheus text). GET and HEAD only.
 */
export async function startHttpServer(at: ListenAddress, endpoints: Endpoints | null, log: Logger, extra?: ExtraRoutes): Promise<RunningServer> {
  const server = createServer((req, res) => {
    const routed = extra === undefined ? Promise.resolve(false) : extra(req, res);
    routed.then((done) => (done ? undefined : handle(req, res, endpoints))).catch((err: unknown) => {
      log.error({ err: (err as Error).message, url: req.url }, 'http handler failed');
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    });
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.keepAliveTimeout = 5_000;
  await listen(server, at);
  const info = server.address() as AddressInfo;
  return {
    address: { host: at.host, port: info.port },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function listen(server: Server, at: ListenAddress): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? 'the address is in use' : err.code === 'EADDRNOTAVAIL' ? 'the address is not on this host' : err.message;
      reject(new ListenError(`cannot listen on ${at.host}:${at.port}: ${why}`));
    };
    server.once('error', onError);
    server.listen(at.port, at.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

async function handle(req: IncomingMessage, res: ServerResponse, endpoints: Endpoints | null): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
  }
  switch (path) {
    case '/healthz':
      return send(res, 200, 'application/json', JSON.stringify({ status: 'ok' }) + '\n');
    case '/readyz': {
      if (endpoints === null) break;
      const report = endpoints.ready();
      return send(res, report.ready ? 200 : 503, 'application/json', JSON.stringify(report) + '\n');
    }
    case '/metrics': {
      if (endpoints === null) break;
      const m = await endpoints.metrics();
      return send(res, 200, m.contentType, m.body);
    }
  }
  return send(res, 404, 'text/plain; charset=utf-8', `not found: try ${endpoints === null ? '/ or /healthz' : '/healthz, /readyz or /metrics'}\n`);
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body) });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
