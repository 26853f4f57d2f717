import { writeFileSync } from 'node:fs';
import { AUTH_URL, THREADS, TOKEN_URL, access, expiredRefreshTokenUsed, head, userDn } from '../../bench/corpora/lines.js';
import { randomPublicAddress } from '../../bench/corpora/public-ranges.js';
import { seeded, sessionId } from '../../bench/corpora/random.js';

const DAY = 86_400_000;
const START = Date.parse('2026-03-02T00:00:00Z');
export const MONTH_USERS = 8;
/**
 * The chunks a replay of the month reads ahead, for specs that need its users' addresses let go
 * (PipelineLimits.readAhead). Memory keeps every address of a user a batch in flight names, and
 * with the eight chunks a small heap allows (four days of this log), a user active every third
 * day was named at some commits and not at others, as fast as the store committed: PostgreSQL
 * once let none go.
 */
export const MONTH_READ_AHEAD = 2;
const DAYS = 30;
const PERIOD = 3;

const net24 = (ip: string) => ip.slice(0, ip.lastIndexOf('.'));

/**
 * A month of users, each active every third day, who move between a carrier's addresses (a
 * new one each day, all in one network: the first raises an alert, the others are learnt
 * quietly), fail from addresses they never succeed from, and come back to both nine days
 * later; from day 15 a refresh token is used again from the office network last used ten days
 * or more before (the user's own client: no alert); from day 20 two users' tokens are
 * replayed by a thief.
 */
export function writeAddressMonth(path: string): { thieves: number } {
  const rand = seeded(11);
  const lines: Array<[number, string]> = [];
  let thieves = 0;
  for (let u = 0; u < MONTH_USERS; u++) {
    const dn = userDn(100 + u);
    const office = net24(randomPublicAddress(rand));
    const carrier = net24(randomPublicAddress(rand));
    const failing = net24(randomPublicAddress(rand));
    const thread = THREADS[u % THREADS.length]!;
    const say = (t: number, line: (h: string) => string) => lines.push([t, line(head(t, thread))]);
    let officeReuse = false;
    let stolen = u >= 2;
    for (let d = 0; d < DAYS; d++) {
      // Every third day: the days between are where memory lets the user's old addresses go.
      if ((d + u) % PERIOD !== 0) continue;
      const day = START + d * DAY + u * 60_000;
      const sid = sessionId(rand);
      const success = (t: number, ip: string, url = AUTH_URL) => say(t, (h) => access(h, 'AzSuccess', 'k8sIdp', url, dn, 'k8s-api', ip, sid));
      if (d < 6) for (let k = 0; k < 3; k++) success(day + 8 * 3_600_000 + k * 1_000, `${office}.10`);
      // A carrier address a day, all in one network: the first raises its alert, the others are learnt quietly.
      for (let k = 0; k < 3; k++) success(day + 18 * 3_600_000 + k * 1_000, `${carrier}.${10 + d}`);
      // Failures only, from a network never succeeded from: unlearnt, never quarantined.
      say(day + 19 * 3_600_000, (h) => access(h, 'AzFail', 'k8sIdp', AUTH_URL, dn, 'NONE', `${failing}.${10 + d}`, sid));
      if (d >= 9) {
        // Back to the addresses of nine days before: long let go with a two-day window.
        success(day + 20 * 3_600_000, `${carrier}.${10 + d - 9}`);
        say(day + 20 * 3_600_000 + 1_000, (h) => access(h, 'AzFail', 'k8sIdp', AUTH_URL, dn, 'NONE', `${failing}.${10 + d - 9}`, sid));
      }
      if (d >= 15 && !officeReuse) {
        // A refresh token used again from the office network, last used ten days or more before:
        // the learnt office address vouches for it (the user's own client), held or let go.
        officeReuse = true;
        const t = day + 21 * 3_600_000;
        success(t, `${office}.77`, TOKEN_URL);
        say(t + 5, (h) => expiredRefreshTokenUsed(h, dn, `${office}.77`, sid));
      }
      if (d >= 20 && !stolen) {
        stolen = true;
        const t = day + 22 * 3_600_000;
        const thief = randomPublicAddress(rand);
        success(t, thief, TOKEN_URL);
        say(t + 5, (h) => expiredRefreshTokenUsed(h, dn, thief, sid));
        thieves++;
      }
    }
  }
  // Other classes' lines, two megabytes a day: the batches read ahead (MONTH_READ_AHEAD of a
  // megabyte at most) then span a day, and between a user's days none names the user, as in a
  // long archive.
  const filler = 'INFO  ProvisioningEngineImpl - ' + 'synchronised workflow state '.repeat(36);
  for (let d = 0; d < DAYS; d++) for (let k = 0; k < 2_000; k++) lines.push([START + d * DAY + k * 43_200, head(START + d * DAY + k * 43_200, 'Thread-7') + filler]);
  lines.sort((a, b) => a[0] - b[0]);
  writeFileSync(path, lines.map(([, l]) => l).join('\n') + '\n');
  return { thieves };
}
