import type { IncomingMessage, ServerResponse } from 'node:http';

/** Every console response: no caching, no framing, no sniffing, and scripts and styles from this server only. */
export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

export function send(res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...extra });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value) + '\n');
}

export function sendHtml(res: ServerResponse, status: number, body: string): void {
  send(res, status, 'text/html; charset=utf-8', body);
}

/** After a form's POST: back to a page (303, so a reload does not post again). */
export function redirect(res: ServerResponse, to: string): void {
  res.writeHead(303, { ...SECURITY_HEADERS, Location: to, 'Content-Length': 0 });
  res.end();
}

const MAX_BODY = 64 * 1024;

export class BodyError extends Error {}

/** A form (urlencoded) or JSON body, at most 64 KiB, as string fields. */
export async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new BodyError('request body too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/json') {
    try {
      const v = JSON.parse(text || '{}') as unknown;
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new BodyError('expected a JSON object');
      return v as Record<string, unknown>;
    } catch (err) {
      throw err instanceof BodyError ? err : new BodyError('the body is not valid JSON');
    }
  }
  if (type === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(text));
  throw new BodyError('expected application/json or a form');
}

/** Whether a browser request comes from a page of this server (Origin, else Referer, must match Host). */
export function sameOrigin(req: IncomingMessage): boolean {
  const host = req.headers.host;
  if (!host) return false;
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin') return false;
  const from = req.headers.origin ?? req.headers.referer;
  if (typeof from !== 'string') return false;
  try {
    return new URL(from).host === host;
  } catch {
    return false;
  }
}

export function text(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
