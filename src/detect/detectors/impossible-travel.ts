import { z } from 'zod';
import type { Event, Evidence } from '../../domain.js';
import { isUserDn } from '../../domain.js';
import { defineDetector, type Finding } from '../detector.js';
import { formatDuration } from '../duration.js';
import { evidenceOf } from '../evidence.js';
import { int, iso } from '../format.js';
import { MAX_DISTANCE_KM, distanceKm } from '../geo-math.js';
import { KeyedState, StateEntry, type StateCodec } from '../state.js';
import { detach } from '../../util/strings.js';

/** A user's last geolocated successful event, and the first line seen at its location. */
class Point extends StateEntry {
  constructor(
    public ts: number,
    public ip: string,
    public country: string,
    public lat: number,
    public lon: number,
    /** Where the first line at this address is (origin and line number: no string built per event). */
    public origin: string,
    public lineNo: number,
    public line: string,
  ) {
    super();
  }

  static of(e: Event): Point {
    const g = e.geo!;
    return new Point(e.ts, e.ip!, g.country, g.lat, g.lon, e.origin, e.lineNo, detach(e.raw));
  }
}

/** A trip too fast to be real: where the user was (the previous point, copied), and the event. */
class Trip implements Finding {
  readonly dn: string;
  readonly dnSha1: string | null;
  readonly ip: string;
  readonly country: string;
  private readonly fromTs: number;
  private readonly fromIp: string;
  private readonly fromCountry: string;
  private readonly fromSource: string;
  private readonly fromLineNo: number;
  private readonly fromLine: string;
  constructor(
    readonly event: Event,
    prev: Point,
    private readonly km: number,
    private readonly dt: number,
    private readonly kmh: number,
    private readonly p: { maxSpeedKmh: number; minDistanceKm: number },
  ) {
    this.dn = event.dn!;
    this.dnSha1 = event.dnSha1;
    this.ip = event.ip!;
    this.country = event.geo!.country;
    this.fromTs = prev.ts;
    this.fromIp = prev.ip;
    this.fromCountry = prev.country;
    this.fromSource = prev.origin;
    this.fromLineNo = prev.lineNo;
    this.fromLine = prev.line;
  }

  reason(): string {
    const { km, dt, kmh, p } = this;
    return (
      `${this.dn} succeeded from ${this.ip} (${this.country}) ${formatDuration(dt)} after a success from ${this.fromIp} (${this.fromCountry}) at ${iso(this.fromTs)}: ` +
      `${int(km)} km, ${dt === 0 ? 'at the same moment' : `${int(kmh)} km/h`} (rule: over ${int(p.minDistanceKm)} km at more than ${int(p.maxSpeedKmh)} km/h).`
    );
  }

  evidence(): Evidence[] {
    return [{ source: `${this.fromSource}:${this.fromLineNo}`, line: this.fromLine }, evidenceOf(this.event)];
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
      encode: (s) => JSON.stringify([s.ts, s.ip, s.country, s.lat, s.lon, s.origin, s.lineNo, s.line]),
      decode: (json) => {
        const j = JSON.parse(json) as [number, string, string, number, number, string, number, string];
        return Array.isArray(j) && j.length === 8 ? new Point(j[0], j[1], j[2], j[3], j[4], j[5], j[6], j[7]) : null;
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
        const dt = Math.abs(e.ts - prev.ts);
        if (prev.ip === e.ip || (prev.lat === geo.lat && prev.lon === geo.lon)) {
          // Same place (geoip gives many addresses one location): only the time moves. This
          // is most events, so the reference keeps the first line seen there as its evidence.
          prev.ts = e.ts;
          state.touch(dn, prev);
          trace?.(`same location (${prev.country}, ${prev.lat}, ${prev.lon}) as the previous geolocated success, ${formatDuration(dt)} earlier: 0 km`);
          return null;
        }
        const km = distanceKm(prev.lat, prev.lon, geo.lat, geo.lon);
        const kmh = dt === 0 ? (km === 0 ? 0 : Infinity) : km / (dt / 3_600_000);
        const fires = km > p.minDistanceKm && kmh > p.maxSpeedKmh;
        if (!fires) {
          trace?.(
            `previous geolocated success ${formatDuration(dt)} earlier from ${prev.ip} (${prev.country}): ` +
              `${int(km)} km at ${kmh === Infinity ? 'the same moment' : int(kmh) + ' km/h'} (fires over ${int(p.minDistanceKm)} km and ${int(p.maxSpeedKmh)} km/h)`,
          );
        }
        const trip = fires ? new Trip(e, prev, km, dt, kmh, p) : null;
        // The event becomes the reference.
        prev.ts = e.ts;
        prev.ip = e.ip;
        prev.country = geo.country;
        prev.lat = geo.lat;
        prev.lon = geo.lon;
        prev.origin = e.origin;
        prev.lineNo = e.lineNo;
        prev.line = detach(e.raw);
        state.touch(dn, prev);
        return trip;
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
