import { powerOfTwoAtLeast } from '../core/numbers.js';

/**
 * Values by interned id (see the worker's ByteInterner): ids only increase and every id still
 * referenced lies within the last `size` ids issued, so a ring indexed by `id & (size - 1)`
 * holds them all in fixed memory. Reading an id that was overwritten is a bug, not a miss.
 *
 * The ring starts small and doubles until it reaches `size`: a short replay issues a few
 * thousand ids, and the four rings at full size (650,000 slots) took 13 ms to allocate at
 * every start and gave the first collection 8 MB to scan. Until the ring is full no id has
 * wrapped, so each id held sits at its own index and growing copies them as they are.
 */
export class IdRing<T> {
  private ids: Int32Array;
  private values: Array<T | undefined>;
  private mask: number;
  private readonly max: number;

  constructor(size: number, initial = 1024) {
    const n = powerOfTwoAtLeast(size);
    this.max = n;
    const start = powerOfTwoAtLeast(Math.min(initial, n));
    this.mask = start - 1;
    this.ids = new Int32Array(start).fill(-1);
    this.values = new Array<T | undefined>(start);
  }

  /** Slots held now (grows to the size given, then stays). */
  get capacity(): number {
    return this.mask + 1;
  }

  set(id: number, value: T): void {
    if (id > this.mask && this.mask + 1 < this.max) this.grow(id);
    const slot = id & this.mask;
    this.ids[slot] = id;
    this.values[slot] = value;
  }

  get(id: number): T {
    const slot = id & this.mask;
    if (this.ids[slot] !== id) throw new Error(`interned id ${id} is no longer held (the ring of ${this.mask + 1} was overrun)`);
    return this.values[slot] as T;
  }

  /** The value, or undefined when the slot holds another id or nothing. */
  peek(id: number): T | undefined {
    const slot = id & this.mask;
    return this.ids[slot] === id ? this.values[slot] : undefined;
  }

  private grow(id: number): void {
    let n = this.mask + 1;
    while (n <= id && n < this.max) n <<= 1;
    const ids = new Int32Array(n).fill(-1);
    ids.set(this.ids);
    const values = new Array<T | undefined>(n);
    for (let k = 0; k <= this.mask; k++) values[k] = this.values[k];
    this.ids = ids;
    this.values = values;
    this.mask = n - 1;
  }
}
