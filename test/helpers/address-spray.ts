import { writeFileSync } from 'node:fs';
import { ALICE, BOB, H, MIN, SE, SE_HOME, T0, az, azFail, expired } from '../detect/helpers.js';

/** The spray's source addresses: public, each its own. */
export const sprayed = (i: number) => `${[23, 45, 81, 91][i % 4]}.${(i * 7) % 251}.${(i * 13) % 253}.${1 + (i % 250)}`;

/**
 * Alice and Bob at work from the office (Alice from home too, learnt), and from 09:00 one
 * line a second from 3,000 addresses (`hit`, the i-th address), with a success from the
 * office every 100 and every 500 one of the early addresses again (`again`): the lines, and
 * the time of the last.
 */
function sprayDay(hit: (t: number, i: number) => string, again: (t: number, i: number) => string): { lines: string[]; end: number } {
  const lines: string[] = [az(T0 - MIN, ALICE, SE_HOME)];
  for (const dn of [ALICE, BOB]) lines.push(az(T0, dn, SE), az(T0 + MIN, dn, SE));
  let t = T0 + H;
  for (let i = 0; i < 3_000; i++) {
    t += 1_000;
    lines.push(hit(t, i));
    if (i % 100 === 0) lines.push(az(t + 1, i % 200 === 0 ? ALICE : BOB, SE));
    if (i % 500 === 499) lines.push(again(t + 2, i - 480));
  }
  return { lines, end: t };
}

/**
 * Alice and Bob work from the office (Alice from home too, learnt); from 09:00 a botnet is
 * denied 1,500 times at each from as many addresses (a few of them twice, far apart) while
 * they go on working: `spray`. Then three of the spray's early addresses come back, in
 * `back`: a denial, an expired refresh token used from one (refresh-token-replay must judge
 * it as never succeeding there), a success from another.
 */
export function writeAddressSpray(spray: string, back: string): void {
  const { lines, end: t } = sprayDay(
    (t, i) => azFail(t, i % 2 === 0 ? ALICE : BOB, sprayed(i)),
    (t, i) => azFail(t, ALICE, sprayed(i)),
  );
  writeFileSync(spray, lines.join('\n') + '\n');
  writeFileSync(back, [azFail(t + H, ALICE, sprayed(4)), expired(t + H + 1, ALICE, sprayed(2)), az(t + H + 2, BOB, sprayed(7))].join('\n') + '\n');
}

/**
 * Alice and Bob work from the office (Alice from home too, learnt); from 09:00 a thief holding
 * Alice's token succeeds 3,000 times from as many proxy addresses (a few of them twice, far
 * apart) while they go on working: `thief`. Their alerts stay open, so none of those addresses
 * is learnt. Then the thief comes back to three of the early addresses, in `back`: a success,
 * an expired refresh token used from another (refresh-token-replay must see the earlier
 * success there, read back), a success from a third.
 */
export function writeThiefSpray(thief: string, back: string): void {
  const { lines, end: t } = sprayDay(
    (t, i) => az(t, ALICE, sprayed(i)),
    (t, i) => az(t, ALICE, sprayed(i)),
  );
  writeFileSync(thief, lines.join('\n') + '\n');
  writeFileSync(back, [az(t + H, ALICE, sprayed(4)), expired(t + H + 1, ALICE, sprayed(2)), az(t + H + 2, ALICE, sprayed(7))].join('\n') + '\n');
}

/** The crowd's users. */
export const crowdUser = (k: number) => `uid=crowd${k},ou=users,o=Tremolo`;
export const CROWD = 40;

/**
 * An alert storm at every account, one after another: 40 users work from the office (learnt),
 * and from 09:00 a line a second comes from each in turn for a minute, from a new public
 * address each time (60 each, well under a user's own cap), two in three a success (a thief:
 * its alerts stay open, nothing is learnt), the third a denial, while the user works on
 * from the office (15 lines a second: 8 MB in all, so that the replay reads it in several
 * batches and commits between them): `spray`. Then three of the
 * early addresses come back, in `back`: a success, an expired refresh token used from another
 * where the thief had succeeded (refresh-token-replay must see that success, read back), a
 * denial.
 */
export function writeCrowdSpray(spray: string, back: string): void {
  const lines: string[] = [];
  for (let k = 0; k < CROWD; k++) lines.push(az(T0 + k, crowdUser(k), SE), az(T0 + MIN + k, crowdUser(k), SE));
  const user = (i: number) => crowdUser(Math.floor(i / 60));
  let t = T0 + H;
  for (let i = 0; i < 60 * CROWD; i++) {
    t += 1_000;
    lines.push(i % 3 === 2 ? azFail(t, user(i), sprayed(i)) : az(t, user(i), sprayed(i)));
    for (let k = 1; k <= 15; k++) lines.push(az(t + k, user(i), SE));
  }
  writeFileSync(spray, lines.join('\n') + '\n');
  writeFileSync(back, [az(t + H, user(4), sprayed(4)), expired(t + H + 1, user(7), sprayed(7)), azFail(t + H + 2, user(128), sprayed(128))].join('\n') + '\n');
}
