import { z } from 'zod';
import { isUserDn } from '../../../core/events.js';
import { defineDetector } from '../detector.js';
import { durationSchema, formatDuration } from '../../../core/duration.js';
import { evidenceOf } from '../evidence.js';
import { int, iso, listSome, where } from '../format.js';

/**
 * A refresh token used a second time within the grace period, from an address the user was
 * not known at `knownBefore` earlier: someone else holds a copy of the token. OpenUnison logs
 * an AzSuccess for the same request just before the ExpiredRefreshTokenUsed line, so an
 * address only counts as known if its first success is at least `knownBefore` old.
 *
 * A user with no success at all before that moment has nothing to compare with (ouwatch was
 * just deployed, or the history was cut): the rule stays quiet rather than end a session on
 * a guess.
 */
export const refreshTokenReplay = defineDetector({
  name: 'refresh-token-replay',
  summary: 'an expired refresh token used within the grace period from an address not known for the user a minute before',
  events: ['ExpiredRefreshTokenUsed'],
  params: z
    .object({
      knownBefore: durationSchema.prefault('1m').describe('how old an address\'s first success must be for it to count as known'),
    })
    .strict(),
  describe: (p) => `an expired refresh token used from an address with no success for the user earlier than ${formatDuration(p.knownBefore)} before`,
  create: (p) => ({
    check(e, history, trace) {
      const dn = e.dn;
      const ip = e.ip;
      if (!isUserDn(dn) || ip === null) {
        trace?.(ip === null ? 'the line names no address' : `${JSON.stringify(dn)} is not a user`);
        return null;
      }
      const horizon = e.ts - p.knownBefore;
      const user = history.user(dn);
      if (user === null || user.firstSuccess === null || user.firstSuccess > horizon) {
        trace?.(`no successful event for this user before ${iso(horizon)}: nothing to compare the address with`);
        return null;
      }
      const st = user.ips.get(ip);
      if (st !== undefined && st.firstSuccess !== null && st.firstSuccess <= horizon) {
        trace?.(`${ip} was known for this user before ${iso(horizon)}: first success ${iso(st.firstSuccess)}, ${int(st.successCount)} successful events`);
        return null;
      }
      const country = e.geo?.country ?? null;
      const firstHere = st?.firstSuccess ?? null;
      return {
        dn,
        dnSha1: e.dnSha1,
        ip,
        country,
        reason() {
          const known: string[] = [];
          for (const [addr, s] of user.ips) if (s.firstSuccess !== null && s.firstSuccess <= horizon) known.push(addr);
          return `An expired refresh token of ${dn} was used within the grace period from ${where(ip, country)}, ` +
          (firstHere === null ? 'an address never seen succeeding for this user' : `an address whose first success for this user was only ${formatDuration(e.ts - firstHere)} earlier`) +
          ` (known before ${iso(horizon)}: ${known.length ? listSome(known) : 'none'}): the refresh token was probably copied and replayed.`;
        },
        evidence() {
          return [evidenceOf(e)];
        },
        event: e,
      };
    },
    persist() {},
    reset() {},
    trim() {},
  }),
});
