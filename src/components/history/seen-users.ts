/** Registers of the sketch: 2^16 (64 KiB), a standard error of about 0.4 %. */
const INDEX_BITS = 16;
const REGISTERS = 1 << INDEX_BITS;
const ALPHA = 0.7213 / (1 + 1.079 / REGISTERS);

/** How many distinct users a run saw, and whether that is a count or an estimate. */
export interface SeenCount {
  readonly users: number;
  readonly exact: boolean;
}

/**
 * The distinct users a run saw, in bounded memory. A user held in memory carries a flag
 * (seen in this run), so the count is exact while every user seen is still held. Memory lets
 * users go, though (after a commit, or when retention deletes them), and one who comes back
 * is loaded without the flag: counting them again would report a returning user twice. From
 * the first user seen and let go, the count is a HyperLogLog estimate over the DNs' SHA-1
 * instead (never above the exact count, which then counts returns twice), rather than a set
 * of every DN seen that would grow with the input.
 */
export class SeenUsers {
  private counted = 0;
  private lostTrack = false;
  private readonly registers = new Uint8Array(REGISTERS);

  /** A user's first event in this run since they were loaded or created. `dnSha1`: 40 hex digits. */
  add(dnSha1: string): void {
    this.counted++;
    const index = parseInt(dnSha1.slice(0, 4), 16);
    const high = parseInt(dnSha1.slice(4, 12), 16);
    const low = parseInt(dnSha1.slice(12, 20), 16);
    // The rank is the position of the first 1 bit in the 64 bits that follow the index.
    const rank = high !== 0 ? Math.clz32(high) + 1 : low !== 0 ? 33 + Math.clz32(low) : 65;
    if (rank > this.registers[index]) this.registers[index] = rank;
  }

  /** A user seen in this run was let go from memory: if they come back they are added again. */
  letGo(): void {
    this.lostTrack = true;
  }

  count(): SeenCount {
    if (!this.lostTrack) return { users: this.counted, exact: true };
    return { users: Math.min(this.counted, Math.round(this.estimate())), exact: false };
  }

  private estimate(): number {
    let sum = 0;
    let zeros = 0;
    for (let j = 0; j < REGISTERS; j++) {
      const r = this.registers[j];
      sum += 2 ** -r;
      if (r === 0) zeros++;
    }
    const raw = (ALPHA * REGISTERS * REGISTERS) / sum;
    // Few users for this many registers: counting the empty ones is the better estimate.
    if (raw <= 2.5 * REGISTERS && zeros > 0) return REGISTERS * Math.log(REGISTERS / zeros);
    return raw;
  }
}
