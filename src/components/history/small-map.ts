/**
 * Values by string key for the few entries of a user or a session (a user's addresses, its
 * sessions since the last commit, a session's addresses, the hour's activity by address). The
 * last value got or added is kept in fields (lines come from one session and one address for
 * long stretches: the fast path), and a Map is made only at a second key (a Map costs about
 * 200 bytes, and most holders never have a second key: with many users in memory, a user's
 * Map of addresses was a sixth of what it cost).
 */
export class SmallMap<V> {
  private lastKey: string | null = null;
  private last: V | null = null;
  private more: Map<string, V> | null = null;

  get(key: string): V | undefined {
    if (this.lastKey === key) return this.last!;
    const v = this.more?.get(key);
    if (v !== undefined) {
      this.lastKey = key;
      this.last = v;
    }
    return v;
  }

  /** Adds or replaces the value of `key`; it becomes the last one. */
  set(key: string, value: V): void {
    if (this.more !== null) this.more.set(key, value);
    else if (this.lastKey !== null && this.lastKey !== key) this.more = new Map([[this.lastKey, this.last!], [key, value]]);
    this.lastKey = key;
    this.last = value;
  }

  delete(key: string): void {
    if (this.more !== null) {
      this.more.delete(key);
      if (this.more.size === 0) this.more = null;
    }
    if (this.lastKey === key) {
      this.lastKey = null;
      this.last = null;
    }
  }

  get size(): number {
    return this.more !== null ? this.more.size : this.lastKey === null ? 0 : 1;
  }

  /**
   * The first value, in the order added, that `pred` accepts: a loop without a copy. `pred`
   * must not add or delete.
   */
  find(pred: (v: V) => boolean): V | undefined {
    if (this.more === null) return this.lastKey !== null && pred(this.last!) ? this.last! : undefined;
    for (const v of this.more.values()) if (pred(v)) return v;
    return undefined;
  }

  /** Every value, in the order added, without a copy (for `for … of`; no adding or deleting meanwhile). */
  iterate(): Iterable<V> {
    if (this.more !== null) return this.more.values();
    return this.lastKey === null ? [] : [this.last!];
  }

  /** In the order added (a copy: adding while looping over it is safe). */
  values(): V[] {
    if (this.more !== null) return [...this.more.values()];
    return this.lastKey === null ? [] : [this.last!];
  }

  clear(): void {
    this.lastKey = null;
    this.last = null;
    this.more = null;
  }
}
