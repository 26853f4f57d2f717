import type { Isp, IspKey } from './networks.js';
import type { Person } from './people.js';
import { Rng } from './random.js';

/**
 * The addresses people come from, over the week. A home line keeps its IPv4 address until the
 * ISP renumbers it (every night on DSL lines with a forced reconnection, now and then on the
 * others), usually into another /24 of the same regional pool. On IPv6 the laptop uses a
 * privacy address that is replaced every day at its own time of day, inside the line's /64;
 * a reconnection usually brings a new /64 too. Phones on a mobile carrier sit behind
 * carrier-grade NAT, whose public address changes several times a day within the carrier.
 */

export const DAY = 86_400_000;
export const HOUR = 3_600_000;
export const MINUTE = 60_000;

export type Via = 'office' | 'home' | 'mobile' | 'vpn' | 'hotel' | 'roaming';

/** Share of days on which a laptop in the office moves to the other NAT address. */
const OFFICE_NAT_SWITCH = 0.05;
/** How long a phone keeps its carrier-grade NAT address, on average. */
const MOBILE_ADDRESS_MEAN = 3 * HOUR;

/** The company's own addresses: the office NAT and the VPN egress (two of each, one /24 each). */
export class CompanyNets {
  readonly office: string[];
  readonly vpn: string[];

  constructor(rng: Rng, nets: Record<IspKey, Isp>) {
    const officeBlock = nets['office-plusnet'].block24(rng);
    const o = nets['office-plusnet'].addr4(rng, 'office NAT', officeBlock);
    this.office = [o, nextHost(nets['office-plusnet'], rng, o, 'office NAT', officeBlock)];
    const vpnBlock = nets['vpn-ionos'].block24(rng);
    const v = nets['vpn-ionos'].addr4(rng, 'VPN egress', vpnBlock);
    this.vpn = [v, nextHost(nets['vpn-ionos'], rng, v, 'VPN egress', vpnBlock)];
  }
}

function nextHost(isp: Isp, rng: Rng, first: string, role: string, block: number): string {
  for (;;) {
    const ip = isp.addr4(rng, role, block);
    if (ip !== first) return ip;
  }
}

/** One person's home line across the week. */
export class HomeLineState {
  private readonly rng: Rng;
  private readonly isp: Isp;
  private pool: ReturnType<Isp['pool4']>;
  private v4 = '';
  private prefix = 0n;
  private readonly perDay: { v4: string; v6: string; renumbered: boolean }[] = [];

  constructor(
    private readonly person: Person,
    nets: Record<IspKey, Isp>,
    seed: number,
    private readonly start: number,
  ) {
    this.rng = Rng.of(seed, `home-${person.index}`);
    this.isp = nets[person.home.isp];
    this.pool = this.isp.pool4(this.rng);
    this.v4 = this.isp.addr4(this.rng, 'home', this.isp.block24(this.rng, this.pool));
    if (person.home.ipv6) this.prefix = this.isp.prefix64(this.rng);
  }

  /** Decides day `d`'s addresses (call once per day, in order). */
  advance(d: number): void {
    const renumbered = d > 0 && this.rng.chance(this.person.home.changePerDay);
    if (renumbered) {
      // Mostly another /24 of the same regional pool; sometimes another address of the same /24.
      const base = this.rng.chance(0.85) ? this.isp.block24(this.rng, this.pool) : ipBase(this.v4);
      this.v4 = this.isp.addr4(this.rng, 'home', base);
      if (this.person.home.ipv6 && this.rng.chance(0.8)) this.prefix = this.isp.prefix64(this.rng);
    }
    const v6 = this.person.home.ipv6 ? this.isp.addr6(this.rng, 'home', this.prefix) : '';
    this.perDay[d] = { v4: this.v4, v6, renumbered };
  }

  /** The address the person's laptop uses at home at time `t`. */
  addressAt(t: number): string {
    const d = Math.floor((t - this.start) / DAY);
    const today = this.perDay[d];
    if (!this.person.home.ipv6) return today.v4;
    // Yesterday's privacy address lives on until today's rotation time, unless the line was
    // renumbered overnight (then the new /64 brought a new address at once).
    const minute = Math.floor((t - this.start - d * DAY) / MINUTE);
    if (d > 0 && !today.renumbered && minute < this.person.home.rotationMinute) return this.perDay[d - 1].v6;
    return today.v6;
  }
}

const ipBase = (ip: string) => {
  const [a, b, c] = ip.split('.').map(Number);
  return ((a << 24) | (b << 16) | (c << 8)) >>> 0;
};

/** A stretch of time at one address. */
export interface Stint {
  from: number;
  to: number;
  ip: string;
  via: Via;
}

/** Addresses for a stretch of time spent at one kind of place. */
export class Locator {
  constructor(
    private readonly seed: number,
    private readonly weekStart: number,
    private readonly nets: Record<IspKey, Isp>,
    private readonly company: CompanyNets,
    readonly homes: HomeLineState[],
  ) {}

  stints(rng: Rng, person: Person, via: Via, from: number, to: number): Stint[] {
    switch (via) {
      case 'office':
        return [{ from, to, via, ip: this.company.office[this.officeNat(person, from)] }];
      case 'vpn':
        return [{ from, to, via, ip: this.company.vpn[Rng.of(this.seed, `vpn-${person.index}-${Math.floor(from / DAY)}`).int(0, 1)] }];
      case 'hotel':
        return [{ from, to, via, ip: this.hotelAddress(person) }];
      case 'home':
        return this.homeStints(person, from, to);
      case 'mobile':
      case 'roaming':
        return this.mobileStints(rng, person, via, from, to);
    }
  }

  /**
   * The office firewall maps a laptop to one of its two NAT addresses by the laptop's inside
   * address, which stays the same for days (DHCP lease) and now and then changes. A VPN
   * concentrator hands out a new inside address per connection: either egress address, each day.
   */
  private officeNat(person: Person, t: number): number {
    const day = Math.floor(t / DAY);
    let nat = Rng.of(this.seed, `nat-${person.index}`).int(0, 1);
    for (let d = Math.floor(this.weekStart / DAY); d <= day; d++) if (Rng.of(this.seed, `nat-${person.index}-${d}`).chance(OFFICE_NAT_SWITCH)) nat = 1 - nat;
    return nat;
  }

  private readonly phones = new Map<number, { ip: string; until: number; day: number }>();

  /**
   * Carrier-grade NAT keeps a phone on one public address while it has mappings open, and
   * moves it (usually into another /24 of the carrier) when the phone reconnects: every few
   * hours, and always overnight.
   */
  private mobileStints(rng: Rng, person: Person, via: Via, from: number, to: number): Stint[] {
    const carrier = this.nets[person.carrier];
    const out: Stint[] = [];
    let phone = this.phones.get(person.index);
    for (let t = from; t < to; ) {
      if (!phone || t >= phone.until || Math.floor(t / DAY) !== phone.day) {
        const until = t + Math.max(20 * MINUTE, rng.exp(MOBILE_ADDRESS_MEAN));
        phone = { ip: carrier.addr4(rng, via === 'roaming' ? 'roaming' : 'mobile'), until, day: Math.floor(t / DAY) };
        this.phones.set(person.index, phone);
      }
      const end = Math.min(to, phone.until);
      out.push({ from: t, to: end, via, ip: phone.ip });
      t = end;
    }
    return out;
  }

  private readonly hotels = new Map<number, string>();
  private hotelAddress(person: Person): string {
    let ip = this.hotels.get(person.index);
    if (ip === undefined) {
      const isp = this.nets[person.trip!.hotel];
      ip = isp.addr4(Rng.of(this.seed, `hotel-${person.index}`), 'hotel');
      this.hotels.set(person.index, ip);
    }
    return ip;
  }

  /** Home stints split where the address changes (IPv6 privacy rotation). */
  private homeStints(person: Person, from: number, to: number): Stint[] {
    const home = this.homes[person.index];
    const out: Stint[] = [];
    let cur: Stint = { from, to, via: 'home', ip: home.addressAt(from) };
    // Sampling each minute finds the rotation inside the stretch.
    for (let t = from + MINUTE; t < to; t += MINUTE) {
      const ip = home.addressAt(t);
      if (ip !== cur.ip) {
        out.push({ ...cur, to: t });
        cur = { from: t, to, via: 'home', ip };
      }
    }
    out.push(cur);
    return out;
  }
}
