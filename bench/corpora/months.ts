import { AUTH_URL, THREADS, access, head, userDn } from './lines.js';
import { PUBLIC_RANGES } from './public-ranges.js';
import { below, seeded, sessionId } from './random.js';
import type { CorpusOptions, Written } from './types.js';
import { ChunkedWriter } from './writer.js';

/** Bumped whenever the bytes this generator writes for a seed change (cached corpora are then made again). */
export const MONTHS_VERSION = 1;

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Countries the people live in (their office and their carrier in the same one: no travel). */
const COUNTRIES = 8;

/**
 * Months of one organisation's people who come back every day: 2,000 users (`users`), each
 * working in the morning from their office address on weekdays and in the evening (and at
 * weekends) from a phone whose carrier gives a new address every day, always in one network
 * of the office's country: 12 lines a user a day, 90 days in the default 2.16 M lines. Nothing
 * in it is worth an alert; what it measures is memory over a long span of log time (the
 * addresses history keeps, and what waits for a commit).
 */
export function writeMonths(path: string, opts: CorpusOptions): Written {
  const rand = seeded(opts.seed ?? 42);
  const start = (opts.start ?? new Date('2026-01-01T00:00:00Z')).getTime();
  const people = Array.from({ length: opts.users ?? 2_000 }, (_, u) => {
    const [, officeRange, carrierRange] = PUBLIC_RANGES[u % COUNTRIES]!;
    return { dn: userDn(u + 1), office: `${officeRange}.${below(rand, 256)}.${1 + below(rand, 254)}`, carrier: `${carrierRange}.${below(rand, 256)}` };
  });
  const out = new ChunkedWriter(path);
  for (let d = 0; out.lines < opts.lines; d++) {
    const day: Array<[number, string]> = [];
    const say = (t: number, thread: string, line: (h: string) => string) => day.push([t, line(head(t, thread))]);
    people.forEach((p, u) => {
      const session = sessionId(rand);
      const thread = THREADS[u % THREADS.length]!;
      const phone = `${p.carrier}.${1 + (d % 254)}`;
      const morning = start + d * DAY_MS + 7 * HOUR_MS + below(rand, HOUR_MS);
      const at = d % 7 < 5 ? p.office : phone;
      for (let k = 0; k < 8; k++) {
        const t = morning + k * 60_000;
        say(t, thread, (h) => (k === 0 ? access(h, 'AuSuccess', 'k8sIdp', AUTH_URL, p.dn, '20 / oauth2k8s', at, session) : access(h, 'AzSuccess', 'k8s-api', AUTH_URL, p.dn, 'k8s-cluster-administrators', at, session)));
      }
      for (let k = 0; k < 4; k++) {
        const t = morning + 10 * HOUR_MS + k * 60_000;
        say(t, thread, (h) => access(h, 'AzSuccess', 'k8s-api', AUTH_URL, p.dn, 'k8s-cluster-administrators', phone, session));
      }
    });
    day.sort((a, b) => a[0] - b[0]);
    for (const [, line] of day) {
      if (out.lines >= opts.lines) break;
      out.line(line);
    }
  }
  return out.close();
}
