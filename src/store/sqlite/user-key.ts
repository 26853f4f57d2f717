import { dnSha1 } from '../../core/identity.js';
import type { Db } from './database.js';

/**
 * A user's key (schema version 15): the first 52 bits of their DN's SHA-1, an integer. The
 * users' index is on it rather than on the DN: an index of a million DNs is five times
 * larger than the page cache, and every commit of users new in random order rewrote most of
 * its pages (a million users in commits of 10,000: 0.58x the writes' time with this index).
 * It is not unique: two DNs may share a key (a collision can be searched for, and a DN is
 * text an attacker chooses), so every lookup also compares the DN, and the writer finds a
 * user before it inserts one.
 */
export function dnKeyOf(dn: string): number {
  return parseInt(dnSha1(dn).slice(0, 13), 16);
}

/** The schema version from which users are found by their key. */
export const DN_KEY_VERSION = 15;

/** Registers `ouwatch_dn_key(dn)`, which migration 15 fills the key of each stored user with. */
export function registerDnKey(db: Db): void {
  db.function('ouwatch_dn_key', { deterministic: true }, (dn: unknown) => dnKeyOf(String(dn)));
}

/**
 * How a reader finds one user by DN in `db`, whichever readable schema version it has: by the
 * key from version 15 (the DN has no index of its own there), by the DN before.
 */
export function userByDn(db: Db, alias = 'users'): { where: string; params(dn: string): unknown[] } {
  const keyed = (db.pragma('user_version', { simple: true }) as number) >= DN_KEY_VERSION;
  return keyed
    ? { where: `${alias}.dn_key = ? AND ${alias}.dn = ?`, params: (dn) => [dnKeyOf(dn), dn] }
    : { where: `${alias}.dn = ?`, params: (dn) => [dn] };
}
