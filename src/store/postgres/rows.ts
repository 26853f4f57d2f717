import type { AlertStatus, Severity } from '../../core/alerts.js';
import type { StoredIncident } from '../../core/incidents.js';
import type { FileCheckpoint } from '../../core/ports.js';

/** Rows as PostgreSQL returns them (BIGINT parsed as numbers: see connection.ts). */

export interface PgCheckpointRow {
  fingerprint: string;
  path: string;
  offset: number;
  line_no: number;
  dev: number | null;
  ino: number | null;
  tail_hash: string | null;
  hash_offset: number | null;
}

export function checkpointFromRow(r: PgCheckpointRow): FileCheckpoint {
  return { fingerprint: r.fingerprint, path: r.path, offset: r.offset, lineNo: r.line_no, dev: r.dev, ino: r.ino, tailHash: r.tail_hash, hashOffset: r.hash_offset };
}

export interface IncidentRow {
  id: string;
  key: string;
  dn: string | null;
  ip: string | null;
  status: AlertStatus;
  severity: Severity;
  risk: number;
  first_time: number;
  last_time: number;
  rules: string;
  closed_benign: number;
  created_at: number;
}

export function incidentFromRow(r: IncidentRow, alertIds: string[]): StoredIncident {
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
    key: r.key,
    closedBenign: r.closed_benign === 1,
  };
}
