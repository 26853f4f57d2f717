import * as crypto from 'node:crypto';

type Digestible = string | Uint8Array;

/**
 * One digest of `data`: `crypto.hash` (Node 20.12 and later) makes no Hash object, a third of
 * createHash's time for the short inputs hashed here (an alert's key, a DN, a checkpoint's
 * tail); createHash on the Node versions before it.
 */
const oneShot = typeof crypto.hash === 'function';

function digest(algorithm: 'sha1' | 'sha256', data: Digestible): Buffer {
  return oneShot ? crypto.hash(algorithm, data, 'buffer') : crypto.createHash(algorithm).update(data).digest();
}

/** Lowercase hex SHA-1 of `data` (a string as UTF-8). */
export function sha1Hex(data: Digestible): string {
  return oneShot ? crypto.hash('sha1', data, 'hex') : crypto.createHash('sha1').update(data).digest('hex');
}

/**
 * OpenUnison labels a user's `oidc-sessions` with `tremolo.io/user-dn` = lowercase hex SHA-1
 * of the DN's UTF-8 bytes, DN exactly as logged (no case folding, no normalisation).
 */
export function dnSha1(dn: string): string {
  return sha1Hex(dn);
}

/**
 * The first 16 hexadecimal digits of the text's SHA-256 (alert and incident ids). Made from
 * the digest's first 8 bytes rather than by slicing its 64-digit hex: V8 keeps a slice as a
 * view of the whole string, so every id held (open alerts, incidents' members) kept 121 bytes
 * alive instead of 41.
 */
export function shortHash(text: string): string {
  return digest('sha256', text).toString('hex', 0, 8);
}
