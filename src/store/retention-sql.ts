/** The history tables and the column a retention cutoff is compared with (user_activity: its hour's start). */
const HISTORY_TIMES: ReadonlyArray<[table: string, column: string]> = [
  ['users', 'last_seen'],
  ['user_ips', 'last_seen'],
  ['user_countries', 'last_seen'],
  ['sessions', 'last_seen'],
  ['session_ips', 'last_seen'],
  ['user_activity', 'hour'],
];

/** One query for the oldest time of the history tables among `has` (SQLite and PostgreSQL alike), or null when none exists. */
export function oldestHistorySql(has: (table: string) => boolean): string | null {
  const parts = HISTORY_TIMES.filter(([t]) => has(t)).map(([t, c]) => `SELECT MIN(${c}) AS t FROM ${t}`);
  return parts.length === 0 ? null : `SELECT MIN(t) AS t FROM (${parts.join(' UNION ALL ')}) AS oldest`;
}
