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
  return dnKeyOfSha1(dnSha1(dn));
}

function dnKeyOfSha1(sha1Hex: string): number {
  return parseInt(sha1Hex.slice(0, 13), 16);
}

const SHA1_HEX = /^[0-9a-f]{40}$/;

/**
 * The key of a user whose record carries the DN's SHA-1 (computed where the line was parsed,
 * or read back with the user): taken from it, which spares hashing the DN again (2.5 µs a
 * user written). A record whose SHA-1 is not one (a row written by hand) gets the DN's own.
 */
export function dnKeyOfUser(dn: string, sha1Hex: string): number {
  return SHA1_HEX.test(sha1Hex) ? dnKeyOfSha1(sha1Hex) : dnKeyOf(dn);
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
