/** Where the daemon's HTTP server listens. */
export interface ListenAddress {
  host: string;
  port: number;
}

/** The host used when `--listen` names only a port: never expose the endpoints by accident. */
export const DEFAULT_LISTEN_HOST = '127.0.0.1';

/**
 * `HOST:PORT`, `[IPv6]:PORT` or `PORT` -> address; null when it is none of these.
 * Port 0 asks the system for a free port (tests use it; the daemon logs the port it got).
 */
export function parseListen(spec: string): ListenAddress | null {
  let host = DEFAULT_LISTEN_HOST;
  let portText = spec;
  if (spec.startsWith('[')) {
    const close = spec.indexOf(']:');
    if (close < 0) return null;
    host = spec.slice(1, close);
    portText = spec.slice(close + 2);
  } else if (spec.includes(':')) {
    const colon = spec.lastIndexOf(':');
    host = spec.slice(0, colon);
    portText = spec.slice(colon + 1);
    if (host.includes(':')) return null; // a bare IPv6 address needs brackets
  }
  if (host.length === 0 || !/^\d{1,5}$/.test(portText)) return null;
  const port = Number(portText);
  return port <= 65535 ? { host, port } : null;
}

export function formatListen(a: ListenAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
