import { createRequire } from 'node:module';
import type { GeoInfo } from '../../core/events.js';
import { isNonPublic, normaliseIp } from '../../core/addresses.js';
import { detach } from '../../core/strings.js';

type GeoipLite = { lookup(ip: string): { country: string; ll: [number, number] } | null };

let geoip: GeoipLite | null = null;
/** geoip-lite reads ~180 MB of data when first required: only pay for it when a public IP shows up. */
function database(): GeoipLite {
  if (geoip === null) geoip = createRequire(import.meta.url)('geoip-lite') as GeoipLite;
  return geoip;
}

/**
 * Country and coordinates of an address from geoip-lite's offline database. Each distinct
 * address is looked up once (the database manages ~380 k lookups/s, far below line rate);
 * private and unknown addresses carry no country.
 */
export class GeoEnricher {
  private readonly cache = new Map<string, GeoInfo | null>();
  lookups = 0;

  constructor(private readonly maxEntries = 200_000) {}

  lookup(ip: string): GeoInfo | null {
    const cached = this.cache.get(ip);
    if (cached !== undefined) return cached;
    const info = this.resolve(ip);
    if (this.cache.size >= this.maxEntries) this.evictOldest();
    this.cache.set(detach(ip), info);
    return info;
  }

  private resolve(ip: string): GeoInfo | null {
    if (isNonPublic(ip)) return null;
    this.lookups++;
    const hit = database().lookup(normaliseIp(ip));
    if (!hit || !hit.country) return null;
    return { country: hit.country, lat: hit.ll[0], lon: hit.ll[1] };
  }

  /** Drops the oldest tenth: Map keeps insertion order, so this is a cheap approximation of LRU. */
  private evictOldest(): void {
    let n = Math.ceil(this.maxEntries / 10);
    for (const key of this.cache.keys()) {
      if (n-- <= 0) break;
      this.cache.delete(key);
    }
  }
}
