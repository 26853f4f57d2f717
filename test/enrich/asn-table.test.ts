import assert from 'node:assert/strict';
import { closeSync, fstatSync, openSync, readSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { isPublicAddress, parseAddress, type IpAddress } from '../../src/core/ip-address.js';
import { AsnTable } from '../../src/components/enrich/asn-table.js';
import { random } from '../helpers/random.js';
import { tempDir } from '../helpers/tmp.js';

// The ASN table reads @ip-location-db/asn's numeric CSV files (start,end,asn,organisation per
// line, organisation quoted when needed) into sorted range starts; each address gets the AS
// number and organisation of the range holding it, or null.

const n4 = (text: string) => BigInt(parseAddress(text) as number).toString();
const n6 = (text: string) => {
  const w = parseAddress(text) as readonly number[];
  return ((BigInt(w[0]) << 96n) | (BigInt(w[1]) << 64n) | (BigInt(w[2]) << 32n) | BigInt(w[3])).toString();
};

function table(v4: string, v6 = ''): AsnTable {
  const dir = tempDir();
  writeFileSync(join(dir, 'asn-ipv4-num.csv'), v4);
  writeFileSync(join(dir, 'asn-ipv6-num.csv'), v6);
  return new AsnTable({ dataDir: dir, cacheDir: null });
}

const at = (t: AsnTable, ip: string) => t.lookup(parseAddress(ip)!);

describe('reading the CSV files', () => {
  test('plain and quoted organisations, commas and doubled quotes inside, UTF-8, CRLF, no final newline', () => {
    const t = table(
      [
        `${n4('1.0.0.0')},${n4('1.0.0.255')},13335,"Cloudflare, Inc."`,
        `${n4('1.0.1.0')},${n4('1.0.1.255')},201907,"LLC ""SPUTNIK"""\r`,
        `${n4('1.0.2.0')},${n4('1.0.2.255')},64500,Telefônica Brasil S.A\r`,
        `${n4('1.0.3.0')},${n4('1.0.3.255')},64501,""`,
        `${n4('1.0.4.0')},${n4('1.0.4.255')},64502,Last line without newline`,
      ].join('\n'),
    );
    assert.deepEqual(at(t, '1.0.0.1'), { asn: 13335, org: 'Cloudflare, Inc.' });
    assert.deepEqual(at(t, '1.0.1.1'), { asn: 201907, org: 'LLC "SPUTNIK"' });
    assert.deepEqual(at(t, '1.0.2.1'), { asn: 64500, org: 'Telefônica Brasil S.A' });
    assert.deepEqual(at(t, '1.0.3.1'), { asn: 64501, org: '' });
    assert.deepEqual(at(t, '1.0.4.255'), { asn: 64502, org: 'Last line without newline' });
  });

  test('IPv6 bounds are 128-bit decimal numbers, exact to the address (ranges smaller than a /64 exist)', () => {
    const t = table(
      '',
      [
        `${n6('2001:500:30ff::')},${n6('2001:500:30ff::2f')},396585,VeriSign Global Registry Services`,
        `${n6('2001:500:30ff::30')},${n6('2001:500:30ff::30')},396552,VeriSign Global Registry Services`,
        `${n6('2001:500:30ff::31')},${n6('2001:500:30ff:ffff:ffff:ffff:ffff:ffff')},396585,VeriSign Global Registry Services`,
        `${n6('3ffe::')},${n6('3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff')},64496,"Top, of the space"`,
      ].join('\n') + '\n',
    );
    assert.equal(at(t, '2001:500:30ff::2f')?.asn, 396585);
    assert.equal(at(t, '2001:500:30ff::30')?.asn, 396552);
    assert.equal(at(t, '2001:500:30ff::31')?.asn, 396585);
    assert.equal(at(t, '2001:500:30ff:ffff:ffff:ffff:ffff:ffff')?.asn, 396585);
    assert.equal(at(t, '2001:500:3100::'), null);
    assert.deepEqual(at(t, '3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff'), { asn: 64496, org: 'Top, of the space' });
    assert.equal(t.size?.orgs, 2);
    assert.equal(t.size?.pairs, 3);
  });

  test('a file larger than one read, with quoted fields across read boundaries', () => {
    const lines: string[] = [];
    for (let i = 0; i < 40_000; i++) {
      const start = 0x01000000 + i * 256;
      lines.push(`${start},${start + 255},${64512 + (i % 1000)},"Org ""${i}"", with ${'x'.repeat(i % 17)} padding"`);
    }
    const csv = lines.join('\n') + '\n';
    assert.ok(csv.length > 2 * (1 << 20));
    const t = table(csv);
    for (let i = 0; i < 40_000; i += 7) {
      assert.deepEqual(t.lookup(0x01000000 + i * 256 + (i % 256)), { asn: 64512 + (i % 1000), org: `Org "${i}", with ${'x'.repeat(i % 17)} padding` }, `line ${i + 1}`);
    }
  });

  const malformed: [string, string, RegExp][] = [
    ['a header line', 'start,end,asn,org\n1,2,3,x\n', /asn-ipv4-num\.csv:1: expected a decimal address/],
    ['a letter in a number', '1,2,3,x\n5,6x,7,y\n', /asn-ipv4-num\.csv:2: expected a decimal address/],
    ['an IPv4 bound beyond 32 bits', '1,4294967296,3,x\n', /asn-ipv4-num\.csv:1: expected a decimal address/],
    ['a missing field', '1,2,3,x\n4,5\n', /asn-ipv4-num\.csv:2: expected 4 fields/],
    ['a last line cut short', '1,2,3,x\n4,5', /asn-ipv4-num\.csv:2: incomplete line/],
    ['an unterminated quote', '1,2,3,"x\n', /asn-ipv4-num\.csv:1: unterminated quote/],
    ['text after a closing quote', '1,2,3,"x"y\n', /asn-ipv4-num\.csv:1: expected the end of the line after a quoted field/],
    ['ranges out of order', '10,20,3,x\n1,2,3,x\n', /asn-ipv4-num\.csv:2: ranges out of order/],
  ];
  for (const [what, csv, error] of malformed) {
    test(`${what} is an error naming file and line`, () => assert.throws(() => table(csv).preload(), error));
  }
  test('an IPv6 bound beyond 128 bits is an error', () => {
    assert.throws(() => table('', `${2n ** 128n},${2n ** 128n},1,x\n`).preload(), /asn-ipv6-num\.csv:1: address does not fit 128 bits/);
  });
});

describe('lookups', () => {
  const t = table(
    [
      `${n4('1.0.0.0')},${n4('1.0.0.255')},13335,"Cloudflare, Inc."`,
      `${n4('1.0.4.0')},${n4('1.0.7.255')},38803,Gtelecom Pty Ltd`,
      `${n4('1.0.8.0')},${n4('1.0.8.255')},0,Not routed`,
      `${n4('10.0.0.0')},${n4('10.255.255.255')},64496,Private`,
      `${n4('214.0.0.0')},${n4('215.97.255.255')},749,DoD`,
      `${n4('215.97.0.0')},${n4('215.98.1.255')},721,DoD NIC`,
      `${n4('223.255.255.0')},${n4('223.255.255.255')},64497,Last public`,
    ].join('\n') + '\n',
  );

  test('an address in a range gets its AS; first and last address of a range included', () => {
    for (const ip of ['1.0.0.0', '1.0.0.255']) assert.deepEqual(at(t, ip), { asn: 13335, org: 'Cloudflare, Inc.' });
    for (const ip of ['1.0.4.0', '1.0.7.255']) assert.equal(at(t, ip)?.asn, 38803);
    assert.equal(at(t, '223.255.255.255')?.asn, 64497);
  });

  test('uncovered addresses, AS 0 and non-public addresses have no AS', () => {
    for (const ip of ['0.255.255.255', '1.0.1.0', '1.0.3.255', '1.0.8.1', '1.0.9.0', '10.1.1.1', '224.0.0.1', '::1', '2001:db8::1']) {
      assert.equal(at(t, ip), null, ip);
    }
  });

  test('where ranges overlap, the later start wins', () => {
    assert.equal(at(t, '215.96.255.255')?.asn, 749);
    assert.equal(at(t, '215.97.0.0')?.asn, 721);
    assert.equal(at(t, '215.98.1.255')?.asn, 721);
    assert.equal(at(t, '215.98.2.0'), null);
  });

  test('the same object comes back for the same AS (no allocation per lookup)', () => {
    assert.equal(at(t, '1.0.0.1'), at(t, '1.0.0.200'));
  });
});

describe('the real @ip-location-db/asn files', () => {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('@ip-location-db/asn/package.json'));
  const real = new AsnTable({ cacheDir: tempDir() });

  test('well-known addresses', () => {
    assert.deepEqual(at(real, '8.8.8.8'), { asn: 15169, org: 'Google LLC' });
    assert.deepEqual(at(real, '1.1.1.1'), { asn: 13335, org: 'Cloudflare, Inc.' });
    assert.deepEqual(at(real, '2001:4860:4860::8888'), { asn: 15169, org: 'Google LLC' });
  });

  // An independent reading of the files (a regular expression and BigInt), on 3 000 random lines of each.
  for (const [file, toAddress] of [
    ['asn-ipv4-num.csv', (n: bigint): IpAddress => Number(n)],
    ['asn-ipv6-num.csv', (n: bigint): IpAddress => [Number(n >> 96n), Number((n >> 64n) & 0xffffffffn), Number((n >> 32n) & 0xffffffffn), Number(n & 0xffffffffn)]],
  ] as const) {
    test(`${file}: start, end and a random address of 3 000 random lines`, () => {
      const fd = openSync(join(dir, file), 'r');
      const size = fstatSync(fd).size;
      const window = Buffer.alloc(1024);
      const rnd = random(file.length);
      const parse = (line: string) => {
        const m = /^(\d+),(\d+),(\d+),(?:"((?:[^"]|"")*)"|(.*))$/.exec(line);
        assert.ok(m, line);
        return { start: BigInt(m[1]), end: BigInt(m[2]), asn: Number(m[3]), org: m[4] !== undefined ? m[4].replaceAll('""', '"') : m[5] };
      };
      /** The two whole lines after a random offset. */
      const linesAt = (offset: number) => {
        const got = readSync(fd, window, 0, window.length, offset);
        const lines = window.toString('utf8', 0, got).split('\n');
        assert.ok(lines.length >= 4);
        return [parse(lines[1]), parse(lines[2])];
      };
      for (let k = 0; k < 3_000; k++) {
        const offset = rnd.int(size - 1024);
        const [r, next] = linesAt(offset);
        const span = r.end - r.start;
        const inside = r.start + (span === 0n ? 0n : BigInt(rnd.u32()) % span);
        // Where the next line starts inside this range, the next line wins from its start on.
        const last = next.start <= r.end ? next.start - 1n : r.end;
        for (const n of [r.start, inside <= last ? inside : r.start, last]) {
          const address = toAddress(n);
          const expected = isPublicAddress(address) ? { asn: r.asn, org: r.org } : null;
          assert.deepEqual(real.lookup(address), expected, `${file} after byte ${offset}: ${n}`);
        }
      }
      closeSync(fd);
    });
  }
});
