import { z } from 'zod';
import { durationSchema, formatDuration } from '../../../core/duration.js';
import type { AddressState, User } from '../../history/user.js';
import { defineDetector } from '../detector.js';
import { evidenceOf } from '../evidence.js';
import { int, iso, listSome, where } from '../format.js';

const params = z
  .object({
    knownBefore: durationSchema.prefault('1m').describe("how long before the replay a success must be, to count (OpenUnison logs the same request's AzSuccess just before)"),
    activeWithin: durationSchema.prefault('24h').describe('an address (or network) the user succeeded from this recently is theirs, learnt or not'),
    sameNetwork: z.boolean().default(true).describe('a success from the same network (/24, /64) counts as the same place'),
  })
  .strict();
type Params = z.output<typeof params>;

/** Whether `a` shows the user there: learnt before the horizon, or a success shortly before it. */
function vouches(a: AddressState, horizon: number, p: Params): boolean {
  if (a.firstSuccess === null || a.firstSuccess > horizon) return false;
  if (a.learnt) return true;
  const last = a.lastSuccess!;
  // The latest success at or before the horizon: the last one, or (a busy client) one of those just before it.
  if (last <= horizon) return last >= horizon - p.activeWithin;
  return a.prevSuccess === null || a.prevSuccess > horizon || a.prevSuccess >= horizon - p.activeWithin;
}

function knownAt(user: User, ip: string, net: string | null, horizon: number, p: Params): AddressState | null {
  const own = user.addresses.get(ip);
  if (own !== undefined && vouches(own, horizon, p)) return own;
  if (!p.sameNetwork || net === null) return null;
  for (const a of user.addresses.values()) if (a.net === net && vouches(a, horizon, p)) return a;
  return null;
}

/**
 * A refresh token used a second time within the grace period, from a place the user was not
 * at: someone else holds a copy of the token. The user is "at" an address (or its network)
 * that is learnt as theirs, or that they succeeded from within `activeWithin`, in both cases
 * at least `knownBefore` before the replay (OpenUnison logs an AzSuccess for the same request
 * just before the ExpiredRefreshTokenUsed line). An address whose first visit raised an alert
 * is not learnt, so a thief who comes back days later is caught again.
 *
 * A user with no success before the horizon has nothing to compare with (ouwatch was just
 * deployed, or the history was cut): the rule stays quiet rather than end a session on a guess.
 */
export const refreshTokenReplay = defineDetector({
  name: 'refresh-token-replay',
  summary: 'an expired refresh token used within the grace period from an address the user was not at shortly before',
  events: ['ExpiredRefreshTokenUsed'],
  params,
  describe: (p: Params) =>
    `an expired refresh token used from an address${p.sameNetwork ? ' (or network)' : ''} with no success of the user ` +
    `between ${formatDuration(p.activeWithin)} and ${formatDuration(p.knownBefore)} before, and not learnt as theirs`,
  create: (p: Params) => ({
    check(e, user, trace) {
      const a = e.address;
      if (user === null || a === null) {
        trace?.(a === null ? 'the line names no address' : `${JSON.stringify(e.dn?.dn ?? null)} is not a user`);
        return null;
      }
      const horizon = e.ts - p.knownBefore;
      if (user.firstSuccess === null || user.firstSuccess > horizon) {
        trace?.(`no successful event for this user before ${iso(horizon)}: nothing to compare the address with`);
        return null;
      }
      const vouch = knownAt(user, a.ip, a.net, horizon, p);
      if (vouch !== null) {
        trace?.(
          `${vouch.ip === a.ip ? a.ip : `${vouch.ip}, in the same network ${a.net},`} shows the user there: ` +
            `${vouch.learnt ? 'learnt as theirs' : 'not learnt'}, last success ${iso(vouch.lastSuccess!)}, ${int(vouch.successCount)} successful events`,
        );
        return null;
      }
      const st = user.addresses.get(a.ip);
      const firstHere = st?.firstSuccess ?? null;
      const dn = e.dn!;
      return {
        dn: dn.dn,
        dnSha1: dn.sha1,
        ip: a.ip,
        country: a.country,
        reason() {
          const usual = [...user.addresses.values()].filter((x) => x.learnt).map((x) => x.ip);
          return (
            `An expired refresh token of ${dn.dn} was used within the grace period from ${where(a.ip, a.country)}, ` +
            (firstHere === null
              ? 'an address never seen succeeding for this user'
              : firstHere > horizon
                ? `an address whose first success for this user was only ${formatDuration(e.ts - firstHere)} earlier`
                : `an address not learnt as the user's${st?.quarantinedBy ? ` (alert ${st.quarantinedBy}, raised on it, is not closed as benign)` : ''} and not used by them in the ${formatDuration(p.activeWithin)} before`) +
            ` (learnt: ${usual.length ? listSome(usual) : 'none'}): the refresh token was probably copied and replayed.`
          );
        },
        evidence: () => [evidenceOf(e)],
      };
    },
  }),
});
