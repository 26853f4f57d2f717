import type { AddressRecord, CountryTotals, GeoPoint, UserRecord } from '../core/history.js';

/**
 * The rows of users and their addresses as both stores return them (see rows.ts: the same
 * columns and units in SQLite and PostgreSQL), and the SQL that loads them for history.
 */

export interface UserRow {
  /** The user's number: their other rows are keyed by it. */
  id: number;
  dn: string;
  dn_sha1: string;
  first_seen: number;
  last_seen: number;
  counts: string;
  success_count: number;
  first_success: number | null;
  last_success: number | null;
  last_geo: string | null;
}

export interface AddressRow {
  dn: string;
  ip: string;
  net: string | null;
  country: string | null;
  asn: number | null;
  as_org: string | null;
  first_seen: number;
  last_seen: number;
  count: number;
  success_count: number;
  first_success: number | null;
  last_success: number | null;
  learnt: number;
  quarantined_by: string | null;
}

/**
 * The addresses of some users (`inList`: the SQL that follows `a.user_id`) that loadUsers
 * returns: every one learnt as the user's own and the most recently seen of the others (never
 * succeeded, or kept from being learnt by an alert), up to the parameter `limit` (a user
 * sprayed from a million addresses is not read whole), with what tells usersFromRows whether
 * some were left out.
 */
export function addressesOfUsersSql(inList: string, limit: string): string {
  return `SELECT * FROM (
      SELECT u.dn, a.*, ROW_NUMBER() OVER (PARTITION BY a.user_id ORDER BY a.last_seen DESC, a.ip) AS recent,
        COUNT(*) OVER (PARTITION BY a.user_id) AS stored_total,
        MIN(CASE WHEN a.learnt = 0 THEN a.last_seen END) OVER (PARTITION BY a.user_id) AS oldest_unlearnt
      FROM user_ips a JOIN users u ON u.id = a.user_id WHERE a.user_id ${inList}
    ) w WHERE learnt = 1 OR recent <= ${limit}`;
}

/** Per-country totals over every stored address of some users (`inList` follows `user_id`), for those loaded without some (UserRecord.countries). */
export function countriesOfUsersSql(inList: string): string {
  return `SELECT user_id, country, MIN(first_seen) AS first_seen, MAX(last_seen) AS last_seen, SUM(count) AS count, SUM(success_count) AS success_count,
      MIN(first_success) AS first_success, MAX(last_success) AS last_success
    FROM user_ips WHERE user_id ${inList} AND country IS NOT NULL GROUP BY user_id, country ORDER BY user_id, country`;
}

/** A row of countriesOfUsersSql: an address row's counters, summed over the user's addresses in one country. */
export type CountryTotalsRow = Pick<AddressRow, 'first_seen' | 'last_seen' | 'count' | 'success_count' | 'first_success' | 'last_success'> & { user_id: number; country: string };

/** The ids of the users (`records`, in the order of `users`, as usersFromRows returns them) loaded without some addresses: those countriesOfUsersSql is asked for. */
export function idsLoadedInPart(users: readonly UserRow[], records: readonly UserRecord[]): number[] {
  return users.filter((_, k) => records[k].oldestLeftOut !== undefined).map((u) => u.id);
}

/** Gives the users loaded without some addresses their per-country totals (rows of countriesOfUsersSql for them). */
export function withCountryTotals(records: UserRecord[], users: readonly UserRow[], rows: readonly CountryTotalsRow[]): void {
  const dnOf = new Map(users.map((u) => [Number(u.id), u.dn]));
  const byDn = new Map<string, CountryTotals[]>();
  for (const r of rows) {
    const dn = dnOf.get(Number(r.user_id));
    if (dn === undefined) continue;
    const list = byDn.get(dn) ?? [];
    list.push({
      country: r.country,
      firstSeen: Number(r.first_seen),
      lastSeen: Number(r.last_seen),
      count: Number(r.count),
      successCount: Number(r.success_count),
      firstSuccess: r.first_success === null ? null : Number(r.first_success),
      lastSuccess: r.last_success === null ? null : Number(r.last_success),
    });
    byDn.set(dn, list);
  }
  for (const rec of records) if (rec.oldestLeftOut !== undefined) rec.countries = byDn.get(rec.dn) ?? [];
}

/** An address row of addressesOfUsersSql. */
export interface LoadedAddressRow extends AddressRow {
  stored_total: number;
  oldest_unlearnt: number | null;
}

/** Users with their addresses (rows of `user_ips` for those users, in any order of users). */
export function usersFromRows(users: readonly UserRow[], addresses: Iterable<AddressRow | LoadedAddressRow>): UserRecord[] {
  const byDn = new Map<string, AddressRecord[]>();
  /** Per user of addressesOfUsersSql with an address not learnt: how many are stored, and the oldest such. */
  const stored = new Map<string, { total: number; oldestUnlearnt: number }>();
  for (const r of addresses) {
    const list = byDn.get(r.dn) ?? [];
    list.push(addressFromRow(r));
    byDn.set(r.dn, list);
    if ('stored_total' in r && r.oldest_unlearnt !== null) stored.set(r.dn, { total: Number(r.stored_total), oldestUnlearnt: Number(r.oldest_unlearnt) });
  }
  // A user whose stored addresses outnumber those returned had some not learnt left out (none older than the oldest not learnt).
  const oldestLeftOut = (dn: string): { oldestLeftOut?: number } => {
    const s = stored.get(dn);
    return s !== undefined && s.total > (byDn.get(dn)?.length ?? 0) ? { oldestLeftOut: s.oldestUnlearnt } : {};
  };
  return users.map((u) => ({
    ...oldestLeftOut(u.dn),
    dn: u.dn,
    dnSha1: u.dn_sha1,
    firstSeen: u.first_seen,
    lastSeen: u.last_seen,
    counts: JSON.parse(u.counts) as UserRecord['counts'],
    successCount: u.success_count,
    firstSuccess: u.first_success,
    lastSuccess: u.last_success,
    lastGeo: u.last_geo === null ? null : geoPointOf(u.last_geo),
    addresses: byDn.get(u.dn) ?? [],
  }));
}

export function addressFromRow(r: AddressRow): AddressRecord {
  return {
    ip: r.ip,
    net: r.net,
    country: r.country,
    asn: r.asn,
    asOrg: r.as_org,
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    count: r.count,
    successCount: r.success_count,
    firstSuccess: r.first_success,
    lastSuccess: r.last_success,
    learnt: r.learnt === 1,
    quarantinedBy: r.quarantined_by,
  };
}

/** A stored last location; one stored before radii were kept reads as exact (radius 0), as it was judged then. */
function geoPointOf(json: string): GeoPoint {
  const g = JSON.parse(json) as Omit<GeoPoint, 'radiusKm'> & { radiusKm?: number };
  return { ...g, radiusKm: typeof g.radiusKm === 'number' && g.radiusKm >= 0 ? g.radiusKm : 0 };
}
