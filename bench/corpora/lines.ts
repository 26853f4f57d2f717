/**
 * OpenUnison log lines as log4j2 prints them (`[%d][%t] %-5p %c{1} - %m`): access events of
 * AccessLog, the IdP's refresh-token lines (ExpiredRefreshTokenUsed has no app field), logouts,
 * the embedded directory's SRCH/RESULT lines (also logged as AccessLog), other classes, and
 * Java stack traces whose continuation lines carry no prefix. Shared by every corpus.
 */

export type AccessEvent = 'AuSuccess' | 'AuFail' | 'AzSuccess' | 'AzFail' | 'NotFound' | 'Error';

export const THREADS: readonly string[] = Array.from({ length: 32 }, (_, i) => `XNIO-1 task-${i + 1}`);
export const TOKEN_URL = 'https://k8sou.example.com/auth/idp/k8sIdp/token';
export const AUTH_URL = 'https://k8sou.example.com/auth/idp/k8sIdp/auth';

/** An application, the URL it was asked for, and what OpenUnison logs as the message (a group or a mechanism; may be empty). */
export type AppRequest = readonly [app: string, url: string, msg: string];

export const APP_REQUESTS: readonly AppRequest[] = [
  ['k8s-api', 'https://k8sou.example.com/api/v1/namespaces/default/pods', 'oauth2k8s'],
  ['k8s-api', 'https://k8sou.example.com/apis/apps/v1/namespaces/payments/deployments', 'oauth2k8s'],
  ['dashboard', 'https://k8sdb.example.com/api/v1/namespace', 'oauth2bearer'],
  ['dashboard', 'https://k8sdb.example.com/api/v1/login/status', ''],
  ['k8sIdp', TOKEN_URL, 'k8s-cluster-administrators'],
];

export const SERVICE_ACCOUNTS: readonly string[] = ['openunison-orchestra', 'argocd-application-controller', 'prometheus'].map(
  (sa) => `username=system:serviceaccount:${sa === 'prometheus' ? 'monitoring' : 'openunison'}:${sa},ou=oauth2,o=Tremolo`,
);

/** User `i`'s DN as OpenUnison logs it: mostly plain, some with ` - `, non-ASCII, or an escaped comma. */
export function userDn(i: number): string {
  if (i % 29 === 3) return `cn=user${i} - contractor,ou=external,o=Tremolo`;
  if (i % 13 === 5) return `uid=jürgen.müller${i},ou=användare,o=Tremolo`;
  if (i % 7 === 0) return `cn=User${i}\\, Ops Team,ou=users,o=Tremolo`;
  return `uid=user${i},ou=shadow,o=Tremolo`;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `yyyy-MM-dd HH:mm:ss,SSS` (the JVM's local time; the corpora write UTC). */
export function stamp(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())},${pad(d.getUTCMilliseconds(), 3)}`;
}

/** `[time][thread] `: what every line starts with; the level and class follow. */
export function head(ms: number, thread: string): string {
  return `[${stamp(ms)}][${thread}] `;
}

/** `[Event] - app - url - dn - msg [ip] - [session]`: no ` - ` between the message and the address. */
export function access(h: string, event: AccessEvent, app: string, url: string, dn: string, msg: string, ip: string, session: string): string {
  return `${h}INFO  AccessLog - [${event}] - ${app} - ${url} - ${dn} - ${msg} [${ip}] - [${session}]`;
}

/** A refresh token used again within the grace period; OpenUnison logs an AzSuccess for the request just before. */
export function expiredRefreshTokenUsed(h: string, dn: string, ip: string, session: string): string {
  return `${h}INFO  OpenIDConnectIdP - [ExpiredRefreshTokenUsed] - ${TOKEN_URL} - ${dn} - Expired token used within grace period [${ip}] - [${session}]`;
}

/** A failed refresh (the AzFail on the same thread follows it). */
export function refreshWarning(h: string, text = 'Session does not exist from refresh_token'): string {
  return `${h}WARN  OpenIDConnectIdP - ${text}`;
}

export function logout(h: string, dn: string): string {
  return `${h}INFO  SessionManagerImpl - Logging out user '${dn}'`;
}

/** The embedded directory (MyVD) also logs as AccessLog: a search and its result. */
export function directorySearch(h: string, op: number, uid: string, tookMs: number): [string, string] {
  return [
    `${h}INFO  AccessLog - SRCH op=${op} con=${op - 1} base='o=Tremolo' filter='(uid=${uid})' attrs='[uid, mail]'`,
    `${h}INFO  AccessLog - RESULT op=${op} con=${op - 1} result=0 time=${tookMs}`,
  ];
}

export function proxyTiming(h: string, ms: number): string {
  return `${h}INFO  ProxySys - Request to https://kubernetes.default.svc/api/v1/namespaces took ${ms}ms`;
}

export const CONFIG_OBJECTS: readonly string[] = ['jobs', 'trusts', 'authmechs', 'queues'];

export function configCheck(h: string, what: string): string {
  return `${h}DEBUG ConfigSys - Checking for updates to ${what}`;
}

/** An ERROR with its Java stack trace: the continuation lines have no time, thread or level. */
export function tokenErrorWithTrace(h: string): string[] {
  return [
    `${h}ERROR OpenIDConnectAuthMech - Could not retrieve token : 400 / Bad Request`,
    'java.io.IOException: Bad Request',
    '\tat com.tremolosecurity.proxy.auth.OpenIDConnectAuthMech.doGet(OpenIDConnectAuthMech.java:271)',
    '\tat io.undertow.servlet.handlers.ServletHandler.handleRequest(ServletHandler.java:74)',
    'Caused by: java.net.SocketTimeoutException: Read timed out',
    '\tat java.base/java.net.SocketInputStream.socketRead0(Native Method)',
    '\t... 42 more',
  ];
}
