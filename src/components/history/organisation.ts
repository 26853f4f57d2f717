import { AddressSet } from '../../core/address-set.js';
import { isNonPublic } from '../../core/addresses.js';
import { byText } from '../../core/order.js';
import { FEW_PRIVATE_NETWORKS, type OrganisationCount } from '../../core/history.js';

/** Most networks and ASNs counted at once; the rarest are let go beyond it (memory stays bounded). */
export const MAX_TRACKED = 50_000;

export interface OrganisationSettings {
  /** Users who must have an address of their own in a network, ASN or country for it to be the organisation's. */
  minUsers: number;
  /** The organisation's egress (office NAT, VPN, proxies), known in advance. */
  networks: readonly string[];
  /** Private networks in all below which private addresses are the organisation's equipment (FEW_PRIVATE_NETWORKS when absent). */
  privateClientNetworks?: number;
}

/**
 * What detection may ask about the organisation as a whole: the networks, ASNs and
 * countries its people use. Peer context, as in user-behaviour analytics: a place that is
 * new for one person but where many colleagues work (the office NAT, the VPN egress, the
 * country of a branch office) says less about a thief than a place nobody here uses.
 */
export interface OrganisationView {
  readonly minUsers: number;
  /**
   * Why the address is one of the organisation's networks (a configured egress, or a network
   * at least `minUsers` users have as their own), or null when it is not.
   */
  whyOrgNetwork(ip: string, net: string | null): string | null;
  /** Why the address is in detect.organisation.networks, or null when it is not listed. */
  whyListed(ip: string): string | null;
  /** Users with a learnt address in this country (counted up to the tracking limits). */
  usersInCountry(country: string | null): number;
  usersOnAsn(asn: number | null): number;
  usersOnNet(net: string | null): number;
  /**
   * Why a private address is the organisation's equipment (an ingress's or the nodes'
   * addresses, a NAT) rather than a client's, or null: its users have addresses in fewer than
   * detect.organisation.privateClientNetworks private networks (10.x, 192.168.x, fd00::/8,
   * ...) in all.
   */
  whyEquipment(ip: string, net: string | null): string | null;
}

/**
 * Counts, per network, ASN and country, the users who have learnt an address there. Only
 * learnt addresses count: an address whose success raised an alert is not anybody's until
 * the alert is closed as benign, so a thief's address never becomes "the organisation's" by
 * being used. Counts come from the store at start-up and grow as users learn places; the
 * network and ASN maps are bounded (the least shared are dropped first).
 */
export class Organisation implements OrganisationView {
  readonly minUsers: number;
  private readonly privateClientNetworks: number;
  private readonly configured: AddressSet | null;
  private readonly nets = new Map<string, number>();
  private readonly asns = new Map<number, number>();
  private readonly countries = new Map<string, number>();
  /** Users counted since the last commit, per kind (no key built per count): what the store adds to its counts. */
  private pendingNets = new Map<string, number>();
  private pendingAsns = new Map<number, number>();
  private pendingCountries = new Map<string, number>();
  /**
   * The private networks counted so far, up to privateClientNetworks (all that is asked is
   * whether there are that many); only grows (pruning the counts does not forget them), as a
   * restart that seeds from the store finds them.
   */
  private readonly privateNets = new Set<string>();

  constructor(settings: OrganisationSettings) {
    this.minUsers = settings.minUsers;
    this.privateClientNetworks = settings.privateClientNetworks ?? FEW_PRIVATE_NETWORKS;
    this.configured = settings.networks.length > 0 ? new AddressSet(settings.networks) : null;
  }

  /** Counts as stored (start-up). */
  seed(rows: readonly OrganisationCount[]): void {
    for (const r of rows) {
      if (r.kind === 'net') {
        bump(this.nets, r.value, r.users);
        this.countPrivate(r.value);
      } else if (r.kind === 'asn') bump(this.asns, Number(r.value), r.users);
      else bump(this.countries, r.value, r.users);
    }
    prune(this.nets);
    prune(this.asns);
  }

  /**
   * The counts as stored now, in place of those held (after the store counted them again:
   * retention deleted addresses, or a benign close learnt addresses of a user not in memory),
   * plus those counted since the last commit, which the store has not added yet.
   */
  reseed(rows: readonly OrganisationCount[]): void {
    this.nets.clear();
    this.asns.clear();
    this.countries.clear();
    this.privateNets.clear();
    this.seed(rows);
    this.pendingNets.forEach((n, net) => {
      if (!this.nets.has(net)) this.countPrivate(net);
      bump(this.nets, net, n);
    });
    this.pendingAsns.forEach((n, asn) => bump(this.asns, asn, n));
    this.pendingCountries.forEach((n, country) => bump(this.countries, country, n));
  }

  /** A user learnt their first address in these places (null: not new for them). */
  learnt(net: string | null, asn: number | null, country: string | null): void {
    if (net !== null) {
      if (!this.nets.has(net)) this.countPrivate(net);
      bump(this.nets, net, 1);
      bump(this.pendingNets, net, 1);
      if (this.nets.size > MAX_TRACKED) prune(this.nets);
    }
    if (asn !== null) {
      bump(this.asns, asn, 1);
      bump(this.pendingAsns, asn, 1);
      if (this.asns.size > MAX_TRACKED) prune(this.asns);
    }
    if (country !== null) {
      bump(this.countries, country, 1);
      bump(this.pendingCountries, country, 1);
    }
  }

  /** A user's address learnt moments before was un-learnt: the places it was their first of count one user fewer. */
  unlearnt(net: string | null, asn: number | null, country: string | null): void {
    if (net !== null) {
      drop(this.nets, net);
      bump(this.pendingNets, net, -1);
    }
    if (asn !== null) {
      drop(this.asns, asn);
      bump(this.pendingAsns, asn, -1);
    }
    if (country !== null) {
      drop(this.countries, country);
      bump(this.pendingCountries, country, -1);
    }
  }

  /** The users counted since the last commit, per place, for the store to add. */
  collect(): OrganisationCount[] {
    // In key order (kind, then value as text): the store's table is a B-tree keyed so, and many
    // new places inserted in random order would touch a random page each.
    const out: OrganisationCount[] = [];
    const add = (kind: OrganisationCount['kind'], m: ReadonlyMap<string | number, number>) => {
      const part: OrganisationCount[] = [];
      // Zero: learnt and taken back since the last commit (Organisation.unlearnt).
      for (const [value, users] of m) if (users !== 0) part.push({ kind, value: String(value), users });
      part.sort((a, b) => byText(a.value, b.value));
      for (const c of part) out.push(c);
    };
    add('asn', this.pendingAsns);
    add('country', this.pendingCountries);
    add('net', this.pendingNets);
    return out;
  }

  /** The commit of `collect()` succeeded. */
  committed(): void {
    if (this.pendingNets.size > 0) this.pendingNets = new Map();
    if (this.pendingAsns.size > 0) this.pendingAsns = new Map();
    if (this.pendingCountries.size > 0) this.pendingCountries = new Map();
  }

  whyOrgNetwork(ip: string, net: string | null): string | null {
    const listed = this.whyListed(ip);
    if (listed !== null) return listed;
    const n = this.usersOnNet(net);
    return n >= this.minUsers ? `${net}, where ${n} users have addresses of their own` : this.whyEquipment(ip, net);
  }

  whyEquipment(ip: string, net: string | null): string | null {
    const k = this.privateNets.size;
    if (k >= this.privateClientNetworks || !isNonPublic(ip)) return null;
    return `${net}, private, and the organisation's users have addresses in only ${k} private network${k === 1 ? '' : 's'} (fewer than ${this.privateClientNetworks}, detect.organisation.privateClientNetworks): an ingress's or the nodes' addresses, not clients'`;
  }

  whyListed(ip: string): string | null {
    const spec = this.configured?.which(ip) ?? null;
    return spec === null ? null : `${ip} is in ${spec}, listed in detect.organisation.networks`;
  }

  usersInCountry(country: string | null): number {
    return country === null ? 0 : (this.countries.get(country) ?? 0);
  }

  usersOnAsn(asn: number | null): number {
    return asn === null ? 0 : (this.asns.get(asn) ?? 0);
  }

  usersOnNet(net: string | null): number {
    return net === null ? 0 : (this.nets.get(net) ?? 0);
  }

  /** `net` is a network key (`10.42.0.0/24`): its first address tells whether it is private. */
  private countPrivate(net: string): void {
    if (this.privateNets.size >= this.privateClientNetworks || this.privateNets.has(net)) return;
    const slash = net.indexOf('/');
    if (isNonPublic(slash < 0 ? net : net.slice(0, slash))) this.privateNets.add(net);
  }
}

function bump<K>(m: Map<K, number>, k: K, n: number): void {
  m.set(k, (m.get(k) ?? 0) + n);
}

/** One user fewer at `k` (the entry goes at none). */
function drop<K>(m: Map<K, number>, k: K): void {
  const n = (m.get(k) ?? 0) - 1;
  if (n > 0) m.set(k, n);
  else m.delete(k);
}

/** Drops the least shared entries until the map is at three quarters of its limit. */
function prune<K>(m: Map<K, number>): void {
  for (let below = 2; m.size > (MAX_TRACKED * 3) / 4; below *= 2) {
    m.forEach((n, k) => {
      if (n < below) m.delete(k);
    });
  }
}
