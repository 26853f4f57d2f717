import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import { userInfo } from 'node:os';
import { ConfigError } from '../../core/config-file.js';
import type { ConsoleConfig } from './config.js';

/**
 * Who may use the console and who they are. On a loopback address the person at the machine
 * is trusted (as with the CLI). Elsewhere a request needs either the bearer token (header, or
 * the cookie the login page sets) or, from the configured proxy networks only, the identity
 * header OpenUnison's reverse proxy sets. State-changing requests also need the CSRF token
 * (an HMAC of the actor under a per-process key) and a same-origin Origin.
 */
export interface ConsoleAuth {
  readonly loopback: boolean;
  readonly tokenConfigured: boolean;
  /** The acting user, or null when the request is not authenticated. */
  actorOf(req: IncomingMessage): { actor: string; via: 'loopback' | 'token' | 'cookie' | 'proxy' } | null;
  csrfFor(actor: string): string;
  checkCsrf(actor: string, token: string | undefined): boolean;
  /** The cookie value a correct login sets. */
  sessionCookie(token: string): string | null;
}

export const SESSION_COOKIE = 'ouwatch_console';

export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/** Refuses a console on a non-loopback address with no way to authenticate (exit 2). */
export function buildAuth(cfg: ConsoleConfig, listenHost: string, where: string, env: NodeJS.ProcessEnv = process.env): ConsoleAuth {
  const loopback = isLoopbackHost(listenHost);
  const token = readToken(cfg, env);
  const proxies = new BlockList();
  for (const n of cfg.proxy.networks) {
    const [net, bits] = n.includes('/') ? n.split('/') : [n, isIP(n) === 6 ? '128' : '32'];
    proxies.addSubnet(net, Number(bits), isIP(net) === 6 ? 'ipv6' : 'ipv4');
  }
  const proxyOn = cfg.proxy.networks.length > 0;
  if (!loopback && token === null && !proxyOn) {
    throw new ConfigError(where, [
      `refusing to serve the console on ${listenHost} without authentication: set the bearer token (environment variable ${cfg.auth.tokenEnv}, or console.auth.tokenFile), ` +
        `or console.proxy.networks for OpenUnison's reverse proxy; or listen on 127.0.0.1`,
    ]);
  }
  const key = randomBytes(32);
  const mac = (s: string) => createHmac('sha256', key).update(s).digest('base64url');
  const cookieValue = token === null ? null : mac(`session:${token}`);
  const localActor = `${localUser()}@localhost`;
  return {
    loopback,
    tokenConfigured: token !== null,
    actorOf(req) {
      if (loopback) return { actor: localActor, via: 'loopback' };
      const remote = req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '';
      if (proxyOn && isIP(remote) !== 0 && proxies.check(remote, isIP(remote) === 6 ? 'ipv6' : 'ipv4')) {
        const who = req.headers[cfg.proxy.header.toLowerCase()];
        if (typeof who === 'string' && who.trim() !== '' && who.length <= 512) return { actor: who.trim(), via: 'proxy' };
      }
      if (token !== null) {
        const auth = req.headers.authorization;
        if (typeof auth === 'string' && auth.startsWith('Bearer ') && same(auth.slice(7).trim(), token)) return { actor: cfg.auth.tokenUser, via: 'token' };
        const cookie = cookieOf(req, SESSION_COOKIE);
        if (cookie !== null && cookieValue !== null && same(cookie, cookieValue)) return { actor: cfg.auth.tokenUser, via: 'cookie' };
      }
      return null;
    },
    csrfFor: (actor) => mac(`csrf:${actor}`),
    checkCsrf: (actor, given) => given !== undefined && same(given, mac(`csrf:${actor}`)),
    sessionCookie: (given) => (token !== null && cookieValue !== null && same(given, token) ? cookieValue : null),
  };
}

function readToken(cfg: ConsoleConfig, env: NodeJS.ProcessEnv): string | null {
  if (cfg.auth.tokenFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(cfg.auth.tokenFile, 'utf8').trim();
    } catch (err) {
      throw new ConfigError(cfg.auth.tokenFile, [`cannot read the console token: ${(err as Error).message}`]);
    }
    if (text.length < 16) throw new ConfigError(cfg.auth.tokenFile, ['the console token must be at least 16 characters']);
    return text;
  }
  const fromEnv = env[cfg.auth.tokenEnv]?.trim();
  if (fromEnv === undefined || fromEnv === '') return null;
  if (fromEnv.length < 16) throw new ConfigError(`environment variable ${cfg.auth.tokenEnv}`, ['the console token must be at least 16 characters']);
  return fromEnv;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function cookieOf(req: IncomingMessage, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

function localUser(): string {
  if (process.env.USER) return process.env.USER;
  try {
    return userInfo().username;
  } catch {
    return 'local';
  }
}
