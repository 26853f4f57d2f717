import type { AlertResponse, AlertStatus, AlertUpdate, Evidence, Severity, StoredAlert } from '../core/alerts.js';
import type { AddressRecord, CountryTotals, GeoPoint, UserRecord } from '../core/history.js';
import type { IncidentStatus, StoredIncident } from '../core/incidents.js';
import type { FileCheckpoint } from '../core/ports.js';

/**
 * Rows as both stores return them: the same tables, columns and units in SQLite and in
 * PostgreSQL (times in epoch milliseconds, booleans as 0/1, lists and objects as JSON text;
 * PostgreSQL's BIGINT is parsed as a number), so one conversion to the domain types serves both.
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
 * returns: every one that succeeded and the most recently seen of the others, up to the
 * parameter `limit` (a user sprayed from a million addresses is not read whole), with what
 * tells usersFromRows whether some were left out.
 */
export function addressesOfUsersSql(inList: string, limit: string): string {
  return `SELECT * FROM (
      SELECT u.dn, a.*, ROW_NUMBER() OVER (PARTITION BY a.user_id ORDER BY a.last_seen DESC, a.ip) AS recent,
        COUNT(*) OVER (PARTITION BY a.user_id) AS stored_total,
        MIN(CASE WHEN a.success_count = 0 THEN a.last_seen END) OVER (PARTITION BY a.user_id) AS oldest_failure
      FROM user_ips a JOIN users u ON u.id = a.user_id WHERE a.user_id ${inList}
    ) w WHERE success_count > 0 OR recent <= ${limit}`;
}

/** Per-country totals over every stored address of some users (`inList` follows `user_id`), for those loaded without some (UserRecord.countries). */
export function countriesOfUsersSql(inList: string): string {
  return `SELECT user_id, country, MIN(first_seen) AS first_seen, MAX(last_seen) AS last_seen, SUM(count) AS count, SUM(success_count) AS success_count,
      MIN(first_success) AS first_success, MAX(last_success) AS last_success
    FROM user_ips WHERE user_id ${inList} AND country IS NOT NULL GROUP BY user_id, country ORDER BY user_id, country`;
}

export interface CountryTotalsRow {
  user_id: number;
  country: string;
  first_seen: number;
  last_seen: number;
  count: number;
  success_count: number;
  first_success: number | null;
  last_success: number | null;
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
  oldest_failure: number | null;
}

/** Users with their addresses (rows of `user_ips` for those users, in any order of users). */
export function usersFromRows(users: readonly UserRow[], addresses: Iterable<AddressRow | LoadedAddressRow>): UserRecord[] {
  const byDn = new Map<string, AddressRecord[]>();
  /** Per user of addressesOfUsersSql with an address that never succeeded: how many are stored, and the oldest such. */
  const stored = new Map<string, { total: number; oldestFailure: number }>();
  for (const r of addresses) {
    const list = byDn.get(r.dn) ?? [];
    list.push(addressFromRow(r));
    byDn.set(r.dn, list);
    if ('stored_total' in r && r.oldest_failure !== null) stored.set(r.dn, { total: Number(r.stored_total), oldestFailure: Number(r.oldest_failure) });
  }
  // A user whose stored addresses outnumber those returned had the oldest that never succeeded left out.
  const oldestLeftOut = (dn: string): { oldestLeftOut?: number } => {
    const s = stored.get(dn);
    return s !== undefined && s.total > (byDn.get(dn)?.length ?? 0) ? { oldestLeftOut: s.oldestFailure } : {};
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

export interface AlertRow {
  id: string;
  rule: string;
  severity: Severity;
  time: number;
  last_time: number;
  count: number;
  dn: string | null;
  dn_sha1: string | null;
  ip: string | null;
  country: string | null;
  reason: string;
  evidence: string;
  status: AlertStatus;
  respond: number;
  response: string | null;
  closed_benign: number;
  risk: number;
  /** NULL when the evidence holds every line (only longer evidence stores its total). */
  evidence_total: number | null;
  suppress_key: string | null;
}

export function alertFromRow(r: AlertRow): StoredAlert {
  const evidence = JSON.parse(r.evidence) as Evidence[];
  return {
    id: r.id,
    rule: r.rule,
    severity: r.severity,
    time: new Date(r.time).toISOString(),
    dn: r.dn,
    dnSha1: r.dn_sha1,
    ip: r.ip,
    country: r.country,
    reason: r.reason,
    evidence,
    status: r.status,
    response: r.response === null ? null : (JSON.parse(r.response) as AlertResponse),
    count: r.count,
    lastTime: new Date(r.last_time).toISOString(),
    respond: r.respond === 1,
    risk: r.risk ?? 0,
    evidenceTotal: Math.max(r.evidence_total ?? 0, evidence.length),
    suppressKey: r.suppress_key ?? null,
  };
}

export interface IncidentRow {
  id: string;
  key: string;
  dn: string | null;
  ip: string | null;
  status: IncidentStatus;
  severity: Severity;
  risk: number;
  first_time: number;
  last_time: number;
  rules: string;
  closed_benign: number;
  created_at: number;
}

/**
 * `alertIds`: the incident's alerts, oldest first (another table: the caller loads them);
 * `alertCount` when they are only the latest of them.
 */
export function incidentFromRow(r: IncidentRow, alertIds: string[], alertCount = alertIds.length): StoredIncident {
  return {
    id: r.id,
    status: r.status,
    severity: r.severity,
    risk: r.risk,
    dn: r.dn,
    ip: r.ip,
    firstTime: new Date(r.first_time).toISOString(),
    lastTime: new Date(r.last_time).toISOString(),
    rules: JSON.parse(r.rules) as string[],
    alertIds,
    alertCount,
    key: r.key,
    closedBenign: r.closed_benign === 1,
  };
}

/**
 * An open incident as detection takes it up at start: its alert count, none of its ids. Reading
 * the ids back (ordered by their alerts' times, a join over every link) took most of a second
 * per 200,000 links at each start; new alerts join it all the same, and the ids the running
 * process gives it are the ones it holds (HELD_ALERT_IDS in core/incidents.ts).
 */
export function openIncidentFromRow(r: IncidentRow, alertCount: number): StoredIncident {
  return incidentFromRow(r, [], alertCount);
}

export interface CheckpointRow {
  fingerprint: string;
  path: string;
  offset: number;
  line_no: number;
  dev: number | null;
  ino: number | null;
  tail_hash: string | null;
  hash_offset: number | null;
}

export function checkpointFromRow(r: CheckpointRow): FileCheckpoint {
  return { fingerprint: r.fingerprint, path: r.path, offset: r.offset, lineNo: r.line_no, dev: r.dev, ino: r.ino, tailHash: r.tail_hash, hashOffset: r.hash_offset };
}

/**
 * SQL (the same on SQLite and PostgreSQL) for the evidence column with the lines of `added`
 * appended: `added` is a JSON array's text, or NULL for none. Both are compact JSON arrays,
 * so splicing the texts gives exactly what JSON.stringify of the whole would.
 */
export function appendedEvidenceSql(column: string, added: string): string {
  return `CASE WHEN ${added} IS NULL THEN ${column} WHEN ${column} = '[]' THEN ${added} ELSE substr(${column}, 1, length(${column}) - 1) || ',' || substr(${added}, 2) END`;
}

/** The JSON text of the evidence lines an update appends, or null for none. */
export function addedEvidenceJson(a: AlertUpdate): string | null {
  return a.evidenceAdded.length === 0 ? null : JSON.stringify(a.evidenceAdded);
}

/** Ids per query of `alertsByIds`. */
const ID_BATCH = 1_000;

/**
 * The alerts of `ids` that exist, in the order of `ids` (a repeated id once), read `ID_BATCH`
 * ids per query by `fetch`, each store's query for the rows of some ids.
 */
export async function alertsByIds(ids: readonly string[], fetch: (part: string[]) => AlertRow[] | Promise<AlertRow[]>): Promise<StoredAlert[]> {
  const found = new Map<string, StoredAlert>();
  for (let at = 0; at < ids.length; at += ID_BATCH) {
    for (const r of await fetch(ids.slice(at, at + ID_BATCH))) found.set(r.id, alertFromRow(r));
  }
  const out: StoredAlert[] = [];
  for (const id of ids) {
    const a = found.get(id);
    if (a === undefined) continue;
    found.delete(id);
    out.push(a);
  }
  return out;
}

/** A stored last location; one stored before radii were kept reads as exact (radius 0), as it was judged then. */
function geoPointOf(json: string): GeoPoint {
  const g = JSON.parse(json) as Omit<GeoPoint, 'radiusKm'> & { radiusKm?: number };
  return { ...g, radiusKm: typeof g.radiusKm === 'number' && g.radiusKm >= 0 ? g.radiusKm : 0 };
}
