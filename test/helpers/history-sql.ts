/**
 * History rows are keyed by the user's number, which a store gives out in the order it first
 * wrote each user: two runs that committed at other moments number the same users otherwise.
 * To compare them, or to read them by DN, a test selects a history table with its user's DN
 * in place of the number (LEFT JOIN: a row of no stored user shows with a null DN).
 */

/** The history tables keyed by user_id. */
const KEYED_BY_USER = new Set(['user_ips', 'user_countries', 'sessions', 'session_ips', 'user_activity']);

/** The store's own numbers, left out when rows of two stores are compared. */
export const USER_NUMBERS = ['id', 'user_id'];

/** `SELECT` of `table`'s rows, with `dn` for the user's number's DN, ordered by `order` (which may name `dn`). */
export function historySql(table: string, order: string): string {
  if (!KEYED_BY_USER.has(table)) return `SELECT * FROM ${table} ORDER BY ${order}`;
  return `SELECT u.dn AS dn, t.* FROM ${table} t LEFT JOIN users u ON u.id = t.user_id ORDER BY ${order}`;
}

/** The row without the store's numbers. */
export function withoutNumbers<T extends Record<string, unknown>>(row: T): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...row };
  for (const c of USER_NUMBERS) delete copy[c];
  return copy;
}
