/**
 * How long the store keeps what it no longer needs. Ages of history and alerts are measured in
 * log time, back from the newest log time the store holds (so replaying an old archive never
 * deletes its own history); actions and delivered notifications, which happen at wall-clock
 * time, in wall-clock time. Open and acknowledged alerts and incidents are never deleted.
 * `null` keeps that kind forever.
 */
export interface RetentionPolicy {
  /** Per-user history (users, addresses, countries, sessions, hourly activity) not seen for this long, in ms. */
  events: number | null;
  /** Closed alerts last seen this long ago (with their status changes), in ms. */
  alerts: number | null;
  /** Closed incidents last seen this long ago, in ms. */
  incidents: number | null;
}

/** Rows deleted, by table, and the reference log time the ages were measured from. */
export interface RetentionReport {
  /** Newest log time in the store (epoch ms), null for an empty store. */
  newestLogTime: number | null;
  deleted: Record<string, number>;
  /** The pass was stopped (its signal) before its last step: what it left goes at the next one. */
  stopped?: boolean;
}

/**
 * Rows deleted by table, as `users 3, sessions 2` (tables with none left out unless `zeros`:
 * prune lists every table it looked at), each count through `format`.
 */
export function listDeleted(deleted: Record<string, number>, opts: { zeros?: boolean; format?: (n: number) => string } = {}): string {
  const format = opts.format ?? String;
  return Object.entries(deleted)
    .filter(([, n]) => opts.zeros === true || n > 0)
    .map(([table, n]) => `${table} ${format(n)}`)
    .join(', ');
}

export function totalDeleted(r: Pick<RetentionReport, 'deleted'>): number {
  return Object.values(r.deleted).reduce((a, b) => a + b, 0);
}
