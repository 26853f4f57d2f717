import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAddress } from '../../src/core/ip-address.js';

/** One range of a geoip-lite city file: inclusive bounds, a location id (null: geoip-lite's "no location"), coordinates in degrees, accuracy radius in km (default 100). */
export interface GeoRecord {
  readonly start: string;
  readonly end: string;
  readonly location: number | null;
  readonly lat?: number;
  readonly lon?: number;
  readonly radiusKm?: number;
}

/** The radius a GeoRecord without one is written with. */
export const DEFAULT_RADIUS_KM = 100;

/**
 * Writes geoip-lite's three city files in its binary layout (lib/geoip.js): location records
 * of 88 bytes starting with the country code, IPv4 records of 24 bytes and IPv6 records of
 * 48 bytes, big-endian, coordinates in degrees times 10 000.
 */
export function writeGeoipData(dir: string, data: { countries: readonly string[]; v4: readonly GeoRecord[]; v6: readonly GeoRecord[] }): void {
  const names = Buffer.alloc(88 * data.countries.length);
  data.countries.forEach((code, i) => names.write(code, i * 88, 'latin1'));
  writeFileSync(join(dir, 'geoip-city-names.dat'), names);

  const v4 = Buffer.alloc(24 * data.v4.length);
  data.v4.forEach((r, i) => {
    const o = i * 24;
    v4.writeUInt32BE(ipv4(r.start), o);
    v4.writeUInt32BE(ipv4(r.end), o + 4);
    writeLocation(v4, o + 8, r);
  });
  writeFileSync(join(dir, 'geoip-city.dat'), v4);

  const v6 = Buffer.alloc(48 * data.v6.length);
  data.v6.forEach((r, i) => {
    const o = i * 48;
    ipv6(r.start).forEach((w, k) => v6.writeUInt32BE(w, o + 4 * k));
    ipv6(r.end).forEach((w, k) => v6.writeUInt32BE(w, o + 16 + 4 * k));
    writeLocation(v6, o + 32, r);
  });
  writeFileSync(join(dir, 'geoip-city6.dat'), v6);
}

function writeLocation(buf: Buffer, o: number, r: GeoRecord): void {
  buf.writeUInt32BE(r.location === null ? 0xffffffff : r.location, o);
  buf.writeInt32BE(Math.round((r.lat ?? 0) * 10_000), o + 4);
  buf.writeInt32BE(Math.round((r.lon ?? 0) * 10_000), o + 8);
  buf.writeUInt32BE(r.radiusKm ?? DEFAULT_RADIUS_KM, o + 12);
}

function ipv4(text: string): number {
  const a = parseAddress(text);
  if (typeof a !== 'number') throw new Error(`not IPv4: ${text}`);
  return a;
}

function ipv6(text: string): readonly number[] {
  const a = parseAddress(text);
  if (a === null || typeof a === 'number') throw new Error(`not IPv6: ${text}`);
  return a;
}
