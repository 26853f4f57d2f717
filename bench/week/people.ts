import type { IspKey } from './networks.js';
import type { Rng } from './random.js';

/**
 * The company: Elbstrom Systems, a European software company with its office in Hamburg,
 * most people in Germany and some living in neighbouring countries. The shares below are
 * the corpus's assumptions about how such people connect; bench/week/README.md explains them.
 */

export type Profile = 'office' | 'hybrid' | 'remote' | 'vpn' | 'mobile';

/** How people work: office most days, hybrid, fully remote, always on the VPN, on the road. */
export const PROFILES: readonly (readonly [Profile, number])[] = [
  ['office', 0.43],
  ['hybrid', 0.27],
  ['remote', 0.16],
  ['vpn', 0.11],
  ['mobile', 0.03],
];

/** Where remote people live: 60 % in Germany, the rest across the border. */
const NEIGHBOUR_HOMES: readonly (readonly [IspKey, number])[] = [
  ['kpn-nl', 2], ['ziggo-nl', 2], ['a1-at', 2], ['magenta-at', 1], ['swisscom-ch', 1],
  ['orange-pl', 2], ['tdc-dk', 1], ['orange-fr', 1], ['o2-cz', 1],
];

/**
 * German home lines: the ISP's share, the share of its lines that get a new IPv4 address
 * every night (DSL with a forced daily reconnection), and the share of its customers whose
 * laptop reaches the company over IPv6 (then a privacy address that changes every day).
 */
const GERMAN_HOMES: readonly (readonly [IspKey, number, number, number])[] = [
  // isp, share, daily new address, IPv6
  ['telekom-de', 0.38, 0.1, 0.35],
  ['vodafone-de', 0.28, 0.05, 0.3],
  ['o2-de', 0.1, 0.5, 0.15],
  ['versatel-de', 0.1, 0.5, 0.2],
  ['netcologne-de', 0.07, 0, 0.4],
  ['mnet-de', 0.07, 0, 0.3],
];
const NEIGHBOUR_DAILY_CHANGE = 0.1;
const NEIGHBOUR_IPV6 = 0.25;
/** A line without a forced reconnection still gets a new address now and then (router reboot, outage). */
const STABLE_LINE_CHANGE_PER_DAY = 0.02;

const MOBILE_CARRIERS: readonly (readonly [IspKey, number])[] = [
  ['telekom-mobile-de', 0.4], ['vodafone-mobile-de', 0.3], ['o2-mobile-de', 0.3],
];

export interface HomeLine {
  isp: IspKey;
  country: string;
  /** Probability of a new IPv4 address (and, on IPv6, a new /64) on a given night. */
  changePerDay: number;
  ipv6: boolean;
  /** Minute of the day (UTC) at which the IPv6 privacy address is replaced. */
  rotationMinute: number;
}

export interface Person {
  index: number;
  dn: string;
  profile: Profile;
  country: string;
  home: HomeLine;
  /** The carrier of the person's phone (tethering, roaming, the mobile profile). */
  carrier: IspKey;
  /** Hybrid people's office weekdays (0 = Monday). */
  officeDays: number[];
  admin: boolean;
  /** Runs several tools on one kubeconfig (their refreshes race within the grace period). */
  multiTool: boolean;
  /** Keeps k9s or a watch open: the API is polled and the token refreshed while it runs. */
  poller: boolean;
  /** kubectl commands per hour while busy. */
  commandsPerHour: number;
  trip: Trip | null;
}

/** A business trip: a flight out on Tuesday, a hotel abroad, back on Friday. */
export interface Trip {
  hotel: IspKey;
  country: string;
  outDay: number;
  backDay: number;
}
const TRIP_DESTINATIONS: readonly (readonly [IspKey, string])[] = [
  ['meo-pt', 'PT'], ['telefonica-es', 'ES'], ['bt-gb', 'GB'], ['telia-se', 'SE'],
];
const TRAVELLER_SHARE = 0.02;

const FIRST = ['anna', 'lukas', 'lea', 'jonas', 'marie', 'felix', 'sophie', 'paul', 'emma', 'leon', 'mia', 'finn', 'hannah', 'elias',
  'lena', 'noah', 'laura', 'ben', 'julia', 'tim', 'sarah', 'jan', 'lisa', 'max', 'katharina', 'tobias', 'nina', 'stefan', 'eva',
  'michael', 'sandra', 'thomas', 'ines', 'daniel', 'pieter', 'sanne', 'marek', 'agnieszka', 'lars', 'mette', 'lucas', 'chloe',
  'tomas', 'petra', 'ahmet', 'elif', 'priya', 'arjun', 'wei', 'olga'];
const LAST = ['mueller', 'schmidt', 'schneider', 'fischer', 'weber', 'meyer', 'wagner', 'becker', 'schulz', 'hoffmann', 'koch',
  'richter', 'klein', 'wolf', 'neumann', 'schwarz', 'braun', 'zimmermann', 'hartmann', 'krueger', 'lange', 'werner', 'krause',
  'lehmann', 'koehler', 'jansen', 'devries', 'kowalski', 'nowak', 'nielsen', 'hansen', 'dubois', 'novak', 'yilmaz', 'sharma',
  'chen', 'ivanova', 'peters', 'vogel', 'frank'];
const UMLAUT: Record<string, string> = { mueller: 'müller', krueger: 'krüger', koehler: 'köhler' };

/** DNs as OpenUnison logs them: mostly `uid=…,ou=shadow`, some directory names with an escaped comma or ` - `. */
function dnFor(rng: Rng, first: string, last: string, taken: Set<string>): string {
  let base = `${first}.${last}`;
  for (let n = 2; taken.has(base); n++) base = `${first}.${last}${n}`;
  taken.add(base);
  const r = rng.next();
  const cap = (s: string) => s[0].toUpperCase() + s.slice(1);
  if (r < 0.08) return `cn=${cap(last)}\\, ${cap(first)}${base.slice(first.length + 1 + last.length)},ou=users,o=Tremolo`;
  if (r < 0.12) return `cn=${base} - contractor,ou=external,o=Tremolo`;
  if (r < 0.16 && UMLAUT[last]) return `uid=${first}.${UMLAUT[last]}${base.slice(first.length + 1 + last.length)},ou=shadow,o=Tremolo`;
  return `uid=${base},ou=shadow,o=Tremolo`;
}

function homeLine(rng: Rng, abroad: boolean): HomeLine {
  const rotationMinute = rng.int(0, 1439);
  if (abroad) {
    const isp = rng.weighted(NEIGHBOUR_HOMES);
    const daily = rng.chance(NEIGHBOUR_DAILY_CHANGE);
    return { isp, country: '', changePerDay: daily ? 0.95 : STABLE_LINE_CHANGE_PER_DAY, ipv6: rng.chance(NEIGHBOUR_IPV6), rotationMinute };
  }
  const [isp, , daily, v6] = rng.weighted(GERMAN_HOMES.map((g) => [g, g[1]] as const));
  return { isp, country: 'DE', changePerDay: rng.chance(daily) ? 0.95 : STABLE_LINE_CHANGE_PER_DAY, ipv6: rng.chance(v6), rotationMinute };
}

/** The people of the company; `countryOf` names the country of an ISP of the catalogue. */
export function population(rng: Rng, n: number, countryOf: (isp: IspKey) => string): Person[] {
  const taken = new Set<string>();
  const people: Person[] = [];
  const travellers = Math.max(1, Math.round(n * TRAVELLER_SHARE));
  for (let i = 0; i < n; i++) {
    const r = rng.fork(`person-${i}`);
    const profile = r.weighted(PROFILES);
    const abroad = (profile === 'remote' || profile === 'vpn') && r.chance(0.4);
    const home = homeLine(r, abroad);
    home.country = countryOf(home.isp);
    const officeDays = profile === 'hybrid' ? [0, 1, 2, 3, 4].filter(() => r.chance(0.5)) : [];
    people.push({
      index: i,
      dn: dnFor(r, r.pick(FIRST), r.pick(LAST), taken),
      profile,
      country: home.country,
      home,
      carrier: r.weighted(MOBILE_CARRIERS),
      officeDays,
      admin: r.chance(0.06),
      multiTool: r.chance(0.25),
      poller: r.chance(0.2),
      commandsPerHour: Math.min(90, Math.max(3, Math.exp(r.normal(Math.log(18), 0.7)))),
      trip: null,
    });
  }
  // Travellers are office or hybrid people in Germany (they fly from Hamburg).
  const candidates = people.filter((p) => (p.profile === 'office' || p.profile === 'hybrid') && p.country === 'DE');
  for (let k = 0; k < travellers && candidates.length > 0; k++) {
    const p = candidates.splice(rng.int(0, candidates.length - 1), 1)[0];
    const [hotel, country] = rng.pick(TRIP_DESTINATIONS);
    p.trip = { hotel, country, outDay: 1, backDay: 4 };
  }
  return people;
}

export const SERVICE_ACCOUNTS = [
  ['argocd', 'argocd-application-controller', 3],
  ['ci', 'deployer', 20],
  ['monitoring', 'prometheus-adapter', 2],
  ['external-secrets', 'external-secrets', 10],
].map(([ns, sa, everyMin]) => ({ dn: `username=system:serviceaccount:${ns}:${sa},ou=oauth2,o=Tremolo`, namespace: ns as string, everyMin: everyMin as number }));
