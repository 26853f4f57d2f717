/**
 * Realistic OpenUnison lines (OpenUnison's layout, docs/openunison.md) with strictly increasing
 * timestamps, so every line is unique and time order is line order.
 */
const USERS = ['uid=mmosley,ou=shadow,o=Tremolo', 'uid=jjackson,ou=shadow,o=Tremolo', 'cn=Smith\\, Anna,ou=users,o=Tremolo', 'uid=ärger,ou=shadow,o=Tremolo'];
const IPS = ['10.1.67.56', '81.2.69.160', '10.233.124.7', '89.160.20.112', '2a02:2770::21a:4aff:fe8e:aa61'];

function stamp(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())},${p(d.getUTCMilliseconds(), 3)}`;
}

export const BASE_TIME = Date.UTC(2026, 2, 2, 8, 0, 0);

/** Line `i` of a deterministic log: mostly access events, some noise and a stack trace now and then. */
export function logLine(i: number, startMs = BASE_TIME): string {
  const t = stamp(startMs + i * 7);
  const thread = `XNIO-1 task-${(i % 16) + 1}`;
  const user = USERS[i % USERS.length];
  const ip = IPS[(i * 7) % IPS.length];
  const sid = 'f' + (i % 97).toString(16).padStart(40, '0');
  switch (i % 10) {
    case 0:
      return `[${t}][${thread}] INFO  AccessLog - [AuSuccess] - k8sIdp - https://k8sou.example.com/auth/idp/k8sIdp/auth - ${user} - 20 / oauth2k8s [${ip}] - [${sid}]`;
    case 3:
      return `[${t}][${thread}] INFO  AccessLog - SRCH op=${i} con=87 base='o=Tremolo' filter='(uid=x)'`;
    case 5:
      return `[${t}][${thread}] INFO  OpenIDConnectIdP - [ExpiredRefreshTokenUsed] - https://k8sou.example.com/auth/idp/k8sIdp/token - ${user} - Expired token used within grace period [${ip}] - [${sid}]`;
    case 7:
      return `[${t}][${thread}] INFO  AccessLog - [AuFail] - k8sIdp - https://k8sou.example.com/auth/idp/k8sIdp/auth - cn=none - oauth2k8s [${ip}] - [null]`;
    case 9:
      return `[${t}][${thread}] ERROR OpenIDConnectAuthMech - Could not retrieve token : 400 / Bad Request\n\tat com.tremolosecurity.Foo.bar(Foo.java:${i})`;
    default:
      return `[${t}][${thread}] INFO  AccessLog - [AzSuccess] - k8s-api - https://k8sou.example.com/api/v1/namespaces/default/pods - ${user} - NONE [${ip}] - [${sid}]`;
  }
}

/** Lines `from` .. `to - 1`, each followed by a newline. */
export function logText(from: number, to: number, startMs = BASE_TIME): string {
  let s = '';
  for (let i = from; i < to; i++) s += logLine(i, startMs) + '\n';
  return s;
}
