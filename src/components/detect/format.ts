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

/** Up to `max` items, then `and N more`. */
export function listSome(items: string[], max = 3): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}
