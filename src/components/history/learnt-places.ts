/**
 * The networks, ASNs and countries of one user's learnt addresses, so that novelty is a
 * lookup. Most users have one of each: the first is kept in a field and a Set is made only
 * at a second value. One object for the three (a set object each cost 120 bytes a user, with
 * tens of thousands of users in memory).
 */
export class LearntPlaces {
  private net: string | null = null;
  private asn: number | null = null;
  private country: string | null = null;
  private moreNets: Set<string> | null = null;
  private moreAsns: Set<number> | null = null;
  private moreCountries: Set<string> | null = null;

  /** Adds the places of a learnt address (null: the address has none of that kind). */
  add(net: string | null, asn: number | null, country: string | null): void {
    if (net !== null) {
      if (this.net === null) this.net = net;
      else if (this.net !== net) (this.moreNets ??= new Set()).add(net);
    }
    if (asn !== null) {
      if (this.asn === null) this.asn = asn;
      else if (this.asn !== asn) (this.moreAsns ??= new Set()).add(asn);
    }
    if (country !== null) {
      if (this.country === null) this.country = country;
      else if (this.country !== country) (this.moreCountries ??= new Set()).add(country);
    }
  }

  /** Takes back places (null: not that kind) that an address un-learnt had taught. */
  remove(net: string | null, asn: number | null, country: string | null): void {
    if (net !== null) [this.net, this.moreNets] = without(this.net, this.moreNets, net);
    if (asn !== null) [this.asn, this.moreAsns] = without(this.asn, this.moreAsns, asn);
    if (country !== null) [this.country, this.moreCountries] = without(this.country, this.moreCountries, country);
  }

  hasNet(net: string): boolean {
    return this.net === net || (this.moreNets !== null && this.moreNets.has(net));
  }

  hasAsn(asn: number): boolean {
    return this.asn === asn || (this.moreAsns !== null && this.moreAsns.has(asn));
  }

  hasCountry(country: string): boolean {
    return this.country === country || (this.moreCountries !== null && this.moreCountries.has(country));
  }

  /** How many of each there are (without building a list: a reason lists only a few). */
  netCount(): number {
    return countOf(this.net, this.moreNets);
  }

  asnCount(): number {
    return countOf(this.asn, this.moreAsns);
  }

  countryCount(): number {
    return countOf(this.country, this.moreCountries);
  }

  /** Each list in the order first learnt. */
  nets(): string[] {
    return listOf(this.net, this.moreNets);
  }

  asns(): number[] {
    return listOf(this.asn, this.moreAsns);
  }

  countries(): string[] {
    return listOf(this.country, this.moreCountries);
  }
}

/** The first value and the set of the others, `v` taken out (the first of the others moves up). */
function without<K>(first: K | null, more: Set<K> | null, v: K): [K | null, Set<K> | null] {
  if (more !== null && more.delete(v)) return [first, more.size === 0 ? null : more];
  if (first !== v) return [first, more];
  if (more === null) return [null, null];
  const [next] = more;
  more.delete(next);
  return [next, more.size === 0 ? null : more];
}

function countOf<K>(first: K | null, more: Set<K> | null): number {
  return first === null ? 0 : 1 + (more === null ? 0 : more.size);
}

function listOf<K>(first: K | null, more: Set<K> | null): K[] {
  if (first === null) return [];
  return more === null ? [first] : [first, ...more];
}
