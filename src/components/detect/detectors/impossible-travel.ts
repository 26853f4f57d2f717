import { z } from 'zod';
import type { Event } from '../../../core/events.js';
import type { Evidence } from '../../../core/alerts.js';
import type { GeoPoint } from '../../../core/history.js';
import { isUserDn } from '../../../core/events.js';
import { defineDetector, type Finding } from '../detector.js';
import { formatDuration } from '../../../core/duration.js';
import { evidenceOf } from '../evidence.js';
import { int, iso } from '../format.js';
import { distanceKm } from '../../../core/geo-math.js';
import { KeyedState, StateEntry, type StateCodec } from '../state.js';
import { detach } from '../../../core/strings.js';

/**
 * The first line of a user's current location (the evidence an alert shows for "where they
 * were"). It changes only when the user moves, so it is written rarely; the time and place of
 * the last geolocated success come from the user's history (`lastGeo`), kept by the store.
 */
class Arrival extends StateEntry {
  constructor(
    public lat: number,
    public lon: number,
    public origin: string,
    public lineNo: number,
    public line: string,
  ) {
    super();
  }

  static of(e: Event): Arrival {
    return new Arrival(e.geo!.lat, e.geo!.lon, e.origin, e.lineNo, detach(e.raw));
  }

  copy(): Arrival {
    return new Arrival(this.lat, this.lon, this.origin, this.lineNo, this.line);
  }

  /** Moves to `e` in place (no new object per move; written once per commit). */
  moveTo(e: Event): void {
    this.lat = e.geo!.lat;
    this.lon = e.geo!.lon;
    this.origin = e.origin;
    this.lineNo = e.lineNo;
    this.line = detach(e.raw);
  }
}

const codec: StateCodec<Arrival> = {
  encode: (s) => JSON.stringify([s.lat, s.lon, s.origin, s.lineNo, s.line]),
  decode: (json) => {
    const j = JSON.parse(json) as [number, number, string, number, string];
    return Array.isArray(j) && j.length === 5 ? new Arrival(j[0], j[1], j[2], j[3], j[4]) : null;
  },
  expires: () => null,
};

/** A trip too fast to be real: where the user was, and the event. */
class Trip implements Finding {
  readonly dn: string;
  readonly dnSha1: string | null;
  readonly ip: string;
  readonly country: string;
  constructor(
    readonly event: Event,
    private readonly from: GeoPoint,
    /** The first line at the previous location, when known. */
    private readonly arrival: Arrival | undefined,
    private readonly km: number,
    private readonly dt: number,
    private readonly kmh: number,
    private readonly p: { maxSpeedKmh: number; minDistanceKm: number },
  ) {
    this.dn = event.dn!;
    this.dnSha1 = event.dnSha1;
    this.ip = event.ip!;
    this.country = event.geo!.country;
  }

  reason(): string {
    const { from, km, dt, kmh, p } = this;
    return (
      `${this.dn} succeeded from ${this.ip} (${this.country}) ${formatDuration(dt)} after a success from ${from.ip} (${from.country}) at ${iso(from.ts)}: ` +
      `${int(km)} km, ${dt === 0 ? 'at the same moment' : `${int(kmh)} km/h`} (rule: over ${int(p.minDistanceKm)} km at more than ${int(p.maxSpeedKmh)} km/h).`
    );
  }

  evidence(): Evidence[] {
    const a = this.arrival;
    const here = evidenceOf(this.event);
    return a === undefined ? [here] : [{ source: `${a.origin}:${a.lineNo}`, line: a.line }, here];
  }
}

/**
 * Two consecutive geolocated successful events of one user further apart than anyone could
 * travel in between (over `minDistanceKm`, faster than `maxSpeedKmh`). geoip locations are
 * approximate (a country's centre for many addresses), hence the distance floor. The
 * previous point is the user's last geolocated success in the history, so the rule works
 * from the first event after it is added, on users learnt before.
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
    const arrivals = new KeyedState(ctx.state, ctx.scope, codec);
    return {
      check(e, history, trace) {
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
        const from = history.user(dn)?.lastGeo ?? null;
        if (from !== null && from.lat === geo.lat && from.lon === geo.lon) {
          // Same place as last time (geoip gives many addresses one location): most events.
          trace?.(`same location (${from.country}, ${from.lat}, ${from.lon}) as the previous geolocated success, ${formatDuration(e.ts - from.ts)} earlier: 0 km`);
          return null;
        }
        // The user arrives somewhere: judge the trip from where they were, then remember the
        // first line here (the arrival object is reused: a finding takes a copy first).
        const arrival = arrivals.get(dn);
        let trip: Trip | null = null;
        if (from === null) {
          trace?.('no earlier geolocated success of this user: this one becomes the reference');
        } else {
          const km = distanceKm(from.lat, from.lon, geo.lat, geo.lon);
          const dt = Math.abs(e.ts - from.ts);
          const kmh = dt === 0 ? (km === 0 ? 0 : Infinity) : km / (dt / 3_600_000);
          if (km > p.minDistanceKm && kmh > p.maxSpeedKmh) {
            const was = arrival !== undefined && arrival.lat === from.lat && arrival.lon === from.lon ? arrival.copy() : undefined;
            trip = new Trip(e, from, was, km, dt, kmh, p);
          } else {
            trace?.(
              `previous geolocated success ${formatDuration(dt)} earlier from ${from.ip} (${from.country}): ` +
                `${int(km)} km at ${kmh === Infinity ? 'the same moment' : int(kmh) + ' km/h'} (fires over ${int(p.minDistanceKm)} km and ${int(p.maxSpeedKmh)} km/h)`,
            );
          }
        }
        if (arrival === undefined) arrivals.set(dn, Arrival.of(e));
        else {
          arrival.moveTo(e);
          arrivals.touch(dn, arrival);
        }
        return trip;
      },
      persist: () => arrivals.persist(),
      reset: () => arrivals.reset(),
      trim: () => arrivals.trim(),
    };
  },
});
