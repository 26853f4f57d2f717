import type { OrganisationCount } from '../core/history.js';

/**
 * The organisation's counts (users with a learnt address per network, ASN and country) are
 * kept in `organisation_counts`, added to by every commit, so that a start reads a few
 * thousand rows instead of grouping every user's addresses (seconds on a million users).
 * These statements, the same for both stores, read them and count them again from
 * `user_ips` where adding is not enough: after retention deleted addresses, and after
 * analysts' benign closes made addresses learnt in the store.
 */
export function organisationQueries(limit: string): Array<{ kind: OrganisationCount['kind']; sql: string }> {
  // Places of one user too: memory must count from where the store left off, or a second user
  // after a restart would make 1 where an uninterrupted run makes 2 (session-moved asks for 2).
  const query = (kind: OrganisationCount['kind']) => `SELECT value, users FROM organisation_counts WHERE kind = '${kind}' ORDER BY users DESC, value LIMIT ${limit}`;
  return [
    { kind: 'net', sql: query('net') },
    { kind: 'asn', sql: query('asn') },
    { kind: 'country', sql: query('country') },
  ];
}

/**
 * After counts were taken back (an address learnt moments before was un-learnt when an alert
 * was raised on it), places no user has any more: not kept at zero.
 */
export const DROP_EMPTY_ORGANISATION_COUNTS = 'DELETE FROM organisation_counts WHERE users <= 0';

/** Counts every place again from the users' learnt addresses. */
export const RECOUNT_ORGANISATION: readonly string[] = [
  'DELETE FROM organisation_counts',
  `INSERT INTO organisation_counts (kind, value, users)
     SELECT 'net', net, COUNT(DISTINCT user_id) FROM user_ips WHERE learnt = 1 AND net IS NOT NULL GROUP BY net`,
  `INSERT INTO organisation_counts (kind, value, users)
     SELECT 'asn', CAST(asn AS TEXT), COUNT(DISTINCT user_id) FROM user_ips WHERE learnt = 1 AND asn IS NOT NULL GROUP BY asn`,
  `INSERT INTO organisation_counts (kind, value, users)
     SELECT 'country', country, COUNT(DISTINCT user_id) FROM user_ips WHERE learnt = 1 AND country IS NOT NULL GROUP BY country`,
];
