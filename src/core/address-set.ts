import { BlockList, isIP } from 'node:net';
import * as z from 'zod';
import { normaliseIp } from './addresses.js';

/** `10.0.0.0/8`, `2001:db8::/32` or a single address. */
export const cidrSchema = z.string().refine((s) => parseCidr(s) !== null, {
  message: 'expected an IP address or a CIDR block such as 10.0.0.0/8 or 2001:db8::/32',
});

function parseCidr(spec: string): { net: string; bits: number; family: 'ipv4' | 'ipv6' } | null {
  const slash = spec.indexOf('/');
  const net = slash < 0 ? spec : spec.slice(0, slash);
  const family = isIP(net);
  if (family === 0) return null;
  const max = family === 4 ? 32 : 128;
  const bitsText = slash < 0 ? String(max) : spec.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bitsText)) return null;
  const bits = Number(bitsText);
  if (bits > max) return null;
  return { net, bits, family: family === 4 ? 'ipv4' : 'ipv6' };
}

export function isCidr(spec: string): boolean {
  return parseCidr(spec) !== null;
}

/**
 * A set of networks (node:net BlockList) with the verdict per address cached, since the
 * same few addresses come back on most lines. `::ffff:a.b.c.d` is checked as `a.b.c.d`.
 */
export class AddressSet {
  private readonly list = new BlockList();
  private readonly cache = new Map<string, boolean>();

  constructor(
    readonly specs: readonly string[],
    private readonly maxCached = 50_000,
  ) {
    for (const spec of specs) {
      const c = parseCidr(spec);
      if (c === null) throw new Error(`not an address or CIDR block: ${spec}`);
      this.list.addSubnet(c.net, c.bits, c.family);
    }
  }

  /** `ip` must be the canonical (detached, shared) string enrich hands out: it becomes a cache key. */
  has(ip: string): boolean {
    const hit = this.cache.get(ip);
    if (hit !== undefined) return hit;
    const addr = normaliseIp(ip);
    const family = isIP(addr);
    const inside = family !== 0 && this.list.check(addr, family === 4 ? 'ipv4' : 'ipv6');
    if (this.cache.size >= this.maxCached) this.cache.clear();
    this.cache.set(ip, inside);
    return inside;
  }

  /** Which spec holds `ip` (for explanations; not on the hot path). */
  which(ip: string): string | null {
    const addr = normaliseIp(ip);
    const family = isIP(addr);
    if (family === 0) return null;
    for (const spec of this.specs) {
      const c = parseCidr(spec)!;
      const one = new BlockList();
      one.addSubnet(c.net, c.bits, c.family);
      if (one.check(addr, family === 4 ? 'ipv4' : 'ipv6')) return spec;
    }
    return null;
  }
}
