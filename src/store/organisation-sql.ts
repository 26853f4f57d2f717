import type { OrganisationCount } from '../core/history.js';

/**
 * The queries behind `loadOrganisation`, for both stores: users per network, ASN and country
 * of their learnt addresses, most shared first. `limit` is the dialect's placeholder.
 */
export function organisationQueries(limit: string): Array<{ kind: OrganisationCount['kind']; sql: string }> {
  const query = (column: string, value: string) =>
    `SELECT ${value} AS value, COUNT(DISTINCT dn) AS users FROM user_ips WHERE learnt = 1 AND ${column} IS NOT NULL ` +
    `GROUP BY ${column} HAVING COUNT(DISTINCT dn) >= 2 ORDER BY users DESC, value LIMIT ${limit}`;
  return [
    { kind: 'net', sql: query('net', 'net') },
    { kind: 'asn', sql: query('asn', 'CAST(asn AS TEXT)') },
    { kind: 'country', sql: query('country', 'country') },
  ];
}
