/** A small seeded generator (mulberry32): the same seed draws the same addresses on every run. */
export function random(seed: number): { u32(): number; int(below: number): number } {
  let state = seed >>> 0;
  const u32 = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  return { u32, int: (below) => u32() % below };
}
