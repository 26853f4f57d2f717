import type { AddressInfo } from '../../core/addresses.js';
import { isPublicAddress, networkOf, parseAddress } from '../../core/ip-address.js';
import { AsnTable } from './asn-table.js';
import { GeoTable } from './geo-table.js';

/** Prefix lengths that make a network (novelty and bursts are judged per network, not per address). */
export interface NetworkBits {
  ipv4: number;
  ipv6: number;
}

export const DEFAULT_NETWORK_BITS: NetworkBits = { ipv4: 24, ipv6: 64 };

const INVALID: AddressInfo = { valid: false, public: false, net: null, country: null, lat: null, lon: null, radiusKm: null, asn: null, asOrg: null };

/**
 * Describes an address the first time it appears (the ingest worker asks once per distinct
 * address): whether it is one at all, whether it is public, its network, and for a public one
 * its country, coordinates and autonomous system from offline data. The data tables are
 * loaded on the first public address, so a log of private addresses never pays for them.
 */
export class AddressDescriber {
  private readonly geo: GeoTable;
  private readonly asn: AsnTable;

  constructor(
    private readonly bits: NetworkBits = DEFAULT_NETWORK_BITS,
    tables: { geo?: GeoTable; asn?: AsnTable } = {},
  ) {
    this.geo = tables.geo ?? new GeoTable();
    this.asn = tables.asn ?? new AsnTable();
  }

  describe(text: string): AddressInfo {
    const a = parseAddress(text);
    if (a === null) return INVALID;
    const net = networkOf(a, this.bits.ipv4, this.bits.ipv6);
    if (!isPublicAddress(a)) return { valid: true, public: false, net, country: null, lat: null, lon: null, radiusKm: null, asn: null, asOrg: null };
    const g = this.geo.lookup(a);
    const as = this.asn.lookup(a);
    return { valid: true, public: true, net, country: g?.country ?? null, lat: g?.lat ?? null, lon: g?.lon ?? null, radiusKm: g?.radiusKm ?? null, asn: as?.asn ?? null, asOrg: as?.org ?? null };
  }
}

/** The network of an address given as text (null when it is not an address), as `describe` computes it. */
export function networkOfText(text: string, bits: NetworkBits = DEFAULT_NETWORK_BITS): string | null {
  const a = parseAddress(text);
  return a === null ? null : networkOf(a, bits.ipv4, bits.ipv6);
}
