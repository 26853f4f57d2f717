/**
 * The networks, ASNs or countries of one user's learnt addresses. Most users have one of each:
 * the first is kept in a field and a Set is made at the second (an empty Set costs about 180
 * bytes, and a replay of a million users made three per user).
 */
export class SmallSet<K> {
  private first: K | null = null;
  private more: Set<K> | null = null;

  add(key: K): void {
    if (this.first === null) this.first = key;
    else if (this.first !== key) (this.more ??= new Set()).add(key);
  }

  has(key: K): boolean {
    return this.first === key || (this.more !== null && this.more.has(key));
  }

  /** In the order first added. */
  keys(): K[] {
    if (this.first === null) return [];
    return this.more === null ? [this.first] : [this.first, ...this.more];
  }
}
