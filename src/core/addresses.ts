import { isPublicAddress, parseAddress } from './ip-address.js';

/** `::ffff:1.2.3.4` (how Java may print an IPv4 client on a dual stack) becomes `1.2.3.4`. */
export function normaliseIp(ip: string): string {
  if (ip.length > 7 && ip.charCodeAt(0) === 58 && ip.startsWith('::ffff:') && ip.includes('.')) return ip.slice(7);
  return ip;
}

/**
 * True for addresses that say nothing about where a person is (private, loopback, link-local,
 * carrier-grade NAT, documentation, multicast, reserved; see ip-address.ts) and for anything
 * that is not an IP address: the same judgement the ingest thread makes of each logged address
 * (AddressInfo.public), in integer compares.
 */
export function isNonPublic(ip: string): boolean {
  const address = parseAddress(ip);
  return address === null || !isPublicAddress(address);
}

/** What is known about one address, looked up once per distinct address (in the ingest worker). */
export interface AddressInfo {
  /** False when the text is not an IP address at all: the event that carries it is malformed. */
  valid: boolean;
  /** Routable on the internet (not private, loopback, link-local, CGNAT, documentation...). */
  public: boolean;
  /** The network it belongs to for novelty (`203.0.113.0/24`, `2001:db8:1:2::/64`), null when invalid. */
  net: string | null;
  /** ISO country code and coordinates from offline data, null when unknown or not public. */
  country: string | null;
  lat: number | null;
  lon: number | null;
  /** How far from those coordinates the address may be, km (1000: located only to its country); null without coordinates. */
  radiusKm: number | null;
  /** Autonomous system from offline data, null when unknown or not public. */
  asn: number | null;
  asOrg: string | null;
}
