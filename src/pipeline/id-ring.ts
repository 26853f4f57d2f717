/**
 * Values by interned id (see the worker's ByteInterner): ids only increase and every id still
 * referenced lies within the last `size` ids issued, so a ring indexed by `id & (size - 1)`
 * holds them all in fixed memory. Reading an id that was overwritten is a bug, not a miss.
 */
export class IdRing<T> {
  private readonly ids: Int32Array;
  private readonly values: Array<T | undefined>;
  private readonly mask: number;

  constructor(size: number) {
    let n = 1;
    while (n < size) n <<= 1;
    this.mask = n - 1;
    this.ids = new Int32Array(n).fill(-1);
    this.values = new Array<T | undefined>(n);
  }

  set(id: number, value: T): void {
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
}
