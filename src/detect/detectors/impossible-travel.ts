import { z } from 'zod';
import type { Event, Evidence } from '../../domain.js';
import { isUserDn } from '../../domain.js';
import { defineDetector } from '../detector.js';
import { formatDuration } from '../duration.js';
import { evidenceOf } from '../evidence.js';
import { int, iso } from '../format.js';
import { MAX_DISTANCE_KM, distanceKm } from '../geo-math.js';
import { KeyedState, StateEntry, type StateCodec } from '../state.js';

/** A user's last geolocated successful event. */
class Point extends StateEntry {
  constructor(
    public ts: number,
    public ip: string,
    public country: string,
    public lat: number,
    public lon: number,
    public evidence: Evidence,
  ) {
    super();
  }

  static of(e: Event): Point {
    const g = e.geo!;
    return new Point(e.ts, e.ip!, g.country, g.lat, g.lon, evidenceOf(e));
  }
}

/**
 * Two consecutive geolocated successful events of one user further apart than anyone could
 * travel in between (over `minDistanceKm`, faster than `maxSpeedKmh`). geoip locations are
 * approximate (a country's centre for many addresses), hence the distance floor.
 */
export const impossibleTravel = defineDetector({
  name: 'impossible-travel',
  summary: 'two consecutive geolocated successful events of one user imply a speed no traveller reaches',
  events: ['AuSuccess', 'AzSuccess'],
  requiredEvents: [],
  params: z
    .object({
      maxSpeedKmh: z.number().positive().default(900).describe('fastest plausible travel (km/h)'),
      minDistanceKm: z.number().min(0).default(500).describe('distances below this never count (geoip is approximate)'),
    })
    .strict(),
  describe: (p) => `consecutive geolocated successes over ${int(p.minDistanceKm)} km apart at more than ${int(p.maxSpeedKmh)} km/h`,
  create: (p, ctx) => {
    // After this long, no distance on Earth implies more than maxSpeedKmh: the point can go.
    const horizon = Math.ceil((MAX_DISTANCE_KM / p.maxSpeedKmh) * 3_600_000);
    const codec: StateCodec<Point> = {
      encode: (s) => JSON.stringify([s.ts, s.ip, s.country, s.lat, s.lon, s.evidence.source, s.evidence.line]),
      decode: (json) => {
        const j = JSON.parse(json) as [number, string, string, number, number, string, string];
        return Array.isArray(j) && j.length === 7 ? new Point(j[0], j[1], j[2], j[3], j[4], { source: j[5], line: j[6] }) : null;
      },
      expires: (s) => s.ts + horizon,
    };
    const state = new KeyedState(ctx.state, ctx.scope, codec);
    return {
      check(e, _history, trace) {
        const dn = e.dn;
        const geo = e.geo;
        if (!isUserDn(dn)) {
          trace?.(`${JSON.stringify(dn)} is not a user`);
          return null;
        }
        if (geo === null || e.ip === null) {
          trace?.(`${e.ip ?? 'no address'} has no location (private, reserved or not in the geoip database): skipped`);
          return null;
        }
        const prev = state.get(dn);
        if (prev === undefined || e.ts - prev.ts > horizon) {
          trace?.('no earlier geolocated success of this user within reach: this one becomes the reference');
          state.set(dn, Point.of(e));
          return null;
        }
        const km = prev.ip === e.ip ? 0 : distanceKm(prev.lat, prev.lon, geo.lat, geo.lon);
        const dt = Math.abs(e.ts - prev.ts);
        const kmh = dt === 0 ? (km === 0 ? 0 : Infinity) : km / (dt / 3_600_000);
        const before = prev.ip === e.ip ? null : { ts: prev.ts, ip: prev.ip, country: prev.country, evidence: prev.evidence };
        // Move the reference to this event. Its evidence is the first line at its address
        // (a user stays on one address for long runs: no copy of every line).
        prev.ts = e.ts;
        if (before !== null) {
          prev.ip = e.ip;
          prev.country = geo.country;
          prev.lat = geo.lat;
          prev.lon = geo.lon;
          prev.evidence = evidenceOf(e);
        }
        state.touch(dn, prev);
        if (before === null || km <= p.minDistanceKm || kmh <= p.maxSpeedKmh) {
          trace?.(
            before === null
              ? `same address as the previous geolocated success (${formatDuration(dt)} earlier)`
              : `previous geolocated success ${formatDuration(dt)} earlier from ${before.ip} (${before.country}): ` +
                  `${int(km)} km at ${kmh === Infinity ? 'the same moment' : int(kmh) + ' km/h'} (fires over ${int(p.minDistanceKm)} km and ${int(p.maxSpeedKmh)} km/h)`,
          );
          return null;
        }
        const at = prev.evidence;
        return {
          dn,
          dnSha1: e.dnSha1,
          ip: e.ip,
          country: geo.country,
          reason() {
            return (
              `${dn} succeeded from ${e.ip} (${geo.country}) ${formatDuration(dt)} after a success from ${before.ip} (${before.country}) at ${iso(before.ts)}: ` +
              `${int(km)} km, ${dt === 0 ? 'at the same moment' : `${int(kmh)} km/h`} (rule: over ${int(p.minDistanceKm)} km at more than ${int(p.maxSpeedKmh)} km/h).`
            );
          },
          evidence() {
            return [before.evidence, at];
          },
          event: e,
        };
      },
      persist: () => state.persist(),
      reset: () => state.reset(),
      trim: (now) => {
        state.sweep(now);
        state.trim();
      },
    };
  },
});
