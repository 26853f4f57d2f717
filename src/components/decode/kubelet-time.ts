/**
 * The kubelet prefixes each line of `pods/log?timestamps=true` with an RFC 3339 stamp with up
 * to nine fractional digits, trailing zeros trimmed (`…:05.1234Z`), so raw stamps do not sort
 * as text. Normalised stamps are UTC with exactly nine digits (30 characters) and do.
 */

let cachedBase = '';
let cachedIso = '';

/** `2024-01-02T03:04:05.1234+02:00` -> `2024-01-02T01:04:05.123400000Z`; null if not a stamp. */
export function normaliseStamp(s: string): string | null {
  if (s.length < 20 || s.charCodeAt(10) !== 84 /* T */) return null;
  let i = 19;
  let frac = '';
  if (s.charCodeAt(i) === 46 /* . */) {
    let j = i + 1;
    while (j < s.length && s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) j++;
    frac = s.slice(i + 1, j);
    if (frac.length === 0 || frac.length > 9) return null;
    i = j;
  }
  const zone = s.slice(i);
  if (zone !== 'Z' && zone !== 'z' && !/^[+-]\d{2}:\d{2}$/.test(zone)) return null;
  const base = s.slice(0, 19) + (zone === 'z' ? 'Z' : zone);
  if (base !== cachedBase) {
    const ms = Date.parse(base);
    if (Number.isNaN(ms)) return null;
    cachedBase = base;
    cachedIso = new Date(ms).toISOString().slice(0, 19);
  }
  return cachedIso + '.' + frac.padEnd(9, '0') + 'Z';
}

/**
 * The `sinceTime` to ask for to get the line with this stamp again: the API server passes it
 * on to the kubelet with whole seconds, so the fraction is dropped and the repeated lines of
 * that second are skipped by the reader.
 */
export function sinceTimeOf(stamp: string): string {
  return stamp.slice(0, 19) + 'Z';
}

/** A normalised stamp as numbers: whole seconds since the epoch and nanoseconds. */
export function stampParts(normalised: string): { secs: number; nanos: number } {
  return { secs: Date.parse(normalised.slice(0, 19) + 'Z') / 1000, nanos: Number(normalised.slice(20, 29)) };
}

/** The normalised stamp of (seconds, nanoseconds). */
export function formatStamp(secs: number, nanos: number): string {
  return new Date(secs * 1000).toISOString().slice(0, 19) + '.' + String(nanos).padStart(9, '0') + 'Z';
}
