/**
 * Builders for OpenUnison log lines in the exact log4j2 layout `[%d][%t] %-5p %c{1} - %m%n`
 * (openunison-facts.md), so table tests can vary one field at a time.
 */

export interface Header {
  time?: string;
  thread?: string;
  level?: string;
  logger?: string;
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
