import { writeFileSync } from 'node:fs';
import { AUTH_URL, THREADS, access, head } from '../../bench/corpora/lines.js';
import { randomPrivateAddress } from '../../bench/corpora/public-ranges.js';
import { seeded, sessionId } from '../../bench/corpora/random.js';
import type { PipelineLimits } from '../../src/app/runtime.js';

/**
 * Memory lowered so that a few thousand users cross it, as a directory of 100,000 people, or
 * a million, would cross the defaults: 1,000 users held, a commit every 1,000 lines.
 */
export const FEW_USERS_HELD: PipelineLimits = {
  tables: { dns: 4_096, ips: 8_192, sessions: 8_192, threads: 1_024 },
  usersHeld: 1_000,
  commitAtBacklog: 1_000,
};

/** Writes to `path` logins (AuSuccess) of `dns`, in this order, half a second apart, on 2 March 2026, each from a private address and session drawn from `seed`. */
export function writeLogins(path: string, dns: readonly string[], seed = 5): void {
  const rand = seeded(seed);
  const start = Date.parse('2026-03-02T00:00:00Z');
  const lines = dns.map((dn, i) => access(head(start + i * 500, THREADS[i % THREADS.length]!), 'AuSuccess', 'k8sIdp', AUTH_URL, dn, '20 / oauth2k8s', randomPrivateAddress(rand), sessionId(rand)));
  writeFileSync(path, lines.join('\n') + '\n');
}
