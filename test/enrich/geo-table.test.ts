import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseAddress } from '../../src/core/ip-address.js';
import { GeoTable } from '../../src/components/enrich/geo-table.js';
import { DEFAULT_RADIUS_KM as R, writeGeoipData } from '../helpers/geo-data.js';
import { tempDir } from '../helpers/tmp.js';

// The geo table reads geoip-lite's data files (not the library) into sorted range starts and a
// table of distinct places. These tests use small files written in geoip-lite's layout, so that
// every rule is visible; geo-vs-geoip-lite.test.ts compares the real data with geoip-lite.

const COUNTRIES = ['FR', 'DE', '', 'JP'];
const FR = 0;
const DE = 1;
const NO_COUNTRY = 2;
const JP = 3;

function table(v4: Parameters<typeof writeGeoipData>[1]['v4'], v6: Parameters<typeof writeGeoipData>[1]['v6'] = []): GeoTable {
  const dir = tempDir();
  writeGeoipData(dir, { countries: COUNTRIES, v4, v6 });
  return new GeoTable({ dataDir: dir, cacheDir: null });
}

const at = (t: GeoTable, ip: string) => t.lookup(parseAddress(ip)!);

describe('IPv4', () => {
  const t = table([
    { start: '1.0.0.0', end: '1.0.0.255', location: FR, lat: 48.8582, lon: 2.3387 },
    { start: '1.0.1.0', end: '1.0.1.255', location: FR, lat: 48.8582, lon: 2.3387 },
    { start: '1.0.2.0', end: '1.0.2.127', location: DE, lat: 52.5, lon: 13.4 },
    // 1.0.2.128 - 1.0.3.255: not covered
    { start: '1.0.4.0', end: '1.0.4.255', location: null },
    { start: '1.0.5.0', end: '1.0.5.255', location: NO_COUNTRY, lat: 1, lon: 1 },
    { start: '1.0.6.0', end: '1.0.6.255', location: JP, lat: -33.494, lon: 143.2104 },
    { start: '10.0.0.0', end: '10.255.255.255', location: DE, lat: 52.5, lon: 13.4 },
    { start: '100.64.0.0', end: '100.127.255.255', location: DE, lat: 52.5, lon: 13.4 },
    { start: '223.255.255.0', end: '223.255.255.255', location: JP, lat: 35.69, lon: 139.69 },
  ]);

  test('an address inside a range, and the first and last address of each range, get its place', () => {
    for (const ip of ['1.0.0.0', '1.0.0.77', '1.0.1.255']) assert.deepEqual(at(t, ip), { country: 'FR', lat: 48.8582, lon: 2.3387, radiusKm: R }, ip);
    for (const ip of ['1.0.2.0', '1.0.2.127']) assert.deepEqual(at(t, ip), { country: 'DE', lat: 52.5, lon: 13.4, radiusKm: R }, ip);
    assert.deepEqual(at(t, '223.255.255.255'), { country: 'JP', lat: 35.69, lon: 139.69, radiusKm: R });
  });

  test('coordinates come back exactly as geoip-lite computes them (stored value / 10 000)', () => {
    assert.deepEqual(at(t, '1.0.6.1'), { country: 'JP', lat: -334940 / 10_000, lon: 1432104 / 10_000, radiusKm: R });
  });

  test('addresses outside every range have no place: before the first, in gaps, after the last', () => {
    for (const ip of ['0.255.255.255', '1.0.2.128', '1.0.3.255', '1.0.7.0', '9.9.9.9', '223.255.254.255']) assert.equal(at(t, ip), null, ip);
  });

  test('a range without location, or whose location has no country, has no place', () => {
    assert.equal(at(t, '1.0.4.1'), null);
    assert.equal(at(t, '1.0.5.1'), null);
  });

  test('non-public addresses have no place even where the data has a range (private, CGNAT)', () => {
    assert.equal(at(t, '10.1.2.3'), null);
    assert.equal(at(t, '100.64.0.1'), null);
  });

  test('neighbouring ranges with the same place are held as one', () => {
    t.preload();
    // FR twice -> one range; DE; the gap, the range without location and the one without country -> one;
    // JP; gap; DE (private, still held); gap; DE (CGNAT); gap; JP; the rest of the space.
    assert.equal(t.size?.v4Ranges, 11);
    assert.equal(t.size?.places, 4);
  });

  test("each place keeps its accuracy radius: the same coordinates with another radius are another place, and radii beyond 16 bits read as the largest", () => {
    const r = table([
      { start: '2.0.0.0', end: '2.0.0.255', location: DE, lat: 51.2993, lon: 9.491, radiusKm: 1000 },
      { start: '2.0.1.0', end: '2.0.1.255', location: DE, lat: 51.2993, lon: 9.491, radiusKm: 20 },
      { start: '2.0.2.0', end: '2.0.2.255', location: DE, lat: 51.2993, lon: 9.491, radiusKm: 1000 },
      { start: '2.0.3.0', end: '2.0.3.255', location: JP, lat: 35.69, lon: 139.69, radiusKm: 70_000 },
    ]);
    assert.deepEqual(at(r, '2.0.0.9'), { country: 'DE', lat: 51.2993, lon: 9.491, radiusKm: 1000 });
    assert.deepEqual(at(r, '2.0.1.9'), { country: 'DE', lat: 51.2993, lon: 9.491, radiusKm: 20 });
    assert.equal(at(r, '2.0.2.9'), at(r, '2.0.0.9'), 'one shared object per place');
    assert.equal(at(r, '2.0.3.9')?.radiusKm, 0xffff);
    assert.equal(r.size?.places, 3);
  });

  test('an IPv4-mapped IPv6 address is looked up as IPv4', () => {
    assert.deepEqual(at(t, '::ffff:1.0.0.1'), at(t, '1.0.0.1'));
  });
});

describe('IPv6', () => {
  const t = table(
    [],
    [
      { start: '2001:200::', end: '2001:200:0:ffff:ffff:ffff:ffff:ffff', location: JP, lat: 35.69, lon: 139.69 },
      // geoip-lite's converter wrote some /64 networks with an end 65 535 /64s too far (a stale group
      // when it expands '::'); the networks after it are the real ones and win from their start.
      { start: '2a00:1::', end: '2a00:1:0:ffff:ffff:ffff:ffff:ffff', location: FR, lat: 48.8582, lon: 2.3387 },
      { start: '2a00:1:0:1::', end: '2a00:1:0:1:ffff:ffff:ffff:ffff', location: DE, lat: 52.5, lon: 13.4 },
      { start: '2a00:1:0:2::', end: '2a00:1:0:3:ffff:ffff:ffff:ffff', location: FR, lat: 48.8582, lon: 2.3387 },
      { start: 'fd00::', end: 'fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', location: JP, lat: 35.69, lon: 139.69 },
    ],
  );

  test('an address inside a range gets its place; only the first 64 bits count, as in geoip-lite', () => {
    for (const ip of ['2001:200::', '2001:200::1', '2001:200:0:ffff:ffff:ffff:ffff:ffff', '2001:200:0:1234:abcd::1']) {
      assert.deepEqual(at(t, ip), { country: 'JP', lat: 35.69, lon: 139.69, radiusKm: R }, ip);
    }
  });

  test('outside every range there is no place', () => {
    for (const ip of ['2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff', '2001:200:1::', '2a00:0:ffff:ffff::1', '2c0f::1']) assert.equal(at(t, ip), null, ip);
  });

  test('where ranges overlap, the later start wins and the earlier range ends there', () => {
    assert.equal(at(t, '2a00:1::1')?.country, 'FR');
    assert.equal(at(t, '2a00:1:0:1::1')?.country, 'DE');
    assert.equal(at(t, '2a00:1:0:3:ffff::')?.country, 'FR');
    assert.equal(at(t, '2a00:1:0:4::'), null, 'past the last range inside the overlong one');
  });

  test('non-public IPv6 addresses have no place even where the data has a range (ULA)', () => {
    assert.equal(at(t, 'fd00::1'), null);
  });
});

describe('loading', () => {
  test('nothing is read before the first lookup or preload; preload names a missing file', () => {
    const t = new GeoTable({ dataDir: '/nonexistent/geoip-data', cacheDir: null });
    assert.equal(t.size, null);
    assert.throws(() => t.preload(), /\/nonexistent\/geoip-data\/geoip-city\.dat/);
  });

  test('preload is idempotent: the second call returns the first result and reads nothing', () => {
    const dir = tempDir();
    writeGeoipData(dir, { countries: COUNTRIES, v4: [{ start: '1.0.0.0', end: '1.0.0.255', location: FR, lat: 1, lon: 2 }], v6: [] });
    const t = new GeoTable({ dataDir: dir, cacheDir: null });
    const first = t.preload();
    writeFileSync(join(dir, 'geoip-city.dat'), 'truncated');
    assert.equal(t.preload(), first);
    assert.equal(first.source, 'built');
    assert.equal(at(t, '1.0.0.1')?.country, 'FR');
  });

  test('a lookup loads the table when preload was not called', () => {
    const t = table([{ start: '1.0.0.0', end: '1.0.0.255', location: DE, lat: 1, lon: 2 }]);
    assert.equal(at(t, '1.0.0.9')?.country, 'DE');
    assert.ok(t.size !== null);
  });

  test('a damaged data file is an error naming the file and the problem', () => {
    const dir = tempDir();
    writeGeoipData(dir, { countries: COUNTRIES, v4: [], v6: [] });
    writeFileSync(join(dir, 'geoip-city.dat'), Buffer.alloc(25));
    assert.throws(() => new GeoTable({ dataDir: dir, cacheDir: null }).preload(), /geoip-city\.dat: size 25 is not a multiple of the 24-byte record/);
  });

  test('ranges out of order are an error naming the file', () => {
    const dir = tempDir();
    writeGeoipData(dir, {
      countries: COUNTRIES,
      v4: [
        { start: '2.0.0.0', end: '2.0.0.255', location: FR },
        { start: '1.0.0.0', end: '1.0.0.255', location: FR },
      ],
      v6: [],
    });
    assert.throws(() => new GeoTable({ dataDir: dir, cacheDir: null }).preload(), /geoip-city\.dat: ranges out of order/);
  });

  test('a location id beyond the names file is an error naming the file', () => {
    const dir = tempDir();
    writeGeoipData(dir, { countries: COUNTRIES, v4: [{ start: '1.0.0.0', end: '1.0.0.255', location: 99 }], v6: [] });
    assert.throws(() => new GeoTable({ dataDir: dir, cacheDir: null }).preload(), /geoip-city\.dat: location id 99 beyond geoip-city-names\.dat/);
  });
});
