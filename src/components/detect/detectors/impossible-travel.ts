import * as z from 'zod';
import { formatDuration } from '../../../core/duration.js';
import { distanceKm } from '../../../core/geo-math.js';
import { defineDetector, type Finding, type Trace } from '../detector.js';
import { evidenceOf, namedOn } from '../evidence.js';
import { int, iso } from '../format.js';
import type { GeoPoint } from '../../../core/history.js';
import type { Address, LogEvent } from '../../../core/log-event.js';
import type { OrganisationView } from '../../history/organisation.js';
import type { User } from '../../history/user.js';

/** Why `a` is a place the user already has, or null. */
function familiar(user: User, a: Pick<Address, 'ip' | 'net' | 'asn' | 'country'>): string | null {
  if (user.addresses.get(a.ip)?.learnt === true) return `${a.ip} is one of the user's own addresses`;
  if (a.net !== null && user.knowsNet(a.net)) return `${a.net} is one of the user's own networks`;
  if (a.asn !== null && user.knowsAsn(a.asn) && user.knowsCountry(a.country)) return `AS${a.asn} in ${a.country} is a network and country the user already has`;
  return null;
}

/** Built on first use: a start that takes its shipped rules as the build validated them builds no schema. */
const params = () =>
  z
    .object({
      maxSpeedKmh: z.number().positive().default(900).describe('fastest plausible travel (km/h)'),
      minDistanceKm: z.number().min(0).default(500).describe('distances below this never count (geolocation is approximate)'),
      ignoreFamiliar: z
        .boolean()
        .default(true)
        .describe("a move between two of the user's own places (learnt networks, or an ASN in a country the user already has) is not travel"),
      organisation: z
        .boolean()
        .default(true)
        .describe(
          "one of the organisation's networks (office NAT, VPN egress) locates the gateway, not the person: a move between one and a place of the user's own, their country, or a country enough colleagues use, is not travel",
        ),
      allowForAccuracy: z
        .boolean()
        .default(true)
        .describe(
          "inside one country, the offline data's accuracy radii count: the distance is taken between the edges of the two places, and a move to or from an address located only to its country is not travel",
        ),
    })
    .strict();
type Params = z.output<ReturnType<typeof params>>;

/** The accuracy radius GeoLite2 gives an address it locates only to its country (at or near the country's centre). */
const COUNTRY_LEVEL_KM = 1000;

/**
 * How much of a distance the data's accuracy leaves in doubt (km), or null when one end is
 * located only to its country. Only inside one country: there, an address located to the
 * country's centre or to a region puts a person at home hundreds of kilometres from
 * themselves. Across a border the move itself is certain, and a country-level radius (1000 km
 * for Russia as for Luxembourg) says nothing about how far apart two countries are: the
 * centres' distance is kept.
 */
function slackKmOf(from: GeoPoint, a: Located, p: Params): number | null {
  if (!p.allowForAccuracy || from.country !== a.country) return 0;
  const here = a.radiusKm ?? 0;
  return from.radiusKm >= COUNTRY_LEVEL_KM || here >= COUNTRY_LEVEL_KM ? null : from.radiusKm + here;
}

/**
 * Two consecutive geolocated successful events of one user further apart than anyone could
 * travel in between (over `minDistanceKm`, faster than `maxSpeedKmh`). Locations are
 * approximate (a country's centre for many addresses), hence the distance floor, and inside
 * one country the data's accuracy radii (slackKmOf). The
 * previous point is the user's last geolocated success in the history, so the rule works
 * on users learnt before it was added.
 *
 * A move between two places the user already has (learnt networks, or their own ISP in their
 * own country) is not travel: a phone roaming on its home carrier beside hotel Wi-Fi, a VPN
 * switched on and off, two addresses of one ISP that the offline data puts in different
 * cities. A thief's place is new to the user, so both legs of a stolen session (there and
 * back to the owner's office) still count.
 *
 * The organisation's networks (configured egress, or a network enough colleagues have as
 * their own) put the gateway on the map, not the person: switching the VPN on at home is a
 * jump of hundreds of kilometres that nobody travelled. A move between such a network and
 * the user's own place, their country or a country colleagues work in is not travel; a move
 * from it to a place nobody here uses still is.
 */
export const impossibleTravel = defineDetector({
  name: 'impossible-travel',
  summary: 'two consecutive geolocated successful events of one user imply a speed no traveller reaches',
  events: ['AuSuccess', 'AzSuccess'],
  requiredEvents: [],
  params,
  describe: (p: Params) =>
    `consecutive geolocated successes over ${int(p.minDistanceKm)} km apart at more than ${int(p.maxSpeedKmh)} km/h` +
    (p.allowForAccuracy ? " (inside one country, allowing for the offline data's accuracy)" : ''),
  create: (p: Params, ctx) => ({
    check(e, user, trace) {
      const a = e.address;
      if (user === null) {
        trace?.(`${JSON.stringify(e.dn?.dn ?? null)} is not a user`);
        return null;
      }
      if (a === null || a.lat === null || a.lon === null || a.country === null) {
        trace?.(`${a?.ip ?? 'no address'} has no location (private, reserved or not in the offline data): skipped`);
        return null;
      }
      const from = user.lastGeo;
      if (from === null) {
        trace?.('no earlier geolocated success of this user: this one becomes the reference');
        return null;
      }
      if (from.lat === a.lat && from.lon === a.lon) {
        trace?.(`same location (${from.country}, ${from.lat}, ${from.lon}) as the previous geolocated success, ${formatDuration(e.ts - from.ts)} earlier: 0 km`);
        return null;
      }
      const here = a as Located;
      const km = distanceKm(from.lat, from.lon, a.lat, a.lon);
      const dt = Math.abs(e.ts - from.ts);
      const slackKm = slackKmOf(from, here, p);
      if (slackKm === null) {
        const coarse = from.radiusKm >= COUNTRY_LEVEL_KM ? from.ip : a.ip;
        trace?.(`previous geolocated success ${formatDuration(dt)} earlier from ${from.ip}, also in ${a.country}; the offline data locates ${coarse} only to its country: no distance to judge`);
        return null;
      }
      const atLeastKm = Math.max(0, km - slackKm);
      const kmh = dt === 0 ? (atLeastKm === 0 ? 0 : Infinity) : atLeastKm / (dt / 3_600_000);
      if (!(atLeastKm > p.minDistanceKm && kmh > p.maxSpeedKmh)) {
        trace?.(
          `previous geolocated success ${formatDuration(dt)} earlier from ${from.ip} (${from.country}): ` +
            `${distanceText({ km, atLeastKm, slackKm })}, ${kmh === Infinity ? 'at the same moment' : int(kmh) + ' km/h'} (fires over ${int(p.minDistanceKm)} km and ${int(p.maxSpeedKmh)} km/h)`,
        );
        return null;
      }
      return travelled(e, user, here, from, { km, atLeastKm, slackKm }, dt, kmh, p, ctx.organisation, trace);
    },
  }),
});

type Located = Address & { lat: number; lon: number; country: string };

/** Between two places: their centres' distance, and the least it can be given their accuracy radii. */
interface Distance {
  km: number;
  atLeastKm: number;
  slackKm: number;
}

function distanceText(d: Distance): string {
  return d.slackKm === 0 ? `${int(d.km)} km` : `${int(d.km)} km between the places' centres, at least ${int(d.atLeastKm)} km given their accuracy (${int(d.slackKm)} km together)`;
}

/**
 * One alert per trip between two countries (either way round) within the rule's window: the
 * way back, or the next hop between a hotel's and a home carrier's addresses, is a repeat of
 * it (counted, its lines added) rather than another alert. Keyed by the address, a stolen
 * session used abroad beside its owner raised two alerts for one trip (there and back, the
 * second naming the owner's own address), and a traveller's phone and laptop one per address.
 */
function tripKey(a: string, b: string): string {
  return a < b ? `trip:${a}-${b}` : `trip:${b}-${a}`;
}

/**
 * A success too far and too fast from the user's last geolocated one: a finding unless both
 * ends are the user's own places, or one end is the organisation's gateway and the other a place
 * of the user's or colleagues'. (Outside check(): see seenAt in session-moved.ts.)
 */
function travelled(e: LogEvent, user: User, a: Located, from: GeoPoint, apart: Distance, dt: number, kmh: number, p: Params, org: OrganisationView, trace: Trace | null): Finding | null {
  const km = apart.km;
  const there = familiar(user, a);
  const fromState = user.addresses.get(from.ip);
  const before = fromState === undefined ? null : familiar(user, fromState);
  if (p.ignoreFamiliar && there !== null && before !== null) {
    trace?.(`${int(km)} km from ${from.ip} (${from.country}) in ${formatDuration(dt)}, but both are the user's own places (${before}; ${there}): not travel`);
    return null;
  }
  if (p.organisation) {
    // The other end must be the user's own place, their country, or one colleagues use: a
    // move from the office NAT to a country nobody here works in is still travel.
    const placeOf = (own: string | null, country: string) => {
      if (own !== null) return own;
      if (user.knowsCountry(country)) return `${country} is a country the user already has`;
      const n = org.usersInCountry(country);
      return n >= org.minUsers ? `${n} colleagues have addresses in ${country}` : null;
    };
    const gatewayHere = org.whyOrgNetwork(a.ip, a.net);
    const gatewayBefore = org.whyOrgNetwork(from.ip, fromState?.net ?? null);
    const placeBefore = gatewayHere === null ? null : placeOf(before, from.country);
    const placeHere = gatewayBefore === null ? null : placeOf(there, a.country);
    const pair = placeBefore !== null ? `${gatewayHere}; ${placeBefore}` : placeHere !== null ? `${gatewayBefore}; ${placeHere}` : null;
    if (pair !== null) {
      trace?.(`${int(km)} km from ${from.ip} (${from.country}) in ${formatDuration(dt)}, but one end is the organisation's gateway (${pair}): not travel`);
      return null;
    }
  }
  const dn = e.dn!;
  const was = from.line ?? null;
  return {
    ...namedOn(e, a),
    suppressKey: tripKey(from.country, a.country),
    reason: () =>
      `${dn.dn} succeeded from ${a.ip} (${a.country}) ${formatDuration(dt)} after a success from ${from.ip} (${from.country}) at ${iso(from.ts)}: ` +
      `${distanceText(apart)}, ${dt === 0 ? 'at the same moment' : `${int(kmh)} km/h`} (rule: over ${int(p.minDistanceKm)} km at more than ${int(p.maxSpeedKmh)} km/h).`,
    evidence: () => (was === null ? [evidenceOf(e)] : [was, evidenceOf(e)]),
  };
}
