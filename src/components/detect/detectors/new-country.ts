import { z } from 'zod';
import { isUserDn } from '../../../core/events.js';
import { defineDetector } from '../detector.js';
import { evidenceOf } from '../evidence.js';
import { int, iso, listSome } from '../format.js';
import { baselineParams, describeBaseline, describeLearning, hasBaseline } from './baseline.js';

/**
 * A learnt user succeeds from a country never seen for them. Private and unknown addresses
 * have no country and never count; a user seen only from such addresses has no country
 * baseline yet (there is nothing to compare with).
 */
export const newCountry = defineDetector({
  name: 'new-country',
  summary: 'a successful event for a learnt user from a country (geoip) never seen for them',
  events: ['AuSuccess', 'AzSuccess'],
  requiredEvents: [],
  params: z
    .object({
      ...baselineParams,
      minKnownCountries: z.number().int().min(0).default(1).describe('countries the user must already have succeeded from'),
    })
    .strict(),
  describe: (p) => `a successful event from a country new for the user, ${describeBaseline(p)} and at least ${p.minKnownCountries} known country`,
  create: (p) => ({
    check(e, history, trace) {
      const dn = e.dn;
      if (!isUserDn(dn)) {
        trace?.(`${JSON.stringify(dn)} is not a user: no baseline`);
        return null;
      }
      const geo = e.geo;
      if (geo === null) {
        trace?.(`${e.ip ?? 'no address'} has no country (private, reserved or not in the geoip database): never counts`);
        return null;
      }
      const user = history.user(dn);
      if (!hasBaseline(user, p)) {
        trace?.(describeLearning(user, p));
        return null;
      }
      const seen = user.countries.get(geo.country);
      if (seen !== undefined && seen.successCount > 0) {
        trace?.(`${geo.country} is known for this user: ${int(seen.successCount)} successful events since ${iso(seen.firstSuccess!)}`);
        return null;
      }
      const known: string[] = [];
      for (const [c, st] of user.countries) if (st.successCount > 0) known.push(c);
      if (known.length < p.minKnownCountries) {
        trace?.(`the user has succeeded from ${known.length} geolocated countries so far (needs ${p.minKnownCountries} to compare with)`);
        return null;
      }
      return {
        dn,
        dnSha1: e.dnSha1,
        ip: e.ip,
        country: geo.country,
        reason() {
          return (
            `${dn} succeeded (${e.type}) from ${e.ip} in ${geo.country}, a country never seen for this user ` +
            `(known: ${listSome(known.sort(), 5)}) in ${int(user.successCount)} successful events since ${iso(user.firstSuccess!)}.`
          );
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
