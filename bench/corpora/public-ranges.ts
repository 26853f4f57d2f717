import { below, type Random } from './random.js';

/**
 * Real public IPv4 ranges (/16) of 64 countries, two per country, mostly access networks
 * rather than clouds. Each /16 was chosen because the geolocation data ouwatch ships
 * (geoip-lite) places the whole range in that one country; test/bench/corpora.test.ts checks
 * that every range is public and geolocated. None is private, reserved or documentation space.
 */
export const PUBLIC_RANGES: ReadonlyArray<readonly [country: string, first: string, second: string]> = [
  ['US', '24.0', '24.56'], ['CN', '1.3', '14.16'], ['JP', '1.5', '14.3'], ['DE', '2.160', '5.4'],
  ['KR', '1.11', '14.4'], ['GB', '2.24', '5.64'], ['BR', '170.66', '177.0'], ['FR', '2.2', '5.48'],
  ['CA', '24.36', '38.61'], ['IT', '2.32', '5.84'], ['NL', '24.132', '31.20'], ['AU', '1.40', '14.2'],
  ['IN', '1.6', '14.96'], ['TW', '1.34', '27.51'], ['ES', '2.136', '5.40'], ['MX', '170.25', '177.224'],
  ['EG', '41.32', '45.96'], ['ZA', '41.0', '102.32'], ['SE', '2.0', '5.240'], ['CH', '31.164', '46.14'],
  ['SG', '14.100', '17.82'], ['RU', '2.60', '5.3'], ['CO', '177.252', '179.12'], ['ID', '36.64', '39.192'],
  ['VN', '1.52', '14.160'], ['AR', '24.232', '170.155'], ['TR', '5.24', '24.133'], ['PL', '5.60', '31.0'],
  ['IE', '17.64', '46.7'], ['NO', '2.148', '37.253'], ['MA', '41.137', '45.216'], ['FI', '37.27', '46.132'],
  ['BE', '37.62', '46.178'], ['HK', '1.36', '14.136'], ['DK', '2.104', '5.33'], ['CL', '156.97', '166.75'],
  ['SA', '2.88', '5.41'], ['IR', '2.144', '5.52'], ['TN', '41.62', '102.24'], ['AT', '46.74', '62.46'],
  ['IL', '2.52', '5.29'], ['TH', '1.20', '14.207'], ['VE', '38.166', '129.90'], ['KE', '41.80', '102.0'],
  ['PT', '2.80', '37.189'], ['MY', '1.9', '27.146'], ['NZ', '27.252', '47.72'], ['RO', '5.12', '31.5'],
  ['DZ', '41.96', '105.96'], ['UA', '5.58', '31.144'], ['CZ', '31.30', '46.13'], ['GR', '2.84', '5.54'],
  ['PK', '39.32', '59.103'], ['AE', '2.48', '5.30'], ['PH', '1.37', '27.49'], ['HU', '5.204', '31.46'],
  ['PE', '179.6', '181.64'], ['UY', '179.24', '186.8'], ['NG', '41.58', '102.88'], ['KZ', '2.72', '5.76'],
  ['EC', '181.39', '186.3'], ['CR', '181.193', '186.15'], ['SD', '41.95', '102.120'],
  ['GH', '45.208', '154.160'],
];

const PREFIXES: readonly string[] = PUBLIC_RANGES.flatMap(([, a, b]) => [a, b]);

/** An address in one of the ranges above, any country alike (host part 1..254). */
export function randomPublicAddress(rand: Random): string {
  return `${PREFIXES[below(rand, PREFIXES.length)]}.${below(rand, 256)}.${1 + below(rand, 254)}`;
}

/** A private address of an office or VPN network (10/8, 172.16/12, 192.168/16). */
export function randomPrivateAddress(rand: Random): string {
  const r = rand();
  if (r < 0.6) return `10.${below(rand, 256)}.${below(rand, 256)}.${1 + below(rand, 254)}`;
  if (r < 0.85) return `172.${16 + below(rand, 16)}.${below(rand, 256)}.${1 + below(rand, 254)}`;
  return `192.168.${below(rand, 256)}.${1 + below(rand, 254)}`;
}
