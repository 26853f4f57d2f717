import { seriesValue } from '../../bench/prometheus-text.js';

/**
 * The bound on one request to a daemon or console under test: a daemon that hangs fails the
 * test instead of holding it, and one that answers late on a loaded machine does not. 5 s
 * ran out once on this 2-core machine while the suite's shards and a type check ran beside
 * the daemon (test/app/http.test.ts, a request the same test answers in milliseconds alone).
 */
export const REQUEST_TIMEOUT_MS = 30_000;

/** One request to a daemon or console under test, bounded by REQUEST_TIMEOUT_MS: its status, headers and body. */
export async function fetchText(url: URL | string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; body: string }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

/**
 * GETs against the daemon's HTTP endpoints. fetch (undici) keeps connections alive and does not
 * retry a request whose reused connection the server closed as it was sent (its keep-alive
 * timeout ending at that moment), which a loaded machine makes possible: one retry after a
 * socket error, as Go's HTTP client (Prometheus) does for idempotent requests. A daemon that is
 * gone fails the retry too, and the error says why (connection refused, reset...).
 */
export async function getText(url: URL | string): Promise<string> {
  try {
    return (await fetchText(url)).body;
  } catch (first) {
    try {
      return (await fetchText(url)).body;
    } catch (err) {
      throw new Error(`GET ${String(url)} failed twice: ${describe(err)} (first: ${describe(first)})`);
    }
  }
}

/** What went wrong under fetch's 'fetch failed': the socket error's code, else its message. */
function describe(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}

/** A series of the daemon's /metrics at `base`, or undefined while it is not there. */
export async function metric(base: string, series: string): Promise<number | undefined> {
  return seriesValue(await getText(new URL('/metrics', base)), series);
}
