/** Small formatting helpers for the sentences detectors write into `reason`. */

/** `12,345` (toLocaleString is slow enough to matter when thousands of reasons are written). */
export function int(n: number): string {
  const s = String(Math.round(Math.abs(n)));
  let out = s.length > 3 ? '' : s;
  if (s.length > 3) {
    const head = s.length % 3 || 3;
    out = s.slice(0, head);
    for (let i = head; i < s.length; i += 3) out += ',' + s.slice(i, i + 3);
  }
  return n < 0 && Math.round(n) !== 0 ? '-' + out : out;
}

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
