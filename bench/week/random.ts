/**
 * Seeded randomness for the week corpus. Every part of the week (each person, each attack,
 * the background noise) draws from its own stream, forked from the seed by a label, so a
 * change to one part does not shift the random choices of every other part.
 */
export class Rng {
  private s: number;

  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  /** A new independent stream for `label`, the same for the same seed and label. */
  static of(seed: number, label: string): Rng {
    let h = 0x811c9dc5 ^ (seed >>> 0);
    for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
    return new Rng(h >>> 0);
  }

  fork(label: string): Rng {
    return Rng.of(Math.floor(this.next() * 2 ** 32), label);
  }

  /** mulberry32: uniform in [0, 1). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** One of `entries`, each chosen with a probability proportional to its weight. */
  weighted<T>(entries: readonly (readonly [T, number])[]): T {
    const total = entries.reduce((n, [, w]) => n + w, 0);
    let r = this.next() * total;
    for (const [v, w] of entries) {
      r -= w;
      if (r < 0) return v;
    }
    return entries[entries.length - 1][0];
  }

  /** Exponentially distributed with the given mean (waiting times of a Poisson process). */
  exp(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  /** Normally distributed (Box-Muller), clamped to [lo, hi]. */
  normal(mean: number, sd: number, lo = -Infinity, hi = Infinity): number {
    const u = 1 - this.next();
    const v = this.next();
    const x = mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    return Math.min(hi, Math.max(lo, x));
  }

  hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[Math.floor(this.next() * 16)];
    return s;
  }

  /** A uniformly random BigInt in [0, span). */
  bigBelow(span: bigint): bigint {
    const bits = span.toString(16).length * 4 + 16;
    const r = BigInt('0x' + this.hex(Math.ceil(bits / 4)));
    return r % span;
  }

  /** An OpenUnison session id: `f` and 40 hex digits. */
  sessionId(): string {
    return 'f' + this.hex(40);
  }
}
