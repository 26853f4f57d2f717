import { hexValue } from '../../core/numbers.js';

/**
 * The users a run let go from memory, as a Bloom filter of their DNs' SHA-1s, kept by a run
 * that began with a store holding no user. Every stored user is then either in memory or was
 * let go, so a DN the filter was never given is nobody's in the store and need not be asked
 * for: a first replay of a million users otherwise asked the store about each of them, to
 * find nobody (loadUsers, 2.4 s of a 70 s replay of 2,000,000 lines).
 *
 * Fixed size (2 MiB, made at the first user let go): 1,000,000 users let go answer "maybe"
 * for 0.2 % of the others, 5,000,000 for a quarter; a "maybe" is only a question the store
 * answers, so a fuller filter costs lookups, never a wrong answer.
 */
export class LetGoFilter {
  private bits: Uint32Array | null = null;

  /** A user with this DN SHA-1 (40 hexadecimal digits) was let go. */
  add(sha1: string): void {
    const bits = (this.bits ??= new Uint32Array(WORDS));
    for (let i = 0; i < PROBES; i++) {
      const bit = bitOf(sha1, i);
      bits[bit >>> 5] |= 1 << (bit & 31);
    }
  }

  /** False when no user with this DN SHA-1 was let go; true when one may have been. */
  mightHold(sha1: string): boolean {
    const bits = this.bits;
    if (bits === null) return false;
    for (let i = 0; i < PROBES; i++) {
      const bit = bitOf(sha1, i);
      if ((bits[bit >>> 5] & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}

/** Bits per position: 24, from six hexadecimal digits of the SHA-1 (already uniform: no hashing). */
const BITS_PER_PROBE = 24;
const WORDS = (1 << BITS_PER_PROBE) / 32;
const PROBES = 4;

/** The `i`th position: digits 6i to 6i+5 of the SHA-1 (any character that is not a hex digit counts as 0). */
function bitOf(sha1: string, i: number): number {
  let v = 0;
  for (let d = i * 6, end = d + 6; d < end; d++) v = (v << 4) | Math.max(0, hexValue(sha1.charCodeAt(d)));
  return v;
}
