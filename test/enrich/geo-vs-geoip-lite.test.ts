import assert from 'node:assert/strict';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { formatAddress, isPublicAddress, parseAddress, type IpAddress } from '../../src/core/ip-address.js';
import { GeoTable, type GeoLocation } from '../../src/components/enrich/geo-table.js';
import { random } from '../helpers/random.js';
import { tempDir } from '../helpers/tmp.js';

// The geo table built from geoip-lite's real data files answers what geoip-lite's own lookup()
// answers (country, coordinates and accuracy radius), on addresses drawn deterministically: uniformly over IPv4,
// and inside and at the edges of the ranges of both files. The one known difference is where
// geoip-lite's IPv6 file overlaps itself (see "overlapping ranges" below and docs/geo-data.md).

type GeoipLite = { lookup(ip: string): { country: string; ll: [number | null, number | null]; area: number } | null };
const require = createRequire(import.meta.url);
const geoip = require('geoip-lite') as GeoipLite;
const DATA = join(dirname(require.resolve('geoip-lite/package.json')), 'data');
const table = new GeoTable({ cacheDir: tempDir() });

/** geoip-lite's answer in the table's terms: no country means no place. */
function expected(text: string): GeoLocation | null {
  const g = geoip.lookup(text);
  if (g === null || g.country === '') return null;
  return { country: g.country, lat: g.ll[0]!, lon: g.ll[1]!, radiusKm: g.area };
}

/** All eight groups written out: geoip-lite's own parser misreads some '::' forms (its aton6 leaves stale groups). */
function fullText(words: readonly number[]): string {
  return words.map((w) => `${(w >>> 16).toString(16)}:${(w & 0xffff).toString(16)}`).join(':');
}

const text = (a: IpAddress) => (typeof a === 'number' ? formatAddress(a) : fullText(a));

/** Random access to the records of one of geoip-lite's files. */
function recordFile(name: string, size: number) {
  const fd = openSync(join(DATA, name), 'r');
  after(() => closeSync(fd));
  const count = fstatSync(fd).size / size;
  const buf = Buffer.alloc(size);
  return {
    count,
    read(i: number): Buffer {
      readSync(fd, buf, 0, size, i * size);
      return buf;
    },
  };
}

describe('IPv4, compared with geoip-lite', () => {
  test('20 000 uniformly random addresses', () => {
    const rnd = random(2024);
    let placed = 0;
    for (let i = 0; i < 20_000; i++) {
      const ip = rnd.u32();
      const ours = table.lookup(ip);
      if (!isPublicAddress(ip)) {
        assert.equal(ours, null);
        continue;
      }
      assert.deepEqual(ours, expected(formatAddress(ip)), formatAddress(ip));
      if (ours !== null) placed++;
    }
    assert.ok(placed > 10_000, `most public addresses have a place (${placed})`);
  });

  test('the first and last address of 5 000 random ranges, and the addresses just outside them', () => {
    const rnd = random(17);
    const file = recordFile('geoip-city.dat', 24);
    for (let i = 0; i < 5_000; i++) {
      const r = file.read(rnd.int(file.count));
      const start = r.readUInt32BE(0);
      const end = r.readUInt32BE(4);
      for (const ip of [start, end, start - 1, end + 1]) {
        if (ip < 0 || ip > 0xffffffff) continue;
        if (!isPublicAddress(ip)) assert.equal(table.lookup(ip), null);
        else assert.deepEqual(table.lookup(ip), expected(formatAddress(ip)), formatAddress(ip));
      }
    }
  });

  test('the edges of the address space and private addresses have no place', () => {
    for (const t of ['0.0.0.0', '255.255.255.255', '10.1.2.3', '172.16.5.4', '192.168.1.1', '127.0.0.1', '100.64.1.1', '::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '::1', 'fe80::1', 'fd00::1']) {
      assert.equal(table.lookup(parseAddress(t)!), null, t);
    }
    for (const t of ['1.0.0.0', '223.255.255.255']) assert.deepEqual(table.lookup(parseAddress(t)!), expected(t), t);
  });
});

/**
 * Where geoip-lite's IPv6 file overlaps itself: its converter wrote 75 /64 networks with an end
 * up to a /48 too far (a stale group when expanding '::'), over the networks that follow. Inside,
 * geoip-lite's answer depends on its bisection path; the table lets the later start win. Streams
 * the file once and returns the disputed stretches (/64 prefixes as bigints) and the records that
 * start inside one.
 */
function overlaps(): { zones: [bigint, bigint][]; nested: { start: bigint; location: number; lat: number; lon: number; radiusKm: number }[] } {
  const file = recordFile('geoip-city6.dat', 48);
  const zones: [bigint, bigint][] = [];
  const nested: { start: bigint; location: number; lat: number; lon: number; radiusKm: number }[] = [];
  let maxEnd = -1n;
  const chunk = Buffer.alloc(48 * 65536);
  const fd = openSync(join(DATA, 'geoip-city6.dat'), 'r');
  try {
    for (let first = 0; first < file.count; first += 65536) {
      const n = Math.min(65536, file.count - first);
      readSync(fd, chunk, 0, n * 48, first * 48);
      for (let r = 0; r < n; r++) {
        const o = r * 48;
        const start = chunk.readBigUInt64BE(o);
        const end = chunk.readBigUInt64BE(o + 16);
        if (start <= maxEnd) {
          zones.push([start, maxEnd]);
          nested.push({ start, location: chunk.readUInt32BE(o + 32), lat: chunk.readInt32BE(o + 36), lon: chunk.readInt32BE(o + 40), radiusKm: chunk.readUInt32BE(o + 44) });
        }
        if (end > maxEnd) maxEnd = end;
      }
    }
  } finally {
    closeSync(fd);
  }
  return { zones, nested };
}

describe('IPv6, compared with geoip-lite', () => {
  const { zones, nested } = overlaps();
  const disputed = (words: readonly number[]) => {
    const prefix = (BigInt(words[0]) << 32n) | BigInt(words[1]);
    return zones.some(([from, to]) => prefix >= from && prefix <= to);
  };

  test('10 000 random ranges: an address inside, and the first and last address of each', () => {
    const rnd = random(99);
    const file = recordFile('geoip-city6.dat', 48);
    let differ = 0;
    let placed = 0;
    for (let i = 0; i < 10_000; i++) {
      const r = file.read(rnd.int(file.count));
      const start = [r.readUInt32BE(0), r.readUInt32BE(4)];
      const end = [r.readUInt32BE(16), r.readUInt32BE(20)];
      const inside = start[0] === end[0] && start[1] === end[1] ? start : [start[0], end[1] >= start[1] ? start[1] + rnd.int(end[1] - start[1] + 1) : start[1]];
      const probes: [number, number, number, number][] = [
        [start[0], start[1], 0, 0],
        [end[0], end[1], 0xffffffff, 0xffffffff],
        [inside[0], inside[1], rnd.u32(), rnd.u32()],
      ];
      for (const words of probes) {
        const address = parseAddress(fullText(words))!;
        const ours = table.lookup(address);
        if (!isPublicAddress(address)) {
          assert.equal(ours, null);
          continue;
        }
        const theirs = expected(text(address));
        if (ours !== null) placed++;
        if (JSON.stringify(ours) === JSON.stringify(theirs)) continue;
        differ++;
        assert.ok(disputed(words), `${text(address)}: ours ${JSON.stringify(ours)}, geoip-lite ${JSON.stringify(theirs)}`);
      }
    }
    assert.ok(placed > 25_000, `most probes have a place (${placed})`);
    assert.ok(differ < 100, `differences only in the few overlapping stretches (${differ})`);
  });

  test('overlapping ranges: a range starting inside an earlier, overlong one is what its addresses get', () => {
    assert.ok(nested.length > 0, 'geoip-lite 1.4.10 has such ranges; if a data update removed them this test has nothing to show');
    const names = recordFile('geoip-city-names.dat', 88);
    for (const r of nested) {
      const words = [Number(r.start >> 32n), Number(r.start & 0xffffffffn), 0, 1];
      const country = r.location === 0xffffffff ? '' : names.read(r.location).toString('latin1', 0, 2).replace(/\0/g, '');
      const place = country === '' ? null : { country, lat: r.lat / 10_000, lon: r.lon / 10_000, radiusKm: r.radiusKm };
      assert.deepEqual(table.lookup(parseAddress(fullText(words))!), place, fullText(words));
    }
  });
});
