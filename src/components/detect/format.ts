/** Small formatting helpers for the sentences detectors write into `reason`. */

export { int } from '../../core/numbers.js';

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** `5.6.7.8 (DE)`, or the bare address when its country is unknown. */
export function where(ip: string | null, country: string | null): string {
  if (ip === null) return 'an unknown address';
  return country === null ? ip : `${ip} (${country})`;
}

/** Up to `max` items, then `and N more` (of `total`: more exist than the list holds, such as addresses history let go from memory). */
export function listSome(items: string[], max = 3, total = items.length): string {
  const shown = items.slice(0, max);
  if (total <= shown.length) return shown.join(', ');
  return shown.length === 0 ? String(total) : `${shown.join(', ')} and ${total - shown.length} more`;
}
