import { APP_REQUESTS, AUTH_URL, CONFIG_OBJECTS, SERVICE_ACCOUNTS, THREADS, TOKEN_URL, access, configCheck, directorySearch, expiredRefreshTokenUsed, head, logout, proxyTiming, refreshWarning, tokenErrorWithTrace, userDn } from './lines.js';
import { randomPrivateAddress, randomPublicAddress } from './public-ranges.js';
import { below, hexDigits, pickFrom, seeded, sessionId } from './random.js';
import { ChunkedWriter } from './writer.js';
import type { CorpusOptions, Written } from './types.js';

/** Bumped whenever the bytes this generator writes for a seed change (cached corpora are then made again). */
export const STORM_VERSION = 1;

/** Share of the users' successful events (AuSuccess, AzSuccess) that come from a random public address. */
export const STORM_PUBLIC_SHARE = 0.02;

/**
 * An alert storm: every user normally works from 1-3 private addresses (office, VPN: no
 * country), and 2 % of their successful events come from a random public address anywhere in
 * the world (64 countries). Once a user is learnt (10 successes over an hour), each such event
 * is a new address, most are a new country and, hours after the last one, impossible travel:
 * about 37,000 alerts per million lines with the shipped rules. The log spans about 6 hours
 * per million lines, so every user is learnt early in a full-size corpus; the rest is the
 * usual noise (MyVD, other classes, stack traces, refresh tokens within and after the grace
 * period).
 */
export function writeStorm(path: string, opts: CorpusOptions): Written {
  const rand = seeded(opts.seed ?? 42);
  const nUsers = opts.users ?? 2000;
  const pick = <T>(a: readonly T[]) => pickFrom(rand, a);
  const users = Array.from({ length: nUsers }, (_, i) => ({
    dn: userDn(i),
    ips: Array.from({ length: 1 + below(rand, 3) }, () => randomPrivateAddress(rand)),
    session: sessionId(rand),
  }));
  /** Where a successful event of `u` comes from: usually one of their addresses, `publicShare` anywhere. */
  const publicShare = opts.publicShare ?? STORM_PUBLIC_SHARE;
  const successFrom = (u: (typeof users)[number]) => (rand() < publicShare ? randomPublicAddress(rand) : pick(u.ips));
  const out = new ChunkedWriter(path);
  let t = (opts.start ?? new Date('2026-03-02T07:00:00Z')).getTime();
  while (out.lines < opts.lines) {
    t += below(rand, 50);
    const h = head(t, pick(THREADS));
    const r = rand();
    const u = pick(users);
    if (r < 0.78) {
      const [app, url, msg] = pick(APP_REQUESTS);
      out.line(access(h, 'AzSuccess', app, url, u.dn, msg, successFrom(u), u.session));
    } else if (r < 0.783) {
      out.line(access(h, 'AzSuccess', 'k8s-api', 'https://k8sou.example.com/api/v1/namespaces/openunison/secrets', pick(SERVICE_ACCOUNTS), 'oauth2k8s', '10.0.3.17', 'null'));
    } else if (r < 0.82) {
      out.line(access(h, 'AuSuccess', 'k8sIdp', AUTH_URL, u.dn, '20 / oauth2k8s', successFrom(u), u.session));
    } else if (r < 0.83) {
      const from = rand() < 0.5 ? pick(u.ips) : randomPublicAddress(rand);
      out.line(access(h, 'AuFail', 'k8sIdp', 'https://k8sou.example.com/auth/SAML2Auth', 'cn=none', 'enterprise_idp', from, 'f' + hexDigits(rand, 40)));
    } else if (r < 0.838) {
      out.line(access(h, 'AzFail', 'k8s-api', 'https://k8sou.example.com/api/v1/secrets', u.dn, 'NONE', pick(u.ips), u.session));
    } else if (r < 0.842) {
      out.line(access(h, 'NotFound', 'UNKNOWN', 'https://k8sou.example.com/favicon.ico', 'uid=Anonymous,o=Tremolo', 'Resource Not Found', pick(u.ips), 'null'));
    } else if (r < 0.845) {
      const ip = successFrom(u);
      out.line(access(h, 'AzSuccess', 'k8sIdp', TOKEN_URL, u.dn, 'k8s-cluster-administrators', ip, u.session));
      out.line(expiredRefreshTokenUsed(h, u.dn, ip, u.session));
    } else if (r < 0.846) {
      out.line(refreshWarning(h));
      out.line(access(h, 'AzFail', 'k8sIdp', TOKEN_URL, u.dn, 'NONE', pick(u.ips), 'null'));
    } else if (r < 0.8465) {
      out.line(logout(h, u.dn));
    } else if (r < 0.92) {
      for (const l of directorySearch(h, below(rand, 1000), `user${below(rand, nUsers)}`, below(rand, 9))) out.line(l);
    } else if (r < 0.96) {
      out.line(proxyTiming(h, below(rand, 90)));
    } else if (r < 0.997) {
      out.line(configCheck(h, pick(CONFIG_OBJECTS)));
    } else {
      for (const l of tokenErrorWithTrace(h)) out.line(l);
    }
  }
  return out.close();
}
