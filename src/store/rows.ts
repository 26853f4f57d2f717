import type { AlertResponse, AlertStatus, AlertUpdate, Evidence, Severity, StoredAlert } from '../core/alerts.js';
import type { IncidentStatus, StoredIncident } from '../core/incidents.js';
import type { FileCheckpoint } from '../core/ports.js';

/**
 * Rows as both stores return them: the same tables, columns and units in SQLite and in
 * PostgreSQL (times in epoch milliseconds, booleans as 0/1, lists and objects as JSON text;
 * PostgreSQL's BIGINT is parsed as a number), so one conversion to the domain types serves both.
 */

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
