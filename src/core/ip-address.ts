import { hexValue } from './numbers.js';

/**
 * Addresses as they appear in logs, turned into numbers once per distinct address: an IPv4
 * address is a uint32, an IPv6 address four uint32 words (most significant first). Everything
 * downstream (classification, network keys, the geo and ASN tables) then works with integer
 * compares instead of strings, regular expressions or node:net's BlockList.
 */

/** An IPv6 address as four 32-bit words, most significant first. */
export type Ipv6Words = readonly [number, number, number, number];
/** An IPv4 address (uint32) or an IPv6 address (four words). `::ffff:a.b.c.d` is always IPv4. */
export type IpAddress = number | Ipv6Words;

/** Longest textual IPv6 address: `ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255`. */
const MAX_ADDRESS_LENGTH = 45;
/** Longest zone id after `%` (Linux interface names are at most 15 bytes; numeric zones are shorter). */
const MAX_ZONE_LENGTH = 15;
const MAX_TEXT_LENGTH = MAX_ADDRESS_LENGTH + 1 + MAX_ZONE_LENGTH;

/**
 * Parses a dotted quad, or IPv6 in any RFC 4291 text form (`::`, embedded IPv4, either case),
 * optionally followed by an RFC 4007 zone id (`fe80::1%eth0`, `0:0:0:0:0:0:0:1%0`: what Java's
 * `getHostAddress()` prints for a scoped client address). The zone names the local interface
 * the packet came in on, not the client, so the address is the words before it. Returns null
 * for anything else: hostnames, ports, brackets, a zone on IPv4 or an empty or odd one, octets
 * with leading zeros (ambiguous: some tools read them as octal), spaces, NULs, the empty string.
 */
export function parseAddress(text: string): IpAddress | null {
  const n = text.length;
  if (n < 2 || n > MAX_TEXT_LENGTH) return null;
  for (let i = 0; i < n; i++) {
    if (text.charCodeAt(i) === 58) return parseIpv6(text, zoneStart(text, n));
  }
  const v4 = ipv4At(text, 0, n);
  return v4 < 0 ? null : v4;
}

/**
 * Where the address part of an IPv6 text ends: at its `%` when a well-formed zone id (1 to
 * MAX_ZONE_LENGTH of RFC 3986's unreserved characters) follows, else the whole text (which
 * then fails to parse if it holds a `%`).
 */
function zoneStart(text: string, n: number): number {
  const at = text.indexOf('%');
  if (at < 0) return n;
  if (at === 0 || at === n - 1 || n - at - 1 > MAX_ZONE_LENGTH || at > MAX_ADDRESS_LENGTH) return n;
  for (let i = at + 1; i < n; i++) if (!isZoneChar(text.charCodeAt(i))) return n;
  return at;
}

function isZoneChar(c: number): boolean {
  const lower = c | 0x20;
  return (c >= 48 && c <= 57) || (lower >= 97 && lower <= 122) || c === 45 || c === 46 || c === 95 || c === 126;
}

/** The dotted quad in text[from, to) as a uint32, or -1. */
function ipv4At(text: string, from: number, to: number): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits === 1 && octet === 0) return -1;
      octet = octet * 10 + (c - 48);
      if (octet > 255) return -1;
      digits++;
    } else if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + octet;
}

/** Scratch for the 16-bit groups of the address being parsed (each worker has its own module). */
const groups = [0, 0, 0, 0, 0, 0, 0, 0];

function parseIpv6(text: string, n: number): IpAddress | null {
  let count = 0;
  let gap = -1;
  let i = 0;
  if (text.charCodeAt(0) === 58) {
    if (text.charCodeAt(1) !== 58) return null;
    gap = 0;
    i = 2;
  }
  while (i < n) {
    const start = i;
    let value = 0;
    let digits = 0;
    while (i < n) {
      const h = hexValue(text.charCodeAt(i));
      if (h < 0) break;
      if (digits === 4) return null;
      value = value * 16 + h;
      digits++;
      i++;
    }
    if (i < n && text.charCodeAt(i) === 46) {
      if (count > 6) return null;
      const v4 = ipv4At(text, start, n);
      if (v4 < 0) return null;
      groups[count++] = v4 >>> 16;
      groups[count++] = v4 & 0xffff;
      break;
    }
    if (digits === 0 || count === 8) return null;
    groups[count++] = value;
    if (i === n) break;
    if (text.charCodeAt(i) !== 58) return null;
    i++;
    if (i === n) return null;
    if (text.charCodeAt(i) === 58) {
      if (gap >= 0) return null;
      gap = count;
      i++;
    }
  }
  if (gap < 0 ? count !== 8 : count > 7) return null;
  if (gap >= 0) {
    const tail = count - gap;
    for (let k = 0; k < tail; k++) groups[7 - k] = groups[count - 1 - k];
    for (let k = gap; k < 8 - tail; k++) groups[k] = 0;
  }
  const w0 = groups[0] * 0x10000 + groups[1];
  const w1 = groups[2] * 0x10000 + groups[3];
  const w2 = groups[4] * 0x10000 + groups[5];
  const w3 = groups[6] * 0x10000 + groups[7];
  // An IPv4 client on a dual-stack socket is printed as ::ffff:a.b.c.d; it is that IPv4 address.
  if (w0 === 0 && w1 === 0 && w2 === 0xffff) return w3;
  return [w0, w1, w2, w3];
}

/**
 * False for addresses that say nothing about where a person is: IPv4 this-network, private,
 * CGNAT, loopback, link-local, IETF protocol assignments, documentation, benchmarking,
 * multicast and reserved (incl. broadcast); for IPv6 everything outside global unicast
 * 2000::/3 (unspecified, loopback, IPv4-compatible, NAT64, discard, ULA, link-local,
 * multicast, ...), and inside it documentation (2001:db8::/32, 3fff::/20) and benchmarking.
 */
export function isPublicAddress(address: IpAddress): boolean {
  return typeof address === 'number' ? isPublicIpv4(address) : isPublicIpv6(address);
}

function isPublicIpv4(ip: number): boolean {
  switch (ip >>> 24) {
    case 0: // this network
    case 10: // private
    case 127: // loopback
      return false;
    case 100:
      return ip >>> 22 !== 0x191; // 100.64.0.0/10 carrier-grade NAT
    case 169:
      return ip >>> 16 !== 0xa9fe; // 169.254.0.0/16 link-local
    case 172:
      return ip >>> 20 !== 0xac1; // 172.16.0.0/12 private
    case 192: {
      const net24 = ip >>> 8;
      // 192.0.0.0/24 IETF assignments, 192.0.2.0/24 documentation, 192.168.0.0/16 private
      return net24 !== 0xc00000 && net24 !== 0xc00002 && ip >>> 16 !== 0xc0a8;
    }
    case 198:
      // 198.18.0.0/15 benchmarking, 198.51.100.0/24 documentation
      return ip >>> 17 !== 0x6309 && ip >>> 8 !== 0xc63364;
    case 203:
      return ip >>> 8 !== 0xcb0071; // 203.0.113.0/24 documentation
    default:
      return ip < 0xe0000000; // 224.0.0.0/4 multicast, 240.0.0.0/4 reserved and broadcast
  }
}

function isPublicIpv6(words: Ipv6Words): boolean {
  const w0 = words[0];
  if (w0 >>> 29 !== 1) return false; // outside 2000::/3
  if (w0 === 0x20010db8) return false; // 2001:db8::/32 documentation
  if (w0 >>> 12 === 0x3fff0) return false; // 3fff::/20 documentation (RFC 9637)
  if (w0 === 0x20010002 && words[1] >>> 16 === 0) return false; // 2001:2::/48 benchmarking
  return true;
}

/**
 * The network an address belongs to, as canonical CIDR text (`203.0.113.0/24`,
 * `2001:db8:1:2::/64`): a /24 for IPv4 and a /64 for IPv6 unless told otherwise.
 */
export function networkOf(address: IpAddress, v4Bits = 24, v6Bits = 64): string {
  if (typeof address === 'number') {
    checkPrefix(v4Bits, 32);
    const masked = v4Bits === 0 ? 0 : ((address >>> (32 - v4Bits)) << (32 - v4Bits)) >>> 0;
    return `${formatIpv4(masked)}/${v4Bits}`;
  }
  checkPrefix(v6Bits, 128);
  const masked: [number, number, number, number] = [0, 0, 0, 0];
  for (let k = 0; k < 4; k++) {
    const keep = v6Bits - 32 * k;
    if (keep >= 32) masked[k] = address[k];
    else if (keep > 0) masked[k] = ((address[k] >>> (32 - keep)) << (32 - keep)) >>> 0;
  }
  return `${formatIpv6(masked)}/${v6Bits}`;
}

function checkPrefix(bits: number, max: number): void {
  if (!Number.isInteger(bits) || bits < 0 || bits > max) {
    throw new RangeError(`prefix length must be an integer from 0 to ${max}, got ${bits}`);
  }
}

/** Canonical text: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run as `::`). */
export function formatAddress(address: IpAddress): string {
  return typeof address === 'number' ? formatIpv4(address) : formatIpv6(address);
}

function formatIpv4(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 0xff}.${(ip >>> 8) & 0xff}.${ip & 0xff}`;
}

/** Scratch for the groups of the address being formatted. */
const formatGroups = [0, 0, 0, 0, 0, 0, 0, 0];

function formatIpv6(words: Ipv6Words): string {
  const g = formatGroups;
  for (let k = 0; k < 4; k++) {
    g[2 * k] = words[k] >>> 16;
    g[2 * k + 1] = words[k] & 0xffff;
  }
  // RFC 5952: the longest run of two or more zero groups (the first of equals) becomes '::'.
  let bestStart = -1;
  let bestLength = 1;
  for (let k = 0; k < 8; ) {
    if (g[k] !== 0) {
      k++;
      continue;
    }
    let end = k;
    while (end < 8 && g[end] === 0) end++;
    if (end - k > bestLength) {
      bestStart = k;
      bestLength = end - k;
    }
    k = end;
  }
  let out = '';
  let colon = false;
  for (let k = 0; k < 8; k++) {
    if (k === bestStart) {
      out += '::';
      k += bestLength - 1;
      colon = false;
      continue;
    }
    if (colon) out += ':';
    out += g[k].toString(16);
    colon = true;
  }
  return out;
}
