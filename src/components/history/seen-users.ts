/** Registers of the sketch: 2^16 (64 KiB), a standard error of about 0.4 %. */
const INDEX_BITS = 16;
const REGISTERS = 1 << INDEX_BITS;
const ALPHA = 0.7213 / (1 + 1.079 / REGISTERS);
/**
 * The bitmap of users let go: 2^23 bits (1 MiB), three per user (a Bloom filter). A user
 * whose bits others set only makes the count an estimate: with 10,000 users let go, about
 * one new user in 20 million is taken for a return; with 200,000, one in 3,000.
 */
const LET_GO_BITS = 23;
/** Where each of a user's three bits comes from: 6 hex digits of the DN's SHA-1 (the sketch uses the first 20). */
const MARK_DIGITS = [20, 26, 32] as const;

/** How many distinct users a run saw, and whether that is a count or an estimate. */
export interface SeenCount {
  readonly users: number;
  readonly exact: boolean;
}

/**
 * The distinct users a run saw, in bounded memory. A user held in memory carries a flag
 * (seen in this run), so the count is exact while every user seen is still held. Memory lets
 * users go, though (after a commit, or when retention deletes them), and one who comes back
 * is loaded without the flag: counting them again would report a returning user twice. Users
 * let go are marked in a bitmap by their DN's hash; from the first user added whose mark is
 * set (one who came back, or a collision), the count is a HyperLogLog estimate over the DNs'
 * SHA-1 instead (never above the exact count, which then counts returns twice), rather than a
 * set of every DN seen that would grow with the input. Users let go who never come back leave
 * the count exact.
 */
export class SeenUsers {
  private counted = 0;
  private lostTrack = false;
  private readonly registers = new Uint8Array(REGISTERS);
  private readonly letGoMarks = new Uint8Array(1 << (LET_GO_BITS - 3));

  /** A user's first event in this run since they were loaded or created. `dnSha1`: 40 hex digits. */
  add(dnSha1: string): void {
    if (!this.lostTrack && MARK_DIGITS.every((at) => this.marked(markOf(dnSha1, at)))) this.lostTrack = true;
    this.counted++;
    const index = parseInt(dnSha1.slice(0, 4), 16);
    const high = parseInt(dnSha1.slice(4, 12), 16);
    const low = parseInt(dnSha1.slice(12, 20), 16);
    // The rank is the position of the first 1 bit in the 64 bits that follow the index.
    const rank = high !== 0 ? Math.clz32(high) + 1 : low !== 0 ? 33 + Math.clz32(low) : 65;
    if (rank > this.registers[index]) this.registers[index] = rank;
  }

  /** A user seen in this run was let go from memory: if they come back they are added again. */
  letGo(dnSha1: string): void {
    for (const at of MARK_DIGITS) this.mark(markOf(dnSha1, at));
  }

  private mark(bit: number): void {
    this.letGoMarks[bit >>> 3] |= 1 << (bit & 7);
  }

  private marked(bit: number): boolean {
    return (this.letGoMarks[bit >>> 3] & (1 << (bit & 7))) !== 0;
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

/** One of a user's bits in the let-go bitmap, from the hex digits at `at`. */
function markOf(dnSha1: string, at: number): number {
  return parseInt(dnSha1.slice(at, at + 6), 16) & ((1 << LET_GO_BITS) - 1);
}
