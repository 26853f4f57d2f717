import { createHash } from 'node:crypto';

/**
 * OpenUnison labels a user's `oidc-sessions` with `tremolo.io/user-dn` = lowercase hex SHA-1
 * of the DN's UTF-8 bytes, DN exactly as logged (no case folding, no normalisation).
 */
export function dnSha1(dn: string): string {
  return createHash('sha1').update(dn, 'utf8').digest('hex');
}
