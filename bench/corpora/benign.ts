import { APP_REQUESTS, AUTH_URL, CONFIG_OBJECTS, SERVICE_ACCOUNTS, THREADS, TOKEN_URL, access, configCheck, directorySearch, expiredRefreshTokenUsed, head, logout, proxyTiming, refreshWarning, tokenErrorWithTrace, userDn } from './lines.js';
import { below, hexDigits, pickFrom, seeded, sessionId } from './random.js';
import { ChunkedWriter } from './writer.js';
import type { CorpusOptions, Written } from './types.js';

/** Bumped whenever the bytes this generator writes for a seed change (cached corpora are then made again). */
export const BENIGN_VERSION = 1;

// Public addresses from a few countries' ranges (IPv4 and IPv6).
const PUBLIC_V4_PREFIXES = ['81.2.69.', '89.160.20.', '175.16.199.', '216.160.83.', '2.125.160.', '67.43.156.', '202.196.224.', '84.17.47.', '185.220.101.'];
const PUBLIC_V6_PREFIXES = ['2a02:26f0:fe::', '2001:4860:4860::', '2a03:2880:f10c::'];

/**
 * The everyday log of a cluster: a few thousand users behind kubectl and the dashboard
 * (AzSuccess-heavy, as real logs are), service accounts, logins, failures, MyVD SRCH/RESULT
 * noise, other classes, Java stack traces, refresh tokens used within the grace period
 * (ExpiredRefreshTokenUsed) and after it (WARN + AzFail), logouts; DNs with escaped commas,
 * ` - ` and non-ASCII; IPv4, IPv6 and private addresses. A few thousand alerts per million
 * lines: users mostly stay where they are.
 */
export function writeBenign(path: string, opts: CorpusOptions): Written {
  const rand = seeded(opts.seed ?? 42);
  const nUsers = opts.users ?? 2000;
  const nActive = opts.active ?? 60;
  const pick = <T>(a: readonly T[]) => pickFrom(rand, a);
  // A user works from one region (home IPv4 and IPv6 ranges, or the office network), as real
  // users do; one in fifty also has an address abroad (travel), so the location rules fire on
  // some users rather than on everyone.
  const addressesOfUser = (): string[] => {
    const v4 = pick(PUBLIC_V4_PREFIXES);
    const v6 = pick(PUBLIC_V6_PREFIXES);
    const one = () => {
      const r = rand();
      if (r < 0.08) return v6 + (1 + below(rand, 0xfff)).toString(16);
      if (r < 0.15) return `10.${below(rand, 4)}.${below(rand, 250)}.${1 + below(rand, 250)}`;
      return v4 + (1 + below(rand, 250));
    };
    const ips = Array.from({ length: 1 + below(rand, 3) }, one);
    if (rand() < 0.02) ips.push(pick(PUBLIC_V4_PREFIXES) + (1 + below(rand, 250)));
    return ips;
  };
  const users = Array.from({ length: nUsers }, (_, i) => ({ dn: userDn(i), ips: addressesOfUser(), session: sessionId(rand) }));
  const out = new ChunkedWriter(path);
  let t = (opts.start ?? new Date('2026-03-02T00:00:00Z')).getTime();
  // At any moment a few dozen people are working (kubectl and dashboards poll in bursts);
  // over the day everyone logs in. A pool of active users, slowly replaced (one in a hundred
  // lines brings someone in), models that.
  const active = Array.from({ length: nActive }, () => pick(users));
  while (out.lines < opts.lines) {
    t += below(rand, 8);
    const h = head(t, pick(THREADS));
    const r = rand();
    if (rand() < 0.01) active[below(rand, active.length)] = pick(users);
    const u = pick(active);
    const ip = rand() < 0.97 ? u.ips[0] : pick(u.ips);
    if (r < 0.6) {
      const [app, url, msg] = pick(APP_REQUESTS);
      out.line(access(h, 'AzSuccess', app, url, u.dn, msg, ip, u.session));
    } else if (r < 0.605) {
      out.line(access(h, 'AzSuccess', 'k8s-api', 'https://k8sou.example.com/api/v1/namespaces/openunison/secrets', pick(SERVICE_ACCOUNTS), 'oauth2k8s', '10.0.3.17', 'null'));
    } else if (r < 0.645) {
      out.line(access(h, 'AuSuccess', 'k8sIdp', AUTH_URL, u.dn, '20 / oauth2k8s', ip, u.session));
    } else if (r < 0.665) {
      const from = rand() < 0.8 ? ip : pick(PUBLIC_V4_PREFIXES) + (1 + below(rand, 250));
      out.line(access(h, 'AuFail', 'k8sIdp', 'https://k8sou.example.com/auth/SAML2Auth', 'cn=none', 'enterprise_idp', from, 'f' + hexDigits(rand, 40)));
    } else if (r < 0.685) {
      out.line(access(h, 'AzFail', 'k8s-api', 'https://k8sou.example.com/api/v1/secrets', u.dn, 'NONE', ip, u.session));
    } else if (r < 0.695) {
      out.line(access(h, 'NotFound', 'UNKNOWN', 'https://k8sou.example.com/favicon.ico', 'uid=Anonymous,o=Tremolo', 'Resource Not Found', ip, 'null'));
    } else if (r < 0.7) {
      // A refresh token used again within the grace period: OpenUnison logs the AzSuccess first.
      out.line(access(h, 'AzSuccess', 'k8sIdp', TOKEN_URL, u.dn, 'k8s-cluster-administrators', ip, u.session));
      out.line(expiredRefreshTokenUsed(h, u.dn, ip, u.session));
    } else if (r < 0.702) {
      // A refresh token reused after the grace period: a WARN, then an AzFail on the same thread.
      out.line(refreshWarning(h));
      out.line(access(h, 'AzFail', 'k8sIdp', TOKEN_URL, u.dn, 'NONE', ip, 'null'));
    } else if (r < 0.703) {
      out.line(logout(h, u.dn));
    } else if (r < 0.84) {
      const op = below(rand, 1000);
      for (const l of directorySearch(h, op, `user${below(rand, nUsers)}`, below(rand, 9))) out.line(l);
    } else if (r < 0.94) {
      out.line(proxyTiming(h, below(rand, 90)));
    } else if (r < 0.99) {
      out.line(configCheck(h, pick(CONFIG_OBJECTS)));
    } else {
      for (const l of tokenErrorWithTrace(h)) out.line(l);
    }
  }
  return out.close();
}
