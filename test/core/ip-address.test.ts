import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import { describe, test } from 'node:test';
import { isNonPublic } from '../../src/core/addresses.js';
import { formatAddress, isPublicAddress, networkOf, parseAddress, type IpAddress } from '../../src/core/ip-address.js';
import { random } from '../helpers/random.js';

// Addresses are parsed once per distinct address into numbers (IPv4: a uint32, IPv6: four
// uint32 words); classification and network keys are integer compares on those numbers.

const v4 = (a: number, b: number, c: number, d: number) => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;

describe('parsing', () => {
  const valid: [string, IpAddress][] = [
    ['0.0.0.0', 0],
    ['1.2.3.4', v4(1, 2, 3, 4)],
    ['255.255.255.255', 0xffffffff],
    ['::', [0, 0, 0, 0]],
    ['::1', [0, 0, 0, 1]],
    ['1::', [0x00010000, 0, 0, 0]],
    ['2001:db8::1', [0x20010db8, 0, 0, 1]],
    ['2001:DB8:0:0:0:0:0:1', [0x20010db8, 0, 0, 1]],
    ['2001:0db8:0001:0002:0003:0004:0005:0006', [0x20010db8, 0x00010002, 0x00030004, 0x00050006]],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff]],
    ['1:2:3:4:5:6:7::', [0x00010002, 0x00030004, 0x00050006, 0x00070000]],
    ['::2:3:4:5:6:7:8', [0x00000002, 0x00030004, 0x00050006, 0x00070008]],
    ['64:ff9b::192.0.2.33', [0x0064ff9b, 0, 0, v4(192, 0, 2, 33)]],
    ['1:2:3:4:5:6:1.2.3.4', [0x00010002, 0x00030004, 0x00050006, v4(1, 2, 3, 4)]],
    ['::1.2.3.4', [0, 0, 0, v4(1, 2, 3, 4)]],
  ];
  for (const [text, expected] of valid) {
    test(`${text} parses`, () => assert.deepEqual(parseAddress(text), expected));
  }

  test('an IPv4-mapped IPv6 address (how a dual-stack Java server prints IPv4 clients) is the IPv4 address', () => {
    for (const text of ['::ffff:81.2.69.142', '::FFFF:81.2.69.142', '0:0:0:0:0:ffff:81.2.69.142', '::ffff:5102:458e']) {
      assert.equal(parseAddress(text), v4(81, 2, 69, 142), text);
    }
  });

  test('a zone id after an IPv6 address (Java prints a scoped client as 0:0:0:0:0:0:0:1%0) names an interface, not the client: the address is the words before it', () => {
    assert.deepEqual(parseAddress('0:0:0:0:0:0:0:1%0'), [0, 0, 0, 1]);
    assert.deepEqual(parseAddress('fe80::1c2d:3eff:fe4f:5a6b%eth0'), [0xfe800000, 0, 0x1c2d3eff, 0xfe4f5a6b]);
    assert.deepEqual(parseAddress('2001:db8::1%enp0s31f6.100'), [0x20010db8, 0, 0, 1]);
    assert.deepEqual(parseAddress(`fe80::1%${'a'.repeat(15)}`), [0xfe800000, 0, 0, 1]);
  });

  const invalid = [
    '', ' ', '1.2.3.4 ', ' 1.2.3.4', '1.2.3.4\0', '1.2.\u00003.4', '999.1.1.1', '256.1.1.1', '1.2.3', '1.2.3.4.5', '1..2.3', '.1.2.3',
    '1.2.3.', '01.2.3.4', '1.2.3.04', '1.2.3.-4', '+1.2.3.4', '0x1.2.3.4', '１.２.３.４', '10.0.0.1:8443', 'unknown', 'not-an-ip',
    'localhost', 'example.com', '-', ':', ':::', '1:::2', '1::2::3', '::1:', ':1::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7',
    '1::2:3:4:5:6:7:8', '12345::', 'g::1', '[::1]', '[::1]:443', '::ffff:1.2.3', '::ffff:1.2.3.256',
    '1.2.3.4%eth0', 'fe80::1%', '%eth0', '::1%%0', 'fe80::1%eth0%1', 'fe80::1%eth 0', 'fe80::1%eth:0', `fe80::1%${'a'.repeat(16)}`, '[fe80::1%eth0]', 'g::1%0',
    '1:2:3:4:5:6:7:1.2.3.4', '::1.2.3.4:5', '::1.2.3.04', '1.2.3.4::', `${'1'.repeat(46)}`, 'ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.2555',
  ];
  for (const text of invalid) {
    test(`${JSON.stringify(text)} is not an address`, () => assert.equal(parseAddress(text), null));
  }

  test('accepts exactly what node:net accepts (without zone ids), on 40 000 generated strings', () => {
    const rnd = random(7);
    const pieces = ['0', '1', '9', '00', '01', '10', '99', '255', '256', '999', 'a', 'F', 'ff', 'fff', 'ffff', '0000', 'fffff', 'g', '.', '.', ':', ':', '::', ' ', '1.2.3.4', '::ffff:'];
    for (let i = 0; i < 40_000; i++) {
      let s = '';
      const n = 1 + rnd.int(12);
      for (let k = 0; k < n; k++) s += pieces[rnd.int(pieces.length)];
      assert.equal(parseAddress(s) !== null, isIP(s) !== 0, JSON.stringify(s));
    }
  });

  test('canonical text follows RFC 5952 (as the WHATWG URL parser prints IPv6 hosts)', () => {
    const rnd = random(11);
    for (let i = 0; i < 5000; i++) {
      // Few distinct group values, so that runs of zeros of every length occur.
      const groups = Array.from({ length: 8 }, () => [0, 0, 0, 1, 0xabc, 0xffff][rnd.int(6)]);
      if (groups.slice(0, 6).join() === '0,0,0,0,0,0' || groups.slice(0, 6).join() === '0,0,0,0,0,65535') groups[0] = 0x2001;
      const text = groups.map((g) => g.toString(16)).join(':');
      const address = parseAddress(text);
      assert.ok(address !== null && typeof address !== 'number', text);
      assert.equal(formatAddress(address), new URL(`http://[${text}]/`).hostname.slice(1, -1), text);
      assert.deepEqual(parseAddress(formatAddress(address)), address);
    }
    assert.equal(formatAddress(v4(203, 0, 113, 9)), '203.0.113.9');
  });
});

describe('public and non-public addresses', () => {
  const nonPublic = [
    '0.0.0.0', '0.255.255.255', '10.0.0.0', '10.255.255.255', '100.64.0.0', '100.127.255.255', '127.0.0.1', '169.254.0.0',
    '169.254.255.255', '172.16.0.0', '172.31.255.255', '192.0.0.0', '192.0.0.255', '192.0.2.0', '192.0.2.255', '192.168.0.0',
    '192.168.255.255', '198.18.0.0', '198.19.255.255', '198.51.100.0', '198.51.100.255', '203.0.113.0', '203.0.113.255',
    '224.0.0.1', '239.255.255.255', '240.0.0.0', '255.255.255.255', '::ffff:10.0.0.1',
    '::', '::1', '::1.2.3.4', '64:ff9b::8.8.8.8', '100::1', 'fc00::', 'fd12:3456::1', 'fe80::1ff:fe23:4567:890a', 'ff02::1',
    '2001:db8::', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', '3fff::', '3fff:fff:ffff::1', '2001:2::1', '2001:2:0:ffff::1',
    '1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '4000::', '280:14c:418:1000::1',
  ];
  for (const text of nonPublic) {
    test(`${text} is not public`, () => assert.equal(isPublicAddress(parseAddress(text)!), false));
  }
  const neighbours = [
    '1.0.0.0', '9.255.255.255', '11.0.0.0', '100.63.255.255', '100.128.0.0', '126.255.255.255', '128.0.0.0', '169.253.255.255',
    '169.255.0.0', '172.15.255.255', '172.32.0.0', '192.0.1.0', '192.0.3.0', '192.167.255.255', '192.169.0.0', '198.17.255.255',
    '198.20.0.0', '198.51.99.255', '198.51.101.0', '203.0.112.255', '203.0.114.0', '223.255.255.255', '8.8.8.8',
    '2000::', '2001:db7:ffff:ffff:ffff:ffff:ffff:ffff', '2001:db9::', '2001:1:ffff::', '2001:2:1::', '3ffe:ffff::1', '3fff:1000::',
    '2001:4860:4860::8888', '2a00:1450:4007:80e::200e', '::ffff:8.8.8.8',
  ];
  for (const text of neighbours) {
    test(`${text} is public`, () => assert.equal(isPublicAddress(parseAddress(text)!), true));
  }

  // isNonPublic(text) is what the detectors ask of a stored address (is this shared network
  // private? which addresses does the visibility warning count?): the same judgement as the
  // ingest thread's, IPv6 included (it once disagreed on NAT64, 100::/64 and 3fff::/20).
  test('isNonPublic, on text, agrees with every case above', () => {
    for (const text of nonPublic) assert.equal(isNonPublic(text), true, text);
    for (const text of neighbours) assert.equal(isNonPublic(text), false, text);
  });

  test('isNonPublic holds anything that is not an address as non-public', () => {
    for (const text of ['', 'unknown', '999.1.1.1', '010.1.1.1', '10.0.0.1:8443', '[::1]', '2a00:1450::1%', '8.8.8.8 ']) assert.equal(isNonPublic(text), true, text);
  });

  test('a zoned address is judged by its address: link-local and loopback are not public, a global one is', () => {
    for (const text of ['fe80::1%eth0', '0:0:0:0:0:0:0:1%0']) assert.equal(isNonPublic(text), true, text);
    assert.equal(isNonPublic('2a00:1450::1%eth0'), false);
  });

  test('isNonPublic agrees with the numbers on 100 000 random IPv4 and IPv6 addresses', () => {
    const rnd = random(3);
    for (let i = 0; i < 100_000; i++) {
      const ip: IpAddress = i % 2 === 0 ? rnd.u32() : [rnd.u32(), rnd.u32(), rnd.u32(), rnd.u32()];
      const text = formatAddress(ip);
      assert.equal(isNonPublic(text), !isPublicAddress(ip), text);
    }
  });
});

describe('network keys', () => {
  const rows: [string, number, number, string][] = [
    ['203.0.113.77', 24, 64, '203.0.113.0/24'],
    ['203.0.113.77', 16, 64, '203.0.0.0/16'],
    ['203.0.113.77', 32, 64, '203.0.113.77/32'],
    ['203.0.113.77', 0, 64, '0.0.0.0/0'],
    ['203.0.113.77', 1, 64, '128.0.0.0/1'],
    ['::ffff:203.0.113.77', 24, 64, '203.0.113.0/24'],
    ['2001:db8:1:2:3:4:5:6', 24, 64, '2001:db8:1:2::/64'],
    ['2001:db8:1:2:3:4:5:6', 24, 48, '2001:db8:1::/48'],
    ['2001:db8:1:2ff:3:4:5:6', 24, 56, '2001:db8:1:200::/56'],
    ['2001:db8:1:2:3:4:5:6', 24, 128, '2001:db8:1:2:3:4:5:6/128'],
    ['2001:db8:1:2:3:4:5:6', 24, 0, '::/0'],
    ['2001:db8:1:2:3:4:5:6', 24, 33, '2001:db8::/33'],
    ['2001:db8:ffff:2:3:4:5:6', 24, 33, '2001:db8:8000::/33'],
    ['2001:0:0:1::1', 24, 64, '2001:0:0:1::/64'],
    ['fe80::1', 24, 10, 'fe80::/10'],
  ];
  for (const [text, v4Bits, v6Bits, network] of rows) {
    test(`${text} with /${v4Bits} and /${v6Bits} is in ${network}`, () => assert.equal(networkOf(parseAddress(text)!, v4Bits, v6Bits), network));
  }
  test('by default a /24 for IPv4 and a /64 for IPv6', () => {
    assert.equal(networkOf(parseAddress('81.2.69.142')!), '81.2.69.0/24');
    assert.equal(networkOf(parseAddress('2a00:1450:4007:80e::200e')!), '2a00:1450:4007:80e::/64');
  });
  test('every address of a network gets the same key, spelled the same way', () => {
    assert.equal(networkOf(parseAddress('2001:DB8:0001:0002::ffff')!), networkOf(parseAddress('2001:db8:1:2:ffff:ffff:ffff:ffff')!));
  });
  test('a prefix length outside the family range is a programming error', () => {
    assert.throws(() => networkOf(1, 33), RangeError);
    assert.throws(() => networkOf([0, 0, 0, 1], 24, 129), RangeError);
    assert.throws(() => networkOf(1, -1), RangeError);
    assert.throws(() => networkOf(1, 2.5), RangeError);
  });
});
