import { isIP } from 'node:net';
import { isNonPublic, normaliseIp, type AddressInfo } from '../../core/addresses.js';
import { GeoEnricher } from './geo.js';

/** Prefix lengths that make a network (novelty is judged per network, not per address). */
export interface NetworkBits {
  ipv4: number;
  ipv6: number;
}

export const DEFAULT_NETWORK_BITS: NetworkBits = { ipv4: 24, ipv6: 64 };

const INVALID: AddressInfo = { valid: false, public: false, net: null, country: null, lat: null, lon: null, asn: null, asOrg: null };

/** Describes addresses: validity, public or not, network, country and coordinates. */
export class AddressDescriber {
  private readonly geo = new GeoEnricher(1);

  constructor(private readonly bits: NetworkBits = DEFAULT_NETWORK_BITS) {}

  describe(text: string): AddressInfo {
    const ip = normaliseIp(text);
    const family = isIP(ip);
    if (family === 0) return INVALID;
    const net = family === 4 ? net4(ip, this.bits.ipv4) : net6(ip, this.bits.ipv6);
    if (isNonPublic(ip)) return { valid: true, public: false, net, country: null, lat: null, lon: null, asn: null, asOrg: null };
    const g = this.geo.lookup(ip);
    return { valid: true, public: true, net, country: g?.country ?? null, lat: g?.lat ?? null, lon: g?.lon ?? null, asn: null, asOrg: null };
  }
}

function net4(ip: string, bits: number): string {
  const p = ip.split('.').map(Number);
  const n = ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const m = (n & mask) >>> 0;
  return `${m >>> 24}.${(m >>> 16) & 255}.${(m >>> 8) & 255}.${m & 255}/${bits}`;
}

function net6(ip: string, bits: number): string {
  const words = expand6(ip);
  const out: number[] = [];
  for (let i = 0; i < 8; i++) {
    const keep = Math.max(0, Math.min(16, bits - i * 16));
    out.push(keep === 0 ? 0 : words[i] & ((0xffff << (16 - keep)) & 0xffff));
  }
  // Canonical text: lowercase hex, the longest run of zero words as `::`.
  let bestAt = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (out[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && out[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = out.map((w) => w.toString(16));
  const text = bestAt < 0 ? hex.join(':') : `${hex.slice(0, bestAt).join(':')}::${hex.slice(bestAt + bestLen).join(':')}`;
  return `${text}/${bits}`;
}

function expand6(ip: string): number[] {
  let s = ip;
  const v4 = s.lastIndexOf('.') >= 0 ? s.slice(s.lastIndexOf(':') + 1) : null;
  if (v4 !== null) {
    const p = v4.split('.').map(Number);
    s = s.slice(0, s.length - v4.length) + ((p[0] << 8) | p[1]).toString(16) + ':' + ((p[2] << 8) | p[3]).toString(16);
  }
  const [head, tail] = s.includes('::') ? s.split('::') : [s, null];
  const h = head === '' ? [] : head.split(':');
  const t = tail === null || tail === '' ? [] : tail.split(':');
  const zeros = tail === null ? 0 : 8 - h.length - t.length;
  return [...h, ...Array(zeros).fill('0'), ...t].map((x) => parseInt(x, 16));
}
