import type { CountryStats, GeoPoint, IpStats, UserState } from '../../core/history.js';
import type { EventType } from '../../core/events.js';

/** A row of user_ips / user_countries (the address or country is `key`). */
export interface StatsRow {
  key: string;
  country?: string | null;
  first_seen: number;
  last_seen: number;
  count: number;
  first_success: number | null;
  last_success: number | null;
  success_count: number;
}

/**
 * Counters of one address or country of a user. A class rather than object literals so every
 * instance shares one hidden class: the hot path updates millions of them.
 */
export class TrackedStats implements IpStats {
  count = 0;
  firstSuccess: number | null = null;
  lastSuccess: number | null = null;
  successCount = 0;
  /** Changed since the last flush. */
  dirty = false;
  constructor(
    public country: string | null,
    public firstSeen: number,
    public lastSeen: number,
  ) {}

  bump(t: number, success: boolean): void {
    this.count++;
    if (t < this.firstSeen) this.firstSeen = t;
    if (t > this.lastSeen) this.lastSeen = t;
    if (success) {
      this.successCount++;
      if (this.firstSuccess === null || t < this.firstSuccess) this.firstSuccess = t;
      if (this.lastSuccess === null || t > this.lastSuccess) this.lastSuccess = t;
    }
  }

  static fromRow(r: StatsRow): TrackedStats {
    const st = new TrackedStats(r.country ?? null, r.first_seen, r.last_seen);
    st.count = r.count;
    st.firstSuccess = r.first_success;
    st.lastSuccess = r.last_success;
    st.successCount = r.success_count;
    return st;
  }
}

/** One shape for every user; `counts` has every event type from the start for the same reason. */
export class TrackedUser implements UserState {
  counts: Record<EventType, number> = zeroCounts();
  successCount = 0;
  firstSuccess: number | null = null;
  lastSuccess: number | null = null;
  ips = new Map<string, TrackedStats>();
  countries = new Map<string, TrackedStats>();
  lastGeo: GeoPoint | null = null;
  constructor(
    readonly dn: string,
    readonly dnSha1: string,
    public firstSeen: number,
    public lastSeen = firstSeen,
  ) {}
}

export function zeroCounts(): Record<EventType, number> {
  return { AuSuccess: 0, AuFail: 0, AzSuccess: 0, AzFail: 0, NotFound: 0, Error: 0, ExpiredRefreshTokenUsed: 0, IdpWarning: 0, Logout: 0 };
}

/** The counts column keeps only the event types that occurred. */
export function countsJson(counts: Record<EventType, number>): string {
  const out: Partial<Record<EventType, number>> = {};
  for (const [k, v] of Object.entries(counts) as Array<[EventType, number]>) if (v) out[k] = v;
  return JSON.stringify(out);
}

export type { CountryStats };
