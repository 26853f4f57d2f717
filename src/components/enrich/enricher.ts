import type { Event, GeoInfo } from '../../core/events.js';
import { GeoEnricher } from './geo.js';
import { dnSha1 } from '../../core/identity.js';
import { detach } from '../../core/strings.js';

/** What enrich remembers per DN: its hash, and where its last address was. */
class Subject {
  lastIp: string | null = null;
  lastGeo: GeoInfo | null = null;
  constructor(
    readonly dn: string,
    readonly dnSha1: string,
  ) {}
}

/**
 * Adds what the log line does not say: the DN's SHA-1 label and the address's location.
 * Users keep one address for long stretches, so each DN remembers its last address and
 * location: most events cost one map lookup (the DN), not three.
 */
export class EventEnricher {
  private readonly subjects = new Map<string, Subject>();
  private readonly geo = new GeoEnricher();

  constructor(private readonly maxSubjects = 100_000) {}

  enrich(e: Event): void {
    const dn = e.dn;
    const ip = e.ip;
    if (dn === null || dn.length === 0) {
      if (ip !== null) e.geo = this.geo.lookup(ip);
      return;
    }
    let s = this.subjects.get(dn);
    if (s === undefined) {
      if (this.subjects.size >= this.maxSubjects) this.subjects.clear();
      s = new Subject(detach(dn), dnSha1(dn));
      this.subjects.set(s.dn, s);
    }
    // Later stages key their maps by DN and address: handing them the same string objects
    // every time makes those lookups pointer comparisons.
    e.dn = s.dn;
    e.dnSha1 = s.dnSha1;
    if (ip === null) return;
    if (ip !== s.lastIp) {
      s.lastGeo = this.geo.lookup(ip);
      s.lastIp = detach(ip);
    }
    e.ip = s.lastIp;
    e.geo = s.lastGeo;
  }

  /** Distinct public addresses looked up in the geo database so far. */
  get geoLookups(): number {
    return this.geo.lookups;
  }
}
