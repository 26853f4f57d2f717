/**
 * A small seeded generator (mulberry32): every corpus is the same bytes for the same seed, so
 * every run measures the same input. Not for anything but test data.
 */
export type Random = () => number;

export function seeded(seed: number): Random {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [0, n). */
export function below(rand: Random, n: number): number {
  return Math.floor(rand() * n);
}

export function pickFrom<T>(rand: Random, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)];
}

const HEX = '0123456789abcdef';
export function hexDigits(rand: Random, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += HEX[Math.floor(rand() * 16)];
  return s;
}

/** An OpenUnison session id: `f` and 40 hex digits. */
export function sessionId(rand: Random): string {
  return 'f' + hexDigits(rand, 40);
}
