import { APP_REQUESTS, AUTH_URL, CONFIG_OBJECTS, THREADS, access, configCheck, directorySearch, head, proxyTiming, tokenErrorWithTrace, userDn } from './lines.js';
import { randomPrivateAddress, randomPublicAddress } from './public-ranges.js';
import { below, hexDigits, pickFrom, seeded, sessionId } from './random.js';
import { ChunkedWriter } from './writer.js';
import type { CorpusOptions, Written } from './types.js';

/** Bumped whenever the bytes this generator writes for a seed change (cached corpora are then made again). */
export const MANY_USERS_VERSION = 2;

/** Share of the lines that name no user (directory searches, other classes, stack traces, failed logins, 404s). */
const NOISE_SHARE = 0.1;
/** Share of the users who, after logging in, also make one authorised request. */
const SECOND_VISIT_SHARE = 0.8;

/**
 * A huge directory seen once: half as many distinct DNs as lines (1 M DNs in 2 M lines), each
 * logging in (AuSuccess) and, four times in five, making one request a few lines later
 * (AzSuccess) from the same address, so each DN appears 1.8 times on average; a tenth of the
 * lines is the usual noise. Addresses are 70 % private, 30 % public (64 countries). Nobody is
 * seen long enough to be learnt: this corpus measures per-user state, not alerts.
 */
export function writeManyUsers(path: string, opts: CorpusOptions): Written {
  const rand = seeded(opts.seed ?? 42);
  const pick = <T>(a: readonly T[]) => pickFrom(rand, a);
  const out = new ChunkedWriter(path);
  let t = (opts.start ?? new Date('2026-03-02T00:00:00Z')).getTime();
  let nextUser = 0;
  let noiseLines = 0;
  // Users who logged in and will make their request once the line count reaches `due`.
  const waiting: Array<{ dn: string; ip: string; session: string; due: number }> = [];
  let firstWaiting = 0;
  while (out.lines < opts.lines) {
    t += below(rand, 80);
    const h = head(t, pick(THREADS));
    if (noiseLines < NOISE_SHARE * out.lines) {
      const before = out.lines;
      const r = rand();
      if (r < 0.4) {
        for (const l of directorySearch(h, below(rand, 1000), `user${below(rand, nextUser + 1)}`, below(rand, 9))) out.line(l);
      } else if (r < 0.7) {
        out.line(proxyTiming(h, below(rand, 90)));
      } else if (r < 0.85) {
        out.line(configCheck(h, pick(CONFIG_OBJECTS)));
      } else if (r < 0.93) {
        out.line(access(h, 'AuFail', 'k8sIdp', 'https://k8sou.example.com/auth/SAML2Auth', 'cn=none', 'enterprise_idp', randomPublicAddress(rand), 'f' + hexDigits(rand, 40)));
      } else if (r < 0.99) {
        out.line(access(h, 'NotFound', 'UNKNOWN', 'https://k8sou.example.com/favicon.ico', 'uid=Anonymous,o=Tremolo', 'Resource Not Found', randomPrivateAddress(rand), 'null'));
      } else {
        for (const l of tokenErrorWithTrace(h)) out.line(l);
      }
      noiseLines += out.lines - before;
      continue;
    }
    const next = waiting[firstWaiting];
    if (next !== undefined && next.due <= out.lines) {
      waiting[firstWaiting++] = undefined as never; // let the finished user's strings go
      const [app, url, msg] = pick(APP_REQUESTS);
      out.line(access(h, 'AzSuccess', app, url, next.dn, msg, next.ip, next.session));
      if (firstWaiting > 65_536) {
        waiting.splice(0, firstWaiting);
        firstWaiting = 0;
      }
      continue;
    }
    const dn = userDn(arrivalName(nextUser++));
    const ip = rand() < 0.7 ? randomPrivateAddress(rand) : randomPublicAddress(rand);
    const session = sessionId(rand);
    out.line(access(h, 'AuSuccess', 'k8sIdp', AUTH_URL, dn, '20 / oauth2k8s', ip, session));
    if (rand() < SECOND_VISIT_SHARE) waiting.push({ dn, ip, session, due: out.lines + 1 + below(rand, 64) });
  }
  return out.close();
}

/**
 * The number in the name of the i-th user to arrive: a bijection of i (an odd multiplier
 * modulo 2^32), so people do not arrive in the order of their names. In a real directory
 * they never do, and a store keyed by DN pays for that with inserts all over its B-trees,
 * which users named in arrival order (user1, user2...) would hide.
 */
function arrivalName(i: number): number {
  return Math.imul(i, 0x9e3779b1) >>> 0;
}
