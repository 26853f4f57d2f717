import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import geoip from 'geoip-lite';
import type { Rng } from './random.js';

/**
 * Real networks for the week: each ISP of the catalogue is an autonomous system whose
 * announced ranges come from the offline ASN data (@ip-location-db/asn), and every address
 * drawn from it is checked with geoip-lite to lie in the ISP's country, so the corpus agrees
 * with what ouwatch (and any other offline geo/ASN lookup) will say about it.
 */

export type NetKind = 'business' | 'dsl' | 'cable' | 'fiber' | 'mobile' | 'hosting';

export interface IspSpec {
  asn: number;
  country: string;
  kind: NetKind;
}

/** The ISPs the week uses, by role. A kind only says how the corpus uses the network. */
export const CATALOGUE = {
  // The company: office NAT on a business line, the corporate VPN egress in a data centre.
  'office-plusnet': { asn: 20676, country: 'DE', kind: 'business' },
  'vpn-ionos': { asn: 8560, country: 'DE', kind: 'hosting' },
  // Home lines in Germany.
  'telekom-de': { asn: 3320, country: 'DE', kind: 'dsl' },
  'vodafone-de': { asn: 3209, country: 'DE', kind: 'cable' },
  'o2-de': { asn: 6805, country: 'DE', kind: 'dsl' },
  'versatel-de': { asn: 8881, country: 'DE', kind: 'dsl' },
  'netcologne-de': { asn: 8422, country: 'DE', kind: 'fiber' },
  'mnet-de': { asn: 8767, country: 'DE', kind: 'fiber' },
  // Mobile carriers in Germany (carrier-grade NAT pools inside the carriers' ASNs).
  'telekom-mobile-de': { asn: 3320, country: 'DE', kind: 'mobile' },
  'vodafone-mobile-de': { asn: 3209, country: 'DE', kind: 'mobile' },
  'o2-mobile-de': { asn: 6805, country: 'DE', kind: 'mobile' },
  // Home lines of people living in neighbouring countries.
  'kpn-nl': { asn: 1136, country: 'NL', kind: 'dsl' },
  'ziggo-nl': { asn: 33915, country: 'NL', kind: 'cable' },
  'a1-at': { asn: 8447, country: 'AT', kind: 'dsl' },
  'magenta-at': { asn: 8412, country: 'AT', kind: 'cable' },
  'swisscom-ch': { asn: 3303, country: 'CH', kind: 'dsl' },
  'orange-pl': { asn: 5617, country: 'PL', kind: 'dsl' },
  'tdc-dk': { asn: 3292, country: 'DK', kind: 'dsl' },
  'orange-fr': { asn: 3215, country: 'FR', kind: 'dsl' },
  'o2-cz': { asn: 5610, country: 'CZ', kind: 'dsl' },
  // Hotels abroad (trips).
  'meo-pt': { asn: 3243, country: 'PT', kind: 'business' },
  'telefonica-es': { asn: 3352, country: 'ES', kind: 'business' },
  'bt-gb': { asn: 2856, country: 'GB', kind: 'business' },
  'telia-se': { asn: 3301, country: 'SE', kind: 'business' },
  // Attackers and the internet's background noise.
  'vivo-br': { asn: 26599, country: 'BR', kind: 'dsl' },
  'chinanet-cn': { asn: 4134, country: 'CN', kind: 'hosting' },
  'digi-ro': { asn: 8708, country: 'RO', kind: 'dsl' },
  'comcast-us': { asn: 7922, country: 'US', kind: 'cable' },
  'leaseweb-nl': { asn: 60781, country: 'NL', kind: 'hosting' },
  'hetzner-de': { asn: 24940, country: 'DE', kind: 'hosting' },
  'digitalocean-us': { asn: 14061, country: 'US', kind: 'hosting' },
  'rostelecom-ru': { asn: 12389, country: 'RU', kind: 'dsl' },
  'ovh-fr': { asn: 16276, country: 'FR', kind: 'hosting' },
  'turktelekom-tr': { asn: 9121, country: 'TR', kind: 'dsl' },
  'vnpt-vn': { asn: 45899, country: 'VN', kind: 'dsl' },
} as const satisfies Record<string, IspSpec>;

export type IspKey = keyof typeof CATALOGUE;

/** An address the corpus claims to be in a country (truth.json lists them; the test checks them). */
export interface AddressClaim {
  ip: string;
  country: string;
  asn: number;
  isp: IspKey;
  role: string;
}

interface Range4 {
  start: number;
  end: number;
}
interface Range6 {
  start: bigint;
  end: bigint;
}

const require = createRequire(import.meta.url);
const csv = (name: string) => readFileSync(require.resolve(`@ip-location-db/asn/${name}`), 'utf8');
const countryOf = (ip: string): string | null => geoip.lookup(ip)?.country || null;

export const ipv4 = (n: number) => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;

/** IPv6 the way Java prints a client address (Inet6Address.getHostAddress): 8 groups, no `::`. */
export function ipv6(n: bigint): string {
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((n >> BigInt(i * 16)) & 0xffffn).toString(16));
  return groups.join(':');
}

/** Rows `start,end,asn,org` of the ASN files, for the wanted ASNs only. */
function rowsOf(file: string, wanted: Set<number>): Map<number, { org: string; ranges: [string, string][] }> {
  const out = new Map<number, { org: string; ranges: [string, string][] }>();
  for (const row of csv(file).split('\n')) {
    const a = row.indexOf(',');
    const b = row.indexOf(',', a + 1);
    const c = row.indexOf(',', b + 1);
    if (c < 0) continue;
    const asn = Number(row.slice(b + 1, c));
    if (!wanted.has(asn)) continue;
    const entry = out.get(asn) ?? { org: row.slice(c + 1).replace(/^"|"$/g, ''), ranges: [] };
    entry.ranges.push([row.slice(0, a), row.slice(a + 1, b)]);
    out.set(asn, entry);
  }
  return out;
}

export class Isp {
  constructor(
    readonly key: IspKey,
    readonly spec: IspSpec,
    readonly org: string,
    private readonly v4: Range4[],
    private readonly v6: Range6[],
    private readonly registry: AddressRegistry,
  ) {}

  /** A regional pool: one announced IPv4 range of the ISP in its country (larger ranges serve more customers). */
  pool4(rng: Rng): Range4 {
    if (this.v4.length === 0) throw new Error(`no IPv4 range of AS${this.spec.asn} (${this.key}) geolocates to ${this.spec.country}`);
    return rng.weighted(this.v4.map((r) => [r, r.end - r.start + 1] as const));
  }

  /** The base of a random /24 of `pool` (or of a random pool) that geolocates to the ISP's country. */
  block24(rng: Rng, pool = this.pool4(rng)): number {
    for (let i = 0; i < 64; i++) {
      const first = pool.start >>> 8;
      const last = pool.end >>> 8;
      const base = (first + Math.floor(rng.next() * (last - first + 1))) << 8;
      if (countryOf(ipv4((base | 77) >>> 0)) === this.spec.country) return base >>> 0;
    }
    return this.block24(rng, this.pool4(rng));
  }

  /** A host address in the /24 at `base`, checked and recorded with its role. */
  addr4(rng: Rng, role: string, base = this.block24(rng)): string {
    for (let i = 0; i < 64; i++) {
      const ip = ipv4((base + rng.int(2, 253)) >>> 0);
      if (countryOf(ip) === this.spec.country) return this.registry.claim(ip, this, role);
    }
    return this.addr4(rng, role, this.block24(rng));
  }

  /** A random /64 (as its first address) of the ISP that geolocates to its country. */
  prefix64(rng: Rng): bigint {
    if (this.v6.length === 0) throw new Error(`no IPv6 range of AS${this.spec.asn} (${this.key}) geolocates to ${this.spec.country}`);
    for (let i = 0; i < 64; i++) {
      const r = rng.weighted(this.v6.map((x) => [x, Number(x.end - x.start + 1n)] as const));
      const nets = ((r.end - r.start) >> 64n) + 1n;
      const prefix = ((r.start >> 64n) + rng.bigBelow(nets)) << 64n;
      if (countryOf(ipv6(prefix | 1n)) === this.spec.country) return prefix;
    }
    throw new Error(`no /64 of AS${this.spec.asn} (${this.key}) geolocates to ${this.spec.country}`);
  }

  /** An address with a random (privacy, RFC 8981) interface identifier in the /64 `prefix`. */
  addr6(rng: Rng, role: string, prefix: bigint): string {
    for (let i = 0; i < 64; i++) {
      const ip = ipv6(prefix | rng.bigBelow(1n << 64n));
      if (countryOf(ip) === this.spec.country) return this.registry.claim(ip, this, role);
    }
    throw new Error(`the /64 ${ipv6(prefix)} of ${this.key} no longer geolocates to ${this.spec.country}`);
  }
}

/** Every public address the corpus hands out with the country it claims for it. */
export class AddressRegistry {
  private readonly claims = new Map<string, AddressClaim>();

  claim(ip: string, isp: Isp, role: string): string {
    if (!this.claims.has(ip)) this.claims.set(ip, { ip, country: isp.spec.country, asn: isp.spec.asn, isp: isp.key, role });
    return ip;
  }

  all(): AddressClaim[] {
    return [...this.claims.values()];
  }
}

/** Loads the catalogue's ranges; ranges are kept when a sample address geolocates to the ISP's country. */
export function loadNetworks(registry: AddressRegistry): Record<IspKey, Isp> {
  const keys = Object.keys(CATALOGUE) as IspKey[];
  const wanted = new Set(keys.map((k) => CATALOGUE[k].asn));
  const rows4 = rowsOf('asn-ipv4-num.csv', wanted);
  const rows6 = rowsOf('asn-ipv6-num.csv', wanted);
  const out = {} as Record<IspKey, Isp>;
  for (const key of keys) {
    const spec: IspSpec = CATALOGUE[key];
    // Residential pools are large (/22 and up); a hotel, office or server sits in any /24.
    const min4 = spec.kind === 'dsl' || spec.kind === 'cable' || spec.kind === 'mobile' ? 1024 : 256;
    const v4 = (rows4.get(spec.asn)?.ranges ?? [])
      .map(([s, e]) => ({ start: Number(s), end: Number(e) }))
      .filter((r) => r.end - r.start + 1 >= min4 && countryOf(ipv4(r.start + Math.floor((r.end - r.start) / 2))) === spec.country);
    // IPv6: ranges of a /48 or more where a sample /64 lies in the country.
    const v6 = (rows6.get(spec.asn)?.ranges ?? [])
      .map(([s, e]) => ({ start: BigInt(s), end: BigInt(e) }))
      .filter((r) => r.end - r.start + 1n >= 1n << 80n && countryOf(ipv6((((r.start + r.end) / 2n) >> 64n) << 64n | 1n)) === spec.country);
    out[key] = new Isp(key, spec, rows4.get(spec.asn)?.org ?? rows6.get(spec.asn)?.org ?? `AS${spec.asn}`, v4, v6, registry);
  }
  return out;
}
