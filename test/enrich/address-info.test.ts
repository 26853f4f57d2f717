import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isNonPublic } from '../../src/core/addresses.js';
import { AddressDescriber } from '../../src/components/enrich/address-info.js';
import { accessLine, logoutLine } from '../helpers/lines.js';
import { addressTables, describer, parseText } from '../parse/scan.js';

// What ouwatch knows about an address, looked up once per distinct address in the ingest
// worker: whether it is one at all, whether it is public, its network (novelty is judged per
// network), and for a public one its country, coordinates and autonomous system from offline
// data. Private, reserved and documentation addresses carry no location (they say nothing
// about where a person is), so the rules never treat them as a new country.


describe('addresses that carry no location', () => {
  const nonPublic = [
    '10.197.32.67', '172.16.0.1', '172.31.255.255', '192.168.1.10', '127.0.0.1', '169.254.10.1', '100.64.0.1', '0.0.0.0',
    '192.0.2.1', '198.51.100.7', '203.0.113.9', '224.0.0.1', '255.255.255.255',
    '::1', '::', 'fc00::1', 'fd12:3456::1', 'fe80::1ff:fe23:4567:890a', 'ff02::1', '2001:db8::1', '::ffff:10.0.0.1',
    // Scoped, as Java prints a client on a link-local or loopback address.
    'fe80::1%eth0', '0:0:0:0:0:0:0:1%0',
  ];
  for (const ip of nonPublic) {
    test(`${ip} is an address, not public, with a network and no location`, () => {
      const a = describer.describe(ip);
      assert.equal(a.valid, true);
      assert.equal(a.public, false);
      assert.notEqual(a.net, null);
      assert.deepEqual([a.country, a.lat, a.lon, a.radiusKm, a.asn, a.asOrg], [null, null, null, null, null, null]);
      assert.equal(isNonPublic(ip), true);
    });
  }
  for (const text of ['unknown', '', 'not-an-ip', '999.1.1.1', '10.0.0.1:8443', '81.2.69.142\u0000', '[::1]', 'fe80::1%', '10.0.0.1%eth0', '010.1.1.1']) {
    test(`${JSON.stringify(text)} is not an address at all`, () => {
      assert.deepEqual(describer.describe(text), { valid: false, public: false, net: null, country: null, lat: null, lon: null, radiusKm: null, asn: null, asOrg: null });
    });
  }
});

describe('public addresses', () => {
  const rows = [
    ['8.8.8.8', 'US', 15169, '8.8.8.0/24'],
    ['81.2.69.142', 'GB', 20712, '81.2.69.0/24'],
    ['2001:4860:4860::8888', 'US', 15169, '2001:4860:4860::/64'],
    ['::ffff:8.8.8.8', 'US', 15169, '8.8.8.0/24'],
    ['2A02:26F0:FE::5C', 'NL', 20940, '2a02:26f0:fe::/64'],
  ] as const;
  for (const [ip, country, asn, net] of rows) {
    test(`${ip} is in ${country}, with coordinates and their accuracy, AS${asn} and the network ${net}`, () => {
      const a = describer.describe(ip);
      assert.equal(a.valid, true);
      assert.equal(a.public, true);
      assert.equal(a.country, country);
      assert.ok(Math.abs(a.lat!) <= 90 && Math.abs(a.lon!) <= 180);
      assert.ok(a.radiusKm! >= 1 && a.radiusKm! <= 1000, `radius ${a.radiusKm} km`);
      assert.equal(a.asn, asn);
      assert.ok(a.asOrg !== null && a.asOrg.length > 0);
      assert.equal(a.net, net);
    });
  }
  for (const ip of ['172.15.255.255', '172.32.0.1', '100.128.0.1']) {
    test(`${ip}, just outside a private range, is public`, () => {
      assert.equal(describer.describe(ip).public, true);
      assert.equal(isNonPublic(ip), false);
    });
  }
  test('the network prefix lengths are a setting', () => {
    const wide = new AddressDescriber({ ipv4: 16, ipv6: 48 }, addressTables);
    assert.equal(wide.describe('81.2.69.142').net, '81.2.0.0/16');
    assert.equal(wide.describe('2001:4860:4860::8888').net, '2001:4860:4860::/48');
    assert.equal(wide.describe('10.1.2.3').net, '10.1.0.0/16');
  });
});

describe('events carry what is known about their address', () => {
  const dn = 'uid=mmosley,ou=shadow,o=Tremolo';

  test('a user moving between addresses gets the location of each (not the previous one), and the same DN hash', () => {
    const lines = ['8.8.8.8', '10.0.0.1', '81.2.69.142', '8.8.8.8'].map((ip) => accessLine({ dn, ip }));
    const { events } = parseText(lines.join('\n') + '\n');
    assert.deepEqual(
      events.map((e) => [e.address?.ip, e.address?.country ?? null, e.address?.net, e.dn?.sha1]),
      [
        ['8.8.8.8', 'US', '8.8.8.0/24', '5204c08a79c11dbdc2fdda1e07bc866fb4f22888'],
        ['10.0.0.1', null, '10.0.0.0/24', '5204c08a79c11dbdc2fdda1e07bc866fb4f22888'],
        ['81.2.69.142', 'GB', '81.2.69.0/24', '5204c08a79c11dbdc2fdda1e07bc866fb4f22888'],
        ['8.8.8.8', 'US', '8.8.8.0/24', '5204c08a79c11dbdc2fdda1e07bc866fb4f22888'],
      ],
    );
  });

  test('the address is kept as logged; what is known about it is the normalised address’s', () => {
    const { events } = parseText(accessLine({ ip: '::ffff:81.2.69.142' }) + '\n');
    assert.equal(events[0].address?.ip, '::ffff:81.2.69.142');
    assert.equal(events[0].address?.country, 'GB');
    assert.equal(events[0].address?.net, '81.2.69.0/24');
  });

  test('an event without a user still gets its location; one without an address has none', () => {
    const { events } = parseText([accessLine({ dn: 'cn=none', ip: '81.2.69.142' }), accessLine({ dn: 'uid=a,o=Tremolo', ip: '' }), logoutLine(dn)].join('\n') + '\n');
    assert.equal(events.length, 3);
    assert.equal(events[0].address?.country, 'GB');
    assert.equal(events[1].address, null);
    assert.equal(events[1].dn?.sha1.length, 40);
    assert.equal(events[2].address, null);
    assert.equal(events[2].dn?.dn, dn);
  });
});
