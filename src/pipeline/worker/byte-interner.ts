import { randomInt } from 'node:crypto';
import { powerOfTwoAtLeast } from '../../core/numbers.js';

/** Slots a table starts with: it doubles as it fills, so a short run does not pay for a full one. */
const FIRST_SLOTS = 1024;

/**
 * One generation: an open-addressing table over the entries' bytes, kept in an arena. It
 * holds at most `capacity` entries and keeps at least twice as many slots as entries, growing
 * by doubling (a replay of a few lines used to zero 3 MB of slots on the ingest thread's
 * critical path at start-up).
 */
class Generation {
  hashes: Int32Array;
  ids: Int32Array;
  offsets: Int32Array;
  lengths: Int32Array;
  arena: Buffer = Buffer.allocUnsafe(64 * 1024);
  used = 0;
  size = 0;
  mask: number;

  constructor(readonly capacity: number) {
    const slots = Math.min(FIRST_SLOTS, powerOfTwoAtLeast(capacity * 2));
    this.mask = slots - 1;
    this.hashes = new Int32Array(slots);
    this.ids = new Int32Array(slots).fill(-1);
    this.offsets = new Int32Array(slots);
    this.lengths = new Int32Array(slots);
  }

  /** Whether the next insert needs more slots first (more than half would be taken). */
  get crowded(): boolean {
    return (this.size + 1) * 2 > this.mask + 1;
  }

  /** Twice the slots, every entry placed again by its stored hash (its bytes stay where they are in the arena). */
  grow(): void {
    const { hashes, ids, offsets, lengths } = this;
    const slots = (this.mask + 1) * 2;
    const mask = slots - 1;
    this.hashes = new Int32Array(slots);
    this.ids = new Int32Array(slots).fill(-1);
    this.offsets = new Int32Array(slots);
    this.lengths = new Int32Array(slots);
    this.mask = mask;
    for (let old = 0; old < ids.length; old++) {
      if (ids[old] < 0) continue;
      let slot = hashes[old] & mask;
      while (this.ids[slot] >= 0) slot = (slot + 1) & mask;
      this.hashes[slot] = hashes[old];
      this.ids[slot] = ids[old];
      this.offsets[slot] = offsets[old];
      this.lengths[slot] = lengths[old];
    }
  }

  /** The slot holding these bytes, or the empty slot where they would go (as ~slot). */
  find(h: number, buf: Uint8Array, start: number, end: number): number {
    const len = end - start;
    let slot = h & this.mask;
    const arena = this.arena;
    for (;;) {
      if (this.ids[slot] < 0) return ~slot;
      if (this.hashes[slot] === h && this.lengths[slot] === len) {
        const off = this.offsets[slot];
        let i = 0;
        while (i < len && arena[off + i] === buf[start + i]) i++;
        if (i === len) return slot;
      }
      slot = (slot + 1) & this.mask;
    }
  }

  insert(emptySlot: number, h: number, id: number, buf: Uint8Array, start: number, end: number): void {
    const len = end - start;
    if (this.used + len > this.arena.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.arena.length * 2, this.used + len));
      this.arena.copy(grown, 0, 0, this.used);
      this.arena = grown;
    }
    this.arena.set(buf.subarray(start, end), this.used);
    this.hashes[emptySlot] = h;
    this.ids[emptySlot] = id;
    this.offsets[emptySlot] = this.used;
    this.lengths[emptySlot] = len;
    this.used += len;
    this.size++;
  }
}

/**
 * Gives each distinct byte string (a DN, an address, a session id...) an integer id, so
 * that the main thread keys its state by numbers and each string crosses the thread boundary
 * once. Ids only ever increase. Memory is bounded: when the table is full it starts over, and a
 * value seen again gets a new id (and is sent again). Ids in the batches not yet consumed
 * therefore lie within the last ids handed out, which the main thread keeps in a ring.
 * The hash is seeded per process, so crafted values cannot be made to collide in advance.
 */
export class ByteInterner {
  private current: Generation;
  private nextId = 0;
  /** The first id of the current table: see `floor`. */
  private currentFrom = 0;
  /** New entries since the last `takeAdded`, as [id, value] pairs. */
  private added: Array<number | string> = [];
  private readonly seed = randomInt(0x7fffffff) | 1;

  constructor(readonly capacity: number) {
    this.current = new Generation(capacity);
  }

  /** The id of `buf[start, end)`; `isNew` tells whether it was just assigned. */
  id(buf: Uint8Array, start: number, end: number): number {
    let h = this.seed;
    for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i], 16777619);
    h ^= h >>> 15;
    const cur = this.current;
    const slot = cur.find(h, buf, start, end);
    if (slot >= 0) return cur.ids[slot];
    return this.assign(h, ~slot, buf, start, end);
  }

  /** Ids assigned by `id` since the last call, and their values (UTF-8 decoded). */
  takeAdded(): Array<number | string> {
    const out = this.added;
    this.added = [];
    return out;
  }

  /** The last id handed out + 1. */
  get issued(): number {
    return this.nextId;
  }

  /**
   * The smallest id `id()` can return from now on: the ids of the current table. Those handed
   * out before it started over are never returned again (a value seen again gets a new one).
   */
  get floor(): number {
    return this.currentFrom;
  }

  private assign(h: number, emptySlot: number, buf: Uint8Array, start: number, end: number): number {
    let cur = this.current;
    if (cur.size >= cur.capacity) {
      cur = this.current = new Generation(this.capacity);
      this.currentFrom = this.nextId;
      emptySlot = ~cur.find(h, buf, start, end);
    }
    if (cur.crowded) {
      cur.grow();
      emptySlot = ~cur.find(h, buf, start, end);
    }
    const id = this.nextId++;
    cur.insert(emptySlot, h, id, buf, start, end);
    this.added.push(id, Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('utf8'));
    return id;
  }
}
