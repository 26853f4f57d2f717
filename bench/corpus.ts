import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/**
 * A realistic OpenUnison log for the benchmark: a few thousand users behind kubectl and the
 * dashboard (AzSuccess-heavy, as real logs are), logins, failures, MyVD SRCH/RESULT noise,
 * other classes, Java stack traces, and refresh tokens used within the grace period.
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
  // Public addresses from a few countries' ranges, plus office NAT and VPN.
  const publicPrefixes = ['81.2.69.', '89.160.20.', '175.16.199.', '216.160.83.', '2.125.160.', '67.43.156.', '202.196.224.', '84.17.', '185.220.'];
  const users = Array.from({ length: nUsers }, (_, i) => {
    const name = `user${i}`;
    const dn = i % 50 === 0 ? `uid=${name},ou=shadow,o=Tremolo` : i % 7 === 0 ? `cn=${name}\\, ops team,ou=users,o=Tremolo` : `uid=${name},ou=shadow,o=Tremolo`;
    const ips = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => pick(publicPrefixes) + (1 + Math.floor(rand() * 250)) + (publicPrefixes[0].split('.').length === 4 ? '' : ''));
    return { dn, ips: ips.map((ip) => (ip.split('.').length === 3 ? ip + '.' + (1 + Math.floor(rand() * 250)) : ip)), session: 'f' + hex(40) };
  });
  const threads = Array.from({ length: 32 }, (_, i) => `XNIO-1 task-${i + 1}`);
  const apps = [
    ['k8s-api', 'https://k8sou.example.com/api/v1/namespaces/default/pods', 'oauth2k8s'],
    ['k8s-api', 'https://k8sou.example.com/apis/apps/v1/namespaces/payments/deployments', 'oauth2k8s'],
    ['dashboard', 'https://k8sdb.example.com/api/v1/namespace', 'oauth2bearer'],
    ['k8sIdp', 'https://k8sou.example.com/auth/idp/k8sIdp/token', 'k8s-cluster-administrators'],
  ];
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
    const ip = pick(u.ips);
    if (r < 0.62) {
      const [app, url, grp] = pick(apps);
      emit(`[${ts}][${th}] INFO  AccessLog - [AzSuccess] - ${app} - ${url} - ${u.dn} - ${grp} [${ip}] - [${u.session}]`);
    } else if (r < 0.66) {
      emit(`[${ts}][${th}] INFO  AccessLog - [AuSuccess] - k8sIdp - https://k8sou.example.com/auth/idp/k8sIdp/auth - ${u.dn} - 20 / oauth2k8s [${ip}] - [${u.session}]`);
    } else if (r < 0.68) {
      emit(`[${ts}][${th}] INFO  AccessLog - [AuFail] - k8sIdp - https://k8sou.example.com/auth/SAML2Auth - cn=none - enterprise_idp [${ip}] - [f${hex(40)}]`);
    } else if (r < 0.70) {
      emit(`[${ts}][${th}] INFO  AccessLog - [AzFail] - k8s-api - https://k8sou.example.com/api/v1/secrets - ${u.dn} - NONE [${ip}] - [${u.session}]`);
    } else if (r < 0.71) {
      emit(`[${ts}][${th}] INFO  AccessLog - [NotFound] - UNKNOWN - https://k8sou.example.com/favicon.ico - uid=Anonymous,o=Tremolo - Resource Not Found [${ip}] - [null]`);
    } else if (r < 0.715) {
      emit(`[${ts}][${th}] INFO  AccessLog - [AzSuccess] - k8sIdp - https://k8sou.example.com/auth/idp/k8sIdp/token - ${u.dn} - k8s-cluster-administrators [${ip}] - [${u.session}]`);
      emit(`[${ts}][${th}] INFO  OpenIDConnectIdP - [ExpiredRefreshTokenUsed] - https://k8sou.example.com/auth/idp/k8sIdp/token - ${u.dn} - Expired token used within grace period [${ip}] - [${u.session}]`);
    } else if (r < 0.85) {
      const op = Math.floor(rand() * 1000);
      emit(`[${ts}][${th}] INFO  AccessLog - SRCH op=${op} con=${op - 1} base='o=Tremolo' filter='(uid=user${Math.floor(rand() * nUsers)})' attrs='[uid, mail]'`);
      emit(`[${ts}][${th}] INFO  AccessLog - RESULT op=${op} con=${op - 1} result=0 time=${Math.floor(rand() * 9)}`);
    } else if (r < 0.95) {
      emit(`[${ts}][${th}] INFO  ProxySys - Request to https://kubernetes.default.svc/api/v1/namespaces took ${Math.floor(rand() * 90)}ms`);
    } else if (r < 0.99) {
      emit(`[${ts}][${th}] DEBUG ConfigSys - Checking for updates to ${pick(['jobs', 'trusts', 'authmechs', 'queues'])}`);
    } else {
      emit(`[${ts}][${th}] ERROR OpenIDConnectAuthMech - Could not retrieve token : 400 / Bad Request`);
      emit('java.io.IOException: Bad Request');
      emit('\tat com.tremolosecurity.proxy.auth.OpenIDConnectAuthMech.doGet(OpenIDConnectAuthMech.java:271)');
      emit('\tat io.undertow.servlet.handlers.ServletHandler.handleRequest(ServletHandler.java:74)');
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
