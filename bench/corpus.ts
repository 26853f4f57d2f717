import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/**
 * A realistic OpenUnison log for the benchmark: a few thousand users behind kubectl and the
 * dashboard (AzSuccess-heavy, as real logs are), service accounts, logins, failures, MyVD
 * SRCH/RESULT noise, other classes, Java stack traces, refresh tokens used within the grace
 * period (ExpiredRefreshTokenUsed) and after it (WARN + AzFail), logouts; DNs with escaped
 * commas, ` - ` and non-ASCII; IPv4, IPv6 and private addresses.
 * Deterministic (seeded), so every run measures the same bytes.
 */
export interface CorpusOptions {
  lines: number;
  users?: number;
  seed?: number;
  start?: Date;
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
function stamp(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())},${pad(d.getUTCMilliseconds(), 3)}`;
}

export async function writeCorpus(path: string, opts: CorpusOptions): Promise<{ lines: number; bytes: number }> {
  const rand = rng(opts.seed ?? 42);
  const nUsers = opts.users ?? 2000;
  const pick = <T>(a: T[]) => a[Math.floor(rand() * a.length)];
  const hex = (n: number) => {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[Math.floor(rand() * 16)];
    return s;
  };
  // Public addresses from a few countries' ranges (IPv4 and IPv6), plus office NAT behind the ingress.
  const publicPrefixes = ['81.2.69.', '89.160.20.', '175.16.199.', '216.160.83.', '2.125.160.', '67.43.156.', '202.196.224.', '84.17.47.', '185.220.101.'];
  const v6Prefixes = ['2a02:26f0:fe::', '2001:4860:4860::', '2a03:2880:f10c::'];
  // A user works from one region (home IPv4 and IPv6 ranges, or the office network), as real
  // users do; one in fifty also has an address abroad (travel), so the location rules fire on
  // some users rather than on everyone.
  const addressesOfUser = (): string[] => {
    const v4 = pick(publicPrefixes);
    const v6 = pick(v6Prefixes);
    const one = () => {
      const r = rand();
      if (r < 0.08) return v6 + (1 + Math.floor(rand() * 0xfff)).toString(16);
      if (r < 0.15) return `10.${Math.floor(rand() * 4)}.${Math.floor(rand() * 250)}.${1 + Math.floor(rand() * 250)}`;
      return v4 + (1 + Math.floor(rand() * 250));
    };
    const ips = Array.from({ length: 1 + Math.floor(rand() * 3) }, one);
    if (rand() < 0.02) ips.push(pick(publicPrefixes) + (1 + Math.floor(rand() * 250)));
    return ips;
  };
  // DNs as OpenUnison logs them: mostly plain, some with escaped commas, ` - `, or non-ASCII.
  const dnOf = (i: number) => {
    if (i % 29 === 3) return `cn=user${i} - contractor,ou=external,o=Tremolo`;
    if (i % 13 === 5) return `uid=jürgen.müller${i},ou=användare,o=Tremolo`;
    if (i % 7 === 0) return `cn=User${i}\\, Ops Team,ou=users,o=Tremolo`;
    return `uid=user${i},ou=shadow,o=Tremolo`;
  };
  const users = Array.from({ length: nUsers }, (_, i) => ({
    dn: dnOf(i),
    ips: addressesOfUser(),
    session: 'f' + hex(40),
  }));
  const serviceAccounts = ['openunison-orchestra', 'argocd-application-controller', 'prometheus'].map(
    (sa) => `username=system:serviceaccount:${sa === 'prometheus' ? 'monitoring' : 'openunison'}:${sa},ou=oauth2,o=Tremolo`,
  );
  const threads = Array.from({ length: 32 }, (_, i) => `XNIO-1 task-${i + 1}`);
  const apps = [
    ['k8s-api', 'https://k8sou.example.com/api/v1/namespaces/default/pods', 'oauth2k8s'],
    ['k8s-api', 'https://k8sou.example.com/apis/apps/v1/namespaces/payments/deployments', 'oauth2k8s'],
    ['dashboard', 'https://k8sdb.example.com/api/v1/namespace', 'oauth2bearer'],
    ['dashboard', 'https://k8sdb.example.com/api/v1/login/status', ''],
    ['k8sIdp', 'https://k8sou.example.com/auth/idp/k8sIdp/token', 'k8s-cluster-administrators'],
  ];
  const TOKEN_URL = 'https://k8sou.example.com/auth/idp/k8sIdp/token';
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  let t = (opts.start ?? new Date('2026-03-02T00:00:00Z')).getTime();
  let written = 0;
  let bytes = 0;
  let buf: string[] = [];
  const emit = (s: string) => {
    buf.push(s);
    written++;
  };
  // At any moment a few dozen people are working (kubectl and dashboards poll in bursts);
  // over the day everyone logs in. A pool of active users, slowly replaced, models that.
  const active = Array.from({ length: 60 }, () => pick(users));
  while (written < opts.lines) {
    t += Math.floor(rand() * 8);
    const ts = stamp(t);
    const th = pick(threads);
    const r = rand();
    if (rand() < 0.01) active[Math.floor(rand() * active.length)] = pick(users);
    const u = pick(active);
    const ip = rand() < 0.97 ? u.ips[0] : pick(u.ips);
    const head = `[${ts}][${th}] `;
    if (r < 0.6) {
      const [app, url, grp] = pick(apps);
      emit(`${head}INFO  AccessLog - [AzSuccess] - ${app} - ${url} - ${u.dn} - ${grp} [${ip}] - [${u.session}]`);
    } else if (r < 0.605) {
      emit(`${head}INFO  AccessLog - [AzSuccess] - k8s-api - https://k8sou.example.com/api/v1/namespaces/openunison/secrets - ${pick(serviceAccounts)} - oauth2k8s [10.0.3.17] - [null]`);
    } else if (r < 0.645) {
      emit(`${head}INFO  AccessLog - [AuSuccess] - k8sIdp - https://k8sou.example.com/auth/idp/k8sIdp/auth - ${u.dn} - 20 / oauth2k8s [${ip}] - [${u.session}]`);
    } else if (r < 0.665) {
      emit(`${head}INFO  AccessLog - [AuFail] - k8sIdp - https://k8sou.example.com/auth/SAML2Auth - cn=none - enterprise_idp [${rand() < 0.8 ? ip : pick(publicPrefixes) + (1 + Math.floor(rand() * 250))}] - [f${hex(40)}]`);
    } else if (r < 0.685) {
      emit(`${head}INFO  AccessLog - [AzFail] - k8s-api - https://k8sou.example.com/api/v1/secrets - ${u.dn} - NONE [${ip}] - [${u.session}]`);
    } else if (r < 0.695) {
      emit(`${head}INFO  AccessLog - [NotFound] - UNKNOWN - https://k8sou.example.com/favicon.ico - uid=Anonymous,o=Tremolo - Resource Not Found [${ip}] - [null]`);
    } else if (r < 0.7) {
      // A refresh token used again within the grace period: OpenUnison logs the AzSuccess first.
      emit(`${head}INFO  AccessLog - [AzSuccess] - k8sIdp - ${TOKEN_URL} - ${u.dn} - k8s-cluster-administrators [${ip}] - [${u.session}]`);
      emit(`${head}INFO  OpenIDConnectIdP - [ExpiredRefreshTokenUsed] - ${TOKEN_URL} - ${u.dn} - Expired token used within grace period [${ip}] - [${u.session}]`);
    } else if (r < 0.702) {
      // A refresh token reused after the grace period: a WARN, then an AzFail on the same thread.
      emit(`${head}WARN  OpenIDConnectIdP - Session does not exist from refresh_token`);
      emit(`${head}INFO  AccessLog - [AzFail] - k8sIdp - ${TOKEN_URL} - ${u.dn} - NONE [${ip}] - [null]`);
    } else if (r < 0.703) {
      emit(`${head}INFO  SessionManagerImpl - Logging out user '${u.dn}'`);
    } else if (r < 0.84) {
      const op = Math.floor(rand() * 1000);
      emit(`${head}INFO  AccessLog - SRCH op=${op} con=${op - 1} base='o=Tremolo' filter='(uid=user${Math.floor(rand() * nUsers)})' attrs='[uid, mail]'`);
      emit(`${head}INFO  AccessLog - RESULT op=${op} con=${op - 1} result=0 time=${Math.floor(rand() * 9)}`);
    } else if (r < 0.94) {
      emit(`${head}INFO  ProxySys - Request to https://kubernetes.default.svc/api/v1/namespaces took ${Math.floor(rand() * 90)}ms`);
    } else if (r < 0.99) {
      emit(`${head}DEBUG ConfigSys - Checking for updates to ${pick(['jobs', 'trusts', 'authmechs', 'queues'])}`);
    } else {
      emit(`${head}ERROR OpenIDConnectAuthMech - Could not retrieve token : 400 / Bad Request`);
      emit('java.io.IOException: Bad Request');
      emit('\tat com.tremolosecurity.proxy.auth.OpenIDConnectAuthMech.doGet(OpenIDConnectAuthMech.java:271)');
      emit('\tat io.undertow.servlet.handlers.ServletHandler.handleRequest(ServletHandler.java:74)');
      emit('Caused by: java.net.SocketTimeoutException: Read timed out');
      emit('\tat java.base/java.net.SocketInputStream.socketRead0(Native Method)');
      emit('\t... 42 more');
    }
    if (buf.length >= 10000) {
      const chunk = buf.join('\n') + '\n';
      bytes += Buffer.byteLength(chunk);
      buf = [];
      if (!out.write(chunk)) await once(out, 'drain');
    }
  }
  if (buf.length) {
    const chunk = buf.join('\n') + '\n';
    bytes += Buffer.byteLength(chunk);
    out.write(chunk);
  }
  out.end();
  await once(out, 'finish');
  return { lines: written, bytes };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [path, n] = process.argv.slice(2);
  const r = await writeCorpus(path, { lines: Number(n ?? 1_000_000) });
  console.error(`wrote ${r.lines} lines, ${r.bytes} bytes to ${path}`);
}
