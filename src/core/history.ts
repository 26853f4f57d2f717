import type { EventType } from './events.js';

/** A user's recorded history, as `ouwatch user` shows it. */
export interface UserHistory {
  dn: string;
  dnSha1: string;
  firstSeen: string;
  lastSeen: string;
  counts: Partial<Record<EventType, number>>;
  /** `asn`/`asOrg`: the address's autonomous system, where the store knows it. */
  ips: Array<{ ip: string; country: string | null; asn?: number | null; asOrg?: string | null; firstSeen: string; lastSeen: string; count: number }>;
  countries: Array<{ country: string; firstSeen: string; lastSeen: string; count: number }>;
  sessions: Array<{ sessionId: string; firstSeen: string; lastSeen: string; count: number; ips: string[] }>;
}


/** What the store knows about one address of one user (times are epoch ms). */
export interface IpStats {
  country: string | null;
  firstSeen: number;
  lastSeen: number;
  count: number;
  firstSuccess: number | null;
  lastSuccess: number | null;
  successCount: number;
}

export type CountryStats = Omit<IpStats, 'country'>;

/** The last geolocated successful event of a user (impossible travel starts from it). */
export interface GeoPoint {
  ts: number;
  ip: string;
  country: string;
  lat: number;
  lon: number;
}

/**
 * A user's state as detectors see it: the history before the event being examined.
 * The store keeps it in memory while the user is active and writes it back in batches.
 */
export interface UserState {
  readonly dn: string;
  readonly dnSha1: string;
  firstSeen: number;
  lastSeen: number;
  counts: Partial<Record<EventType, number>>;
  successCount: number;
  firstSuccess: number | null;
  lastSuccess: number | null;
  ips: Map<string, IpStats>;
  countries: Map<string, CountryStats>;
  lastGeo: GeoPoint | null;
}

/** Read access to user state for detectors (the store implements it). */
export interface HistoryView {
  /** The user's state, or null for a DN never seen before. */
  user(dn: string): UserState | null;
}
