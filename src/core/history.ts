import type { Evidence } from './alerts.js';
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

/** The last geolocated successful event of a user (impossible travel starts from it). */
export interface GeoPoint {
  ts: number;
  ip: string;
  country: string;
  lat: number;
  lon: number;
  /** The accuracy radius of lat/lon, km (AddressInfo.radiusKm; 0 in histories stored before it was kept). */
  radiusKm: number;
  /** The first line at this location (what an impossible-travel alert shows for "where they were"). */
  line?: Evidence | null;
}

// ---- The per-user history as stored (v2: addresses with networks, ASNs and learning) ----

/** One address of one user, as stored. Times are epoch ms (log time). */
export interface AddressRecord {
  ip: string;
  /** Its network for novelty (`203.0.113.0/24`), from the offline data of when it was first seen. */
  net: string | null;
  country: string | null;
  asn: number | null;
  asOrg: string | null;
  firstSeen: number;
  lastSeen: number;
  count: number;
  successCount: number;
  firstSuccess: number | null;
  lastSuccess: number | null;
  /**
   * One of the user's own addresses: a success came from it without raising an alert (or the
   * alert was closed as benign). Novelty rules compare with learnt addresses only, so a thief
   * whose first visit raised an alert is caught again when he returns.
   */
  learnt: boolean;
  /** The alert that stopped this address from being learnt (until it is closed as benign). */
  quarantinedBy: string | null;
}

/**
 * Below this many private networks in all (detect.organisation.privateClientNetworks, by
 * default), the organisation's private addresses are taken for its equipment rather than its
 * clients. Behind an ingress or a node's NAT that does not pass the client address on,
 * OpenUnison logs a handful of private addresses (the ingress's pods, the nodes), whatever the
 * number of users; where private addresses are the clients' own (a LAN or VPN reaching
 * OpenUnison without NAT), they spread over many more networks.
 */
export const FEW_PRIVATE_NETWORKS = 20;

/** How many users have a learnt address in one network, ASN or country (the organisation's places). */
export interface OrganisationCount {
  kind: 'net' | 'asn' | 'country';
  /** The network (`203.0.113.0/24`), the ASN as decimal text, or the country code. */
  value: string;
  users: number;
}

/** A user as stored, with every address. */
export interface UserRecord {
  dn: string;
  dnSha1: string;
  firstSeen: number;
  lastSeen: number;
  counts: Partial<Record<EventType, number>>;
  successCount: number;
  firstSuccess: number | null;
  lastSuccess: number | null;
  lastGeo: GeoPoint | null;
  addresses: AddressRecord[];
  /** The earliest last-seen time of the addresses left in the store (never succeeded, older than those loaded); absent when all were loaded. */
  oldestLeftOut?: number;
  /** With addresses left out: the user's totals per country over every stored address (what the loaded ones cannot give). */
  countries?: CountryTotals[];
}

/** A user's events in one country, over all their addresses there: an address's counters, summed. */
export type CountryTotals = Pick<AddressRecord, 'firstSeen' | 'lastSeen' | 'count' | 'successCount' | 'firstSuccess' | 'lastSuccess'> & { country: string };

/** Events of one session of one user since the last commit (added to what is stored). */
export interface SessionWrite {
  sessionId: string;
  dn: string;
  first: number;
  last: number;
  count: number;
  ips: Array<{ ip: string; first: number; last: number; count: number }>;
}

/** Events of one user from one address in one hour of log time since the last commit (added). */
export interface ActivityWrite {
  dn: string;
  /** Start of the hour, epoch ms. */
  hour: number;
  /** '' for events without an address. */
  ip: string;
  country: string | null;
  events: number;
  failures: number;
}

/** One country of one user (seen, whether learnt or not), replacing what is stored. */
export interface CountryWrite extends CountryTotals {
  dn: string;
}

/** A changed user's row. */
export type UserWrite = Omit<UserRecord, 'addresses'> & {
  /**
   * True for a user met for the first time since the store was found not to hold them, and
   * not yet written by a commit: a store may insert the row without looking the user up first
   * (absent: looked up, as a user the store may hold).
   */
  isNew?: boolean;
};

/** The fields of a changed user's row (history's users carry them as they are). */
export type UserRowFields = Pick<UserRecord, 'dn' | 'dnSha1' | 'firstSeen' | 'lastSeen' | 'successCount' | 'firstSuccess' | 'lastSuccess' | 'lastGeo'>;

/** A session's events since the last commit, or its events from one address (`ip`). */
export type SessionCounts = Omit<SessionWrite, 'dn' | 'ips'>;
export type SessionSpanCounts = SessionWrite['ips'][number];

/**
 * Where a commit's history rows go one at a time (HistoryWrites.writeTo): every user's row,
 * then every address, country, session, session address and hour. The values are history's
 * own objects, read during the call and not kept.
 */
export interface HistoryRowSink {
  /** `countsJson`: the events by type as a JSON object; `isNew` as UserWrite.isNew. */
  user(u: UserRowFields, countsJson: string, isNew: boolean): void;
  address(dn: string, a: AddressRecord): void;
  country(dn: string, c: CountryTotals): void;
  session(dn: string, s: SessionCounts): void;
  sessionIp(dn: string, sessionId: string, span: SessionSpanCounts): void;
  activity(dn: string, a: Omit<ActivityWrite, 'dn'>): void;
}

/**
 * Everything history changed since the last commit. As rows copied into the arrays, or, for
 * a store that writes a commit before its call returns (PipelineStore.writesWithinCall), as
 * `writeTo`, which hands the store history's own objects: the arrays are then empty.
 */
export interface HistoryWrites {
  /**
   * Writes the changed users' rows into `sink` from history's state as it is now: only during
   * the commit call it was collected for (the pipeline processes no event before it returns).
   */
  writeTo?(sink: HistoryRowSink): void;
  users: UserWrite[];
  addresses: Array<AddressRecord & { dn: string }>;
  countries: CountryWrite[];
  sessions: SessionWrite[];
  activity: ActivityWrite[];
  /** Users newly counted per place since the last commit: added to the stored counts. */
  organisation?: OrganisationCount[];
  /** Logout lines of users since the last commit: each confirms the user's end-session actions recorded shortly before it (ActionConfirmation). */
  logouts?: LogoutWrite[];
}

/** A user's `Logging out user '<dn>'` line. */
export interface LogoutWrite {
  dn: string;
  /** Log time (epoch ms). */
  ts: number;
  source: string;
  line: string;
}
