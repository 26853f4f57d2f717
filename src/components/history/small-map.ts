/**
 * Values by string key for a user's or a session's few entries since the last commit (their
 * sessions, a session's addresses, the hour's activity by address). The last value got or
 * added is kept in fields (lines come from one session and one address for long stretches:
 * the fast path), and a Map is made only at a second key (an empty Map costs about 180
 * bytes, and most holders never have a second key between two commits).
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

  /** Adds a key not held yet; it becomes the last one. */
  add(key: string, value: V): void {
    if (this.lastKey !== null) (this.more ??= new Map([[this.lastKey, this.last!]])).set(key, value);
    this.lastKey = key;
    this.last = value;
  }

  /** In the order added. */
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
