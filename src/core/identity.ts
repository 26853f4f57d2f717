import { createHash } from 'node:crypto';

/**
 * OpenUnison labels a user's `oidc-sessions` with `tremolo.io/user-dn` = lowercase hex SHA-1
 * of the DN's UTF-8 bytes, DN exactly as logged (no case folding, no normalisation).
 */
export function dnSha1(dn: string): string {
  return createHash('sha1').update(dn, 'utf8').digest('hex');
}

/**
 * The first 16 hexadecimal digits of the text's SHA-256 (alert and incident ids). Made from
 * the digest's first 8 bytes rather than by slicing its 64-digit hex: V8 keeps a slice as a
 * view of the whole string, so every id held (open alerts, incidents' members) kept 121 bytes
 * alive instead of 41.
 */
export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest().toString('hex', 0, 8);
}
