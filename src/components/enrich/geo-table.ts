import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { isPublicAddress, type IpAddress } from '../../core/ip-address.js';
import { COORDINATE_SCALE, GEOIP_FILES, readGeoipLiteFiles } from './geoip-lite-files.js';
import { Ipv4RangeIndex, NO_VALUE, WideRangeIndex } from './range-index.js';
import type { Residency } from './residency.js';
import { CachedTable, defaultCacheDir, sourceFilesKey, type Sections, type TableLoad } from './table-cache.js';

/**
 * Country and coordinates of public addresses, from geoip-lite's data files (GeoLite2 City,
 * converted by geoip-lite) but without geoip-lite: its library keeps the raw 146 MB of files
 * in memory and reads them when first required. Here the files are streamed once into sorted
 * range starts plus a small table of distinct (country, latitude, longitude, accuracy radius)
 * places, about 29 MB, and lookups bisect typed arrays.
 *
 * Measured before deciding to cache: building from the files takes 0.3 to 0.65 s on this
 * project's 2-core machine (3.2 M IPv4 and 1.2 M IPv6 records; 1.1 to 1.3 s since places keep
 * their radius), several times the ~150 ms a start-up may spend, and leaves some 35 MiB of
 * garbage behind. So the built table is cached
 * as a binary file (table-cache.ts), read in page by page as lookups reach it; the files stay
 * the source of truth, and new files (another package version, other sizes or times) mean a
 * new build.
 */

export interface GeoLocation {
  /** ISO 3166-1 alpha-2 code. */
  readonly country: string;
  readonly lat: number;
  readonly lon: number;
  /**
   * How far from the coordinates the address may be, in km (the data's accuracy radius:
   * 1000 for an address located only to its country, often its centre).
   */
  readonly radiusKm: number;
}

export interface GeoTableOptions {
  /** A directory with geoip-lite's geoip-city.dat, geoip-city6.dat and geoip-city-names.dat; default: the installed geoip-lite's data directory. */
  readonly dataDir?: string;
  /** Where the built table is cached; null turns caching off. Default: a private directory under the system's temp directory. */
  readonly cacheDir?: string | null;
}

interface Loaded {
  readonly v4: Ipv4RangeIndex;
  readonly v6: WideRangeIndex;
  readonly countries: readonly string[];
  readonly placeCountry: Uint16Array;
  readonly placeLat: Int32Array;
  readonly placeLon: Int32Array;
  readonly placeRadius: Uint16Array;
  readonly residency: Residency;
  /** One shared, frozen object per place, made on first use. */
  readonly locations: (GeoLocation | undefined)[];
}

export class GeoTable {
  private readonly table: CachedTable<Loaded>;

  /** Does nothing until the first preload() or lookup(). */
  constructor(options: GeoTableOptions = {}) {
    this.table = new CachedTable(() => {
      const dataDir = options.dataDir ?? geoipLiteDataDir();
      return {
        name: 'geo',
        // places: what a place holds (v2: its accuracy radius too), so an older build's file is not read.
        key: { table: 'geo', places: 2, ...sourceFilesKey(dataDir, join(dataDir, '..', 'package.json'), GEOIP_FILES) },
        cacheDir: options.cacheDir === undefined ? defaultCacheDir() : options.cacheDir,
        build: () => readGeoipLiteFiles(dataDir),
        open: openSections,
      };
    });
  }

  /** Loads the table now (from the cache, or by building it); later calls return the latest load. */
  preload(): TableLoad {
    return this.table.preload();
  }

  /** Where the address is, or null when it is not public or the data does not place it. */
  lookup(address: IpAddress): GeoLocation | null {
    if (!isPublicAddress(address)) return null;
    return this.table.read((t) => locate(t, address));
  }

  /** Ranges and places held, for the curious (tests, start-up logs). */
  get size(): { v4Ranges: number; v6Ranges: number; places: number } | null {
    const t = this.table.current;
    return t === null ? null : { v4Ranges: t.v4.ranges, v6Ranges: t.v6.ranges, places: t.placeCountry.length };
  }
}

function locate(t: Loaded, address: IpAddress): GeoLocation | null {
  // geoip-lite's IPv6 data is by /64: only the first two words of an address matter.
  const place = typeof address === 'number' ? t.v4.find(address) : t.v6.find(address[0], address[1], 0, 0);
  if (place === NO_VALUE) return null;
  const known = t.locations[place];
  if (known !== undefined) return known;
  t.residency.ensure(t.placeCountry, place, place + 1);
  t.residency.ensure(t.placeLat, place, place + 1);
  t.residency.ensure(t.placeLon, place, place + 1);
  t.residency.ensure(t.placeRadius, place, place + 1);
  return (t.locations[place] = Object.freeze({
    country: t.countries[t.placeCountry[place]],
    lat: t.placeLat[place] / COORDINATE_SCALE,
    lon: t.placeLon[place] / COORDINATE_SCALE,
    radiusKm: t.placeRadius[place],
  }));
}

function geoipLiteDataDir(): string {
  return join(dirname(createRequire(import.meta.url).resolve('geoip-lite/package.json')), 'data');
}

function openSections(s: Sections, trusted: boolean, residency: Residency): Loaded {
  const { v4Buckets, v4Lows, v4Values, v6Keys, v6Values, placeCountry, placeLat, placeLon, placeRadius, countryCodes } = s;
  if (
    !(v4Buckets instanceof Uint32Array && v4Lows instanceof Uint16Array && v4Values instanceof Uint32Array) ||
    !(v6Keys instanceof Uint32Array && v6Values instanceof Uint32Array) ||
    !(placeCountry instanceof Uint16Array && placeLat instanceof Int32Array && placeLon instanceof Int32Array && placeRadius instanceof Uint16Array) ||
    !(countryCodes instanceof Uint8Array) ||
    placeLat.length !== placeCountry.length ||
    placeLon.length !== placeCountry.length ||
    placeRadius.length !== placeCountry.length ||
    countryCodes.length % 2 !== 0
  ) {
    throw new Error('geo table: missing or mistyped sections');
  }
  residency.ensure(countryCodes, 0, countryCodes.length);
  const countries: string[] = [];
  for (let i = 0; i < countryCodes.length; i += 2) countries.push(String.fromCharCode(countryCodes[i], countryCodes[i + 1]));
  const v4 = new Ipv4RangeIndex(v4Buckets, v4Lows, v4Values, residency);
  const v6 = new WideRangeIndex(2, v6Keys, v6Values, residency);
  if (!trusted) {
    Ipv4RangeIndex.validate(v4, placeCountry.length);
    WideRangeIndex.validate(v6, placeCountry.length);
    for (const c of placeCountry) if (c >= countries.length) throw new Error('geo table: country out of range');
  }
  return { v4, v6, countries, placeCountry, placeLat, placeLon, placeRadius, residency, locations: new Array<GeoLocation | undefined>(placeCountry.length) };
}
