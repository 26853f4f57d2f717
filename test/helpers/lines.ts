/**
 * Builders for OpenUnison log lines in the exact log4j2 layout `[%d][%t] %-5p %c{1} - %m%n`
 * (OpenUnison's layout, docs/openunison.md), so table tests can vary one field at a time.
 */

export interface Header {
  time?: string;
  thread?: string;
  level?: string;
  logger?: string;
}

/** `yyyy-MM-dd HH:mm:ss,SSS` of an epoch time in UTC, as OpenUnison's layout writes `%d`. */
export function logStamp(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '').replace('.', ',');
}

export function header(h: Header = {}): string {
  const time = h.time ?? '2024-05-06 07:08:09,123';
  const thread = h.thread ?? 'XNIO-1 task-4';
  const level = (h.level ?? 'INFO').padEnd(5);
  return `[${time}][${thread}] ${level} ${h.logger ?? 'AccessLog'} - `;
}

export interface AccessFields extends Header {
  event?: string;
  app?: string;
  url?: string;
  dn?: string;
  msg?: string;
  ip?: string;
  session?: string;
}

export const SESSION = 'f60d63b5b4c82b1f374aa58075e336f5c20a08cc2';

/** `[<Event>] - <app> - <requestURL> - <userDN> - <msg> [<remoteAddr>] - [<sessionId>]` */
export function accessLine(f: AccessFields = {}): string {
  return (
    header(f) +
    `[${f.event ?? 'AzSuccess'}] - ${f.app ?? 'k8s-api'} - ${f.url ?? 'https://k8sou.example.com/api/v1/namespaces'} - ` +
    `${f.dn ?? 'uid=mmosley,ou=shadow,o=Tremolo'} - ${f.msg ?? 'oauth2k8s'} [${f.ip ?? '81.2.69.142'}] - [${f.session ?? SESSION}]`
  );
}

/** `[ExpiredRefreshTokenUsed] - <requestURL> - <userDN> - Expired token used within grace period [<ip>] - [<sessionId>]` */
export function expiredLine(f: Omit<AccessFields, 'event' | 'app' | 'msg'> = {}): string {
  return (
    header({ logger: 'OpenIDConnectIdP', ...f }) +
    `[ExpiredRefreshTokenUsed] - ${f.url ?? 'https://k8sou.example.com/auth/idp/k8sIdp/token'} - ` +
    `${f.dn ?? 'uid=mmosley,ou=shadow,o=Tremolo'} - Expired token used within grace period [${f.ip ?? '81.2.69.142'}] - [${f.session ?? SESSION}]`
  );
}

export function idpWarning(message: string, h: Header = {}): string {
  return header({ level: 'WARN', logger: 'OpenIDConnectIdP', ...h }) + message;
}

export function logoutLine(dn: string, h: Header = {}): string {
  return header({ logger: 'SessionManagerImpl', ...h }) + `Logging out user '${dn}'`;
}

/** A Java stack trace as log4j prints it after an ERROR line: no prefix on the following lines. */
export const STACK_TRACE = [
  'java.io.IOException: Bad Request',
  '\tat com.tremolosecurity.proxy.auth.OpenIDConnectAuthMech.doGet(OpenIDConnectAuthMech.java:271)',
  '\tat io.undertow.servlet.handlers.ServletHandler.handleRequest(ServletHandler.java:74)',
  'Caused by: java.net.SocketTimeoutException: Read timed out',
  '\tat java.base/java.net.SocketInputStream.socketRead0(Native Method)',
  '\t... 42 more',
];

/** `yyyy-MM-dd HH:mm:ss,SSS` of an epoch in UTC. */
export function log4jTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('.', ',').slice(0, 23);
}

/** A seeded random source, so generated logs are the same on every run. */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
}

export interface ActivityOptions {
  /** Log time of the first line (epoch ms). */
  start?: number;
  users?: number;
  seed?: number;
  /** Milliseconds between lines, at most. */
  step?: number;
}

/**
 * `n` lines of a small company's OpenUnison traffic: access events of a few users from public
 * and private addresses with sessions, failures, expired refresh tokens, logouts, MyVD noise
 * and stack traces. Deterministic for a given seed.
 */
export function activity(n: number, opts: ActivityOptions = {}): string[] {
  const rand = seeded(opts.seed ?? 1);
  const users = Array.from({ length: opts.users ?? 12 }, (_, i) => ({
    dn: i % 5 === 4 ? `cn=User ${i}\\, Ops - Team,ou=users,o=Tremolo` : `uid=user${i},ou=shadow,o=Tremolo`,
    ips: [`81.2.69.${10 + i}`, i % 3 === 0 ? '10.0.0.7' : `2a02:26f0:fe::${i}`, `89.160.20.${100 + i}`],
    session: 'f' + (i + 1).toString(16).padStart(40, '0'),
  }));
  const out: string[] = [];
  let t = opts.start ?? Date.UTC(2024, 4, 6, 7, 0, 0);
  while (out.length < n) {
    t += 1 + Math.floor(rand() * (opts.step ?? 400));
    const time = log4jTime(t);
    const thread = `XNIO-1 task-${1 + Math.floor(rand() * 8)}`;
    const u = users[Math.floor(rand() * users.length)];
    const ip = u.ips[rand() < 0.8 ? 0 : rand() < 0.5 ? 1 : 2];
    const r = rand();
    if (r < 0.55) out.push(accessLine({ time, thread, dn: u.dn, ip, session: u.session }));
    else if (r < 0.62) out.push(accessLine({ time, thread, event: 'AuSuccess', app: 'k8sIdp', dn: u.dn, msg: '20 / oauth2k8s', ip, session: u.session }));
    else if (r < 0.67) out.push(accessLine({ time, thread, event: 'AuFail', app: 'k8sIdp', dn: 'cn=none', msg: 'oauth2k8s', ip, session: 'null' }));
    else if (r < 0.7) out.push(accessLine({ time, thread, event: 'AzFail', dn: u.dn, msg: 'NONE', ip, session: u.session }));
    else if (r < 0.72) {
      out.push(accessLine({ time, thread, app: 'k8sIdp', url: 'https://k8sou.example.com/auth/idp/k8sIdp/token', dn: u.dn, ip, session: u.session }));
      out.push(expiredLine({ time, thread, dn: u.dn, ip, session: u.session }));
    } else if (r < 0.73) {
      out.push(idpWarning('Session does not exist from refresh_token', { time, thread }));
      out.push(accessLine({ time, thread, event: 'AzFail', app: 'k8sIdp', url: 'https://k8sou.example.com/auth/idp/k8sIdp/token', dn: u.dn, msg: 'NONE', ip, session: 'null' }));
    } else if (r < 0.74) out.push(logoutLine(u.dn, { time, thread }));
    else if (r < 0.75) out.push(accessLine({ time, thread, event: 'NotFound', app: 'UNKNOWN', dn: 'uid=Anonymous,o=Tremolo', msg: 'Resource Not Found', ip, session: 'null' }));
    else if (r < 0.9) out.push(header({ time, thread }) + `SRCH op=${out.length} con=9 base='o=Tremolo' filter='(uid=x)'`);
    else if (r < 0.98) out.push(header({ time, thread, logger: 'ProxySys' }) + 'Request to https://kubernetes.default.svc/api took 12ms');
    else out.push(header({ time, thread, level: 'ERROR', logger: 'OpenIDConnectAuthMech' }) + 'Could not retrieve token : 400 / Bad Request', ...STACK_TRACE);
  }
  return out.slice(0, n);
}
