import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Event } from '../../src/core/events.js';
import { isNonPublic, normaliseIp } from '../../src/core/addresses.js';
import { EventEnricher } from '../../src/components/enrich/enricher.js';
import { GeoEnricher } from '../../src/components/enrich/geo.js';
import { OpenUnisonParser } from '../../src/components/parse/openunison.js';
import { accessLine } from '../helpers/lines.js';

// Country and coordinates from geoip-lite's offline database, looked up once per distinct
// address; private, reserved and unknown addresses carry no country (they say nothing about
// where a person is), so the rules never treat them as a new country.

describe('addresses that carry no location', () => {
  const nonPublic = [
    '10.197.32.67', '172.16.0.1', '172.31.255.255', '192.168.1.10', '127.0.0.1', '169.254.10.1', '100.64.0.1', '0.0.0.0',
    '192.0.2.1', '198.51.100.7', '203.0.113.9', '224.0.0.1', '255.255.255.255',
    '::1', '::', 'fc00::1', 'fd12:3456::1', 'fe80::1ff:fe23:4567:890a', 'ff02::1', '2001:db8::1', '::ffff:10.0.0.1',
    'unknown', '', 'not-an-ip', '999.1.1.1', '10.0.0.1:8443',
  ];
  for (const ip of nonPublic) {
    test(`${JSON.stringify(ip)} is not public and has no country`, () => {
      assert.equal(isNonPublic(ip), true);
      assert.equal(new GeoEnricher().lookup(ip), null);
    });
  }
  for (const ip of ['172.15.255.255', '172.32.0.1', '100.128.0.1', '8.8.8.8', '2001:4860:4860::8888']) {
    test(`${ip} is public`, () => assert.equal(isNonPublic(ip), false));
  }
});

describe('public addresses', () => {
  const rows = [
    ['8.8.8.8', 'US'],
    ['81.2.69.142', 'GB'],
    ['2001:4860:4860::8888', 'US'],
    ['::ffff:8.8.8.8', 'US'],
  ] as const;
  for (const [ip, country] of rows) {
    test(`${ip} is in ${country}, with coordinates`, () => {
      const g = new GeoEnricher().lookup(ip);
      assert.equal(g?.country, country);
      assert.ok(Math.abs(g!.lat) <= 90 && Math.abs(g!.lon) <= 180);
    });
  }
  test('an IPv4-mapped IPv6 address is looked up as IPv4', () => {
    assert.equal(normaliseIp('::ffff:81.2.69.142'), '81.2.69.142');
    assert.equal(normaliseIp('2001:db8::1'), '2001:db8::1');
  });
  test('each distinct address is looked up once', () => {
    const geo = new GeoEnricher();
    for (let i = 0; i < 1000; i++) geo.lookup(['8.8.8.8', '81.2.69.142', '10.0.0.1'][i % 3]);
    assert.equal(geo.lookups, 2, 'two public addresses, one lookup each; the private one needs none');
  });
  test('past its bound the cache forgets the oldest addresses and still answers correctly', () => {
    const geo = new GeoEnricher(100);
    for (let i = 0; i < 1000; i++) geo.lookup(`81.2.${Math.floor(i / 250)}.${i % 250}`);
    assert.equal(geo.lookup('8.8.8.8')?.country, 'US');
    assert.equal(geo.lookup('81.2.69.142')?.country, 'GB');
  });
});

describe('enriching events', () => {
  const parser = new OpenUnisonParser();
  const event = (dn: string, ip: string) => {
    const e = parser.parse(accessLine({ dn, ip }), 'f', 1);
    assert.ok(e instanceof Event);
    return e;
  };

  test('a user moving between addresses gets the location of each (not the previous one)', () => {
    const enricher = new EventEnricher();
    const dn = 'uid=mmosley,ou=shadow,o=Tremolo';
    const seen = ['8.8.8.8', '10.0.0.1', '81.2.69.142', '8.8.8.8'].map((ip) => {
      const e = event(dn, ip);
      enricher.enrich(e);
      return [e.ip, e.geo?.country ?? null, e.dnSha1];
    });
    assert.deepEqual(seen, [
      ['8.8.8.8', 'US', '5204c08a79c11dbdc2fdda1e07bc866fb4f22888'],
      ['10.0.0.1', null, '5204c08a79c11dbdc2fdda1e07bc866fb4f22888'],
      ['81.2.69.142', 'GB', '5204c08a79c11dbdc2fdda1e07bc866fb4f22888'],
      ['8.8.8.8', 'US', '5204c08a79c11dbdc2fdda1e07bc866fb4f22888'],
    ]);
  });

  test('an event without a user still gets its location; one without an address keeps a null location', () => {
    const enricher = new EventEnricher();
    const noUser = event('', '81.2.69.142');
    enricher.enrich(noUser);
    assert.equal(noUser.geo?.country, 'GB');
    const noIp = event('uid=a,o=Tremolo', '');
    enricher.enrich(noIp);
    assert.equal(noIp.ip, null);
    assert.equal(noIp.geo, null);
    assert.equal(noIp.dnSha1?.length, 40);
  });

  test('past its bound the per-DN cache starts over and still gives the right hash and location', () => {
    const enricher = new EventEnricher(10);
    for (let i = 0; i < 50; i++) enricher.enrich(event(`uid=u${i},o=Tremolo`, i % 2 ? '8.8.8.8' : '10.0.0.1'));
    const e = event('uid=u3,o=Tremolo', '81.2.69.142');
    enricher.enrich(e);
    assert.equal(e.geo?.country, 'GB');
    assert.equal(e.dn, 'uid=u3,o=Tremolo');
  });
});
