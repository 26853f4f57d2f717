import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Ipv4RangeBuilder, WideRangeBuilder } from './range-builder.js';
import { Ipv4RangeIndex, NO_VALUE, WideRangeIndex } from './range-index.js';
import { readRecords } from './record-file.js';
import type { Sections } from './table-cache.js';

/**
 * Reads geoip-lite's city data files (its own binary format, see its lib/geoip.js) into the
 * geo table's sections: IPv4 and IPv6 range starts, each pointing at a distinct (country,
 * latitude, longitude, accuracy radius) place. The files are streamed in chunks of whole records.
 */

export const GEOIP_FILES = ['geoip-city.dat', 'geoip-city6.dat', 'geoip-city-names.dat'] as const;
const [CITY4, CITY6, NAMES] = GEOIP_FILES;
/** Big-endian fixed-size records. */
const RECORD4 = 24; // start u32, end u32, location id u32, lat i32, lon i32, accuracy u32
const RECORD6 = 48; // start 16 bytes, end 16 bytes, location id u32, lat i32, lon i32, accuracy u32
const LOCATION = 88; // country 2 bytes, region 3, metro i32, eu 1, timezone 32, city 46
const NO_LOCATION = 0xffffffff;
const NO_COUNTRY = 0xffff;
/** Coordinates are stored as degrees times 10 000. */
export const COORDINATE_SCALE = 10_000;
/**
 * Accuracy radii (km; GeoLite2 gives 1 to 1000, 1000 for an address located only to its
 * country) are kept as 16-bit values: a larger one means as little as this one does.
 */
const MAX_RADIUS_KM = 0xffff;

/** The geo table's sections from the three city files in `dataDir`; errors name the file. */
export function readGeoipLiteFiles(dataDir: string): Sections {
  const countries = new Map<string, number>();
  const countryOf = readLocationCountries(join(dataDir, NAMES), countries);
  const places = new PlaceTable();
  const v4 = buildIpv4(join(dataDir, CITY4), countryOf, places);
  const v6 = buildIpv6(join(dataDir, CITY6), countryOf, places);
  const codes = new Uint8Array(countries.size * 2);
  for (const [code, i] of countries) {
    codes[2 * i] = code.charCodeAt(0);
    codes[2 * i + 1] = code.charCodeAt(1);
  }
  return {
    v4Buckets: v4.buckets,
    v4Lows: v4.lows,
    v4Values: v4.values,
    v6Keys: v6.keys,
    v6Values: v6.values,
    placeCountry: Uint16Array.from(places.country),
    placeLat: Int32Array.from(places.lat),
    placeLon: Int32Array.from(places.lon),
    placeRadius: Uint16Array.from(places.radius),
    countryCodes: codes,
  };
}

/** Country index of each location id (NO_COUNTRY when the record names none); codes are interned into `countries`. */
function readLocationCountries(file: string, countries: Map<string, number>): Uint16Array {
  const size = statSync(file).size;
  const out = new Uint16Array(Math.floor(size / LOCATION));
  // Indexed by the two code bytes: 115 k location records, a few hundred distinct codes.
  const byBytes = new Uint16Array(0x10000).fill(NO_COUNTRY);
  let id = 0;
  readRecords(file, LOCATION, (chunk, count) => {
    for (let r = 0; r < count; r++) {
      const o = r * LOCATION;
      const a = chunk.getUint8(o);
      const b = chunk.getUint8(o + 1);
      let country = NO_COUNTRY;
      if (a !== 0 && b !== 0) {
        country = byBytes[(a << 8) | b];
        if (country === NO_COUNTRY) {
          country = countries.size;
          if (country >= NO_COUNTRY) throw new Error(`${file}: too many country codes`);
          countries.set(String.fromCharCode(a, b), country);
          byBytes[(a << 8) | b] = country;
        }
      }
      out[id++] = country;
    }
  });
  return out;
}

/**
 * Distinct (country, latitude, longitude, radius) places; ranges refer to them by index. Interned
 * through an open-addressing hash of int32 slots: a Map keyed by a composite number spent
 * more time hashing than the rest of the build together.
 */
class PlaceTable {
  readonly country: number[] = [];
  readonly lat: number[] = [];
  readonly lon: number[] = [];
  readonly radius: number[] = [];
  /** Place index + 1 per slot, 0 for empty; kept at most half full. */
  private slots = new Int32Array(1 << 18);

  intern(country: number, lat: number, lon: number, radius: number): number {
    const mask = this.slots.length - 1;
    let slot = hashPlace(country, lat, lon, radius) & mask;
    for (;;) {
      const held = this.slots[slot];
      if (held === 0) break;
      const i = held - 1;
      if (this.lat[i] === lat && this.lon[i] === lon && this.country[i] === country && this.radius[i] === radius) return i;
      slot = (slot + 1) & mask;
    }
    const i = this.country.length;
    this.country.push(country);
    this.lat.push(lat);
    this.lon.push(lon);
    this.radius.push(radius);
    this.slots[slot] = i + 1;
    if (2 * this.country.length > this.slots.length) this.grow();
    return i;
  }

  private grow(): void {
    this.slots = new Int32Array(this.slots.length * 2);
    const mask = this.slots.length - 1;
    for (let i = 0; i < this.country.length; i++) {
      let slot = hashPlace(this.country[i], this.lat[i], this.lon[i], this.radius[i]) & mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
      this.slots[slot] = i + 1;
    }
  }
}

function hashPlace(country: number, lat: number, lon: number, radius: number): number {
  let h = Math.imul(lat, 0x9e3779b1) ^ Math.imul(lon, 0x85ebca77) ^ Math.imul(country, 0xc2b2ae3d) ^ Math.imul(radius, 0x27d4eb2f);
  h ^= h >>> 15;
  return Math.imul(h, 0x2c1b3c6d) ^ (h >>> 13);
}

/**
 * The place of a record. Almost every location id comes with one pair of coordinates and one
 * radius, so the last place seen for each location id is remembered next to them: most records
 * then cost one array probe instead of a hash lookup.
 */
class PlaceResolver {
  /** Per location id: place + 1 (0: none yet), latitude, longitude, radius. */
  private readonly recent: Int32Array;

  constructor(
    private readonly countryOf: Uint16Array,
    private readonly places: PlaceTable,
  ) {
    this.recent = new Int32Array(countryOf.length * 4);
  }

  place(location: number, lat: number, lon: number, accuracy: number): number {
    if (location === NO_LOCATION) return NO_VALUE;
    if (location >= this.countryOf.length) throw new Error(`location id ${location} beyond ${NAMES}`);
    const radius = Math.min(accuracy, MAX_RADIUS_KM);
    const r = location * 4;
    const recent = this.recent;
    if (recent[r] !== 0 && recent[r + 1] === lat && recent[r + 2] === lon && recent[r + 3] === radius) return recent[r] - 1;
    const country = this.countryOf[location];
    if (country === NO_COUNTRY) return NO_VALUE;
    const place = this.places.intern(country, lat, lon, radius);
    recent[r] = place + 1;
    recent[r + 1] = lat;
    recent[r + 2] = lon;
    recent[r + 3] = radius;
    return place;
  }
}

function buildIpv4(file: string, countryOf: Uint16Array, places: PlaceTable): Ipv4RangeIndex {
  const builder = new Ipv4RangeBuilder();
  const resolver = new PlaceResolver(countryOf, places);
  readRecords(file, RECORD4, (chunk, count) => {
    for (let r = 0; r < count; r++) {
      const o = r * RECORD4;
      const place = resolver.place(chunk.getUint32(o + 8), chunk.getInt32(o + 12), chunk.getInt32(o + 16), chunk.getUint32(o + 20));
      builder.add(chunk.getUint32(o), chunk.getUint32(o + 4), place);
    }
  });
  return builder.finish();
}

function buildIpv6(file: string, countryOf: Uint16Array, places: PlaceTable): WideRangeIndex {
  const builder = new WideRangeBuilder(2);
  const resolver = new PlaceResolver(countryOf, places);
  const start = [0, 0];
  const end = [0, 0];
  readRecords(file, RECORD6, (chunk, count) => {
    for (let r = 0; r < count; r++) {
      const o = r * RECORD6;
      start[0] = chunk.getUint32(o);
      start[1] = chunk.getUint32(o + 4);
      end[0] = chunk.getUint32(o + 16);
      end[1] = chunk.getUint32(o + 20);
      const place = resolver.place(chunk.getUint32(o + 32), chunk.getInt32(o + 36), chunk.getInt32(o + 40), chunk.getUint32(o + 44));
      builder.add(start, end, place);
    }
  });
  return builder.finish();
}
