import { BlockList, isIP } from 'node:net';

/**
 * Addresses that say nothing about where a person is: private, loopback, link-local,
 * carrier-grade NAT, documentation and multicast ranges (IPv4 and IPv6).
 */
const NON_PUBLIC = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16],
  ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15],
  ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) NON_PUBLIC.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [['::', 127], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['2001:db8::', 32]] as const) {
  NON_PUBLIC.addSubnet(net, bits, 'ipv6');
}

/** `::ffff:1.2.3.4` (how Java may print an IPv4 client on a dual stack) becomes `1.2.3.4`. */
export function normaliseIp(ip: string): string {
  if (ip.length > 7 && ip.charCodeAt(0) === 58 && ip.startsWith('::ffff:') && ip.includes('.')) return ip.slice(7);
  return ip;
}

/** True for addresses that are not routable on the internet (and for anything not an IP). */
export function isNonPublic(ip: string): boolean {
  const addr = normaliseIp(ip);
  const family = isIP(addr);
  if (family === 0) return true;
  return NON_PUBLIC.check(addr, family === 4 ? 'ipv4' : 'ipv6');
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
  /** Autonomous system from offline data, null when unknown or not public. */
  asn: number | null;
  asOrg: string | null;
}
