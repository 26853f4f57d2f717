/**
 * The open alerts by rule, DN and address (or suppress key), as nested maps. The DN and the
 * address are the event's interned strings, whose hashes V8 keeps: one key string joined per
 * finding had to be built, flattened and hashed every time, most of raising a storm's
 * findings. An inner map left empty is dropped, so memory follows the open alerts.
 */
export class OpenAlerts<T> {
  private readonly byRule = new Map<string, Map<string, Map<string, T>>>();

  get(rule: string, dn: string | null, key: string | null): T | undefined {
    return this.byRule.get(rule)?.get(dn ?? '')?.get(key ?? '');
  }

  set(rule: string, dn: string | null, key: string | null, value: T): void {
    let byDn = this.byRule.get(rule);
    if (byDn === undefined) this.byRule.set(rule, (byDn = new Map()));
    let byKey = byDn.get(dn ?? '');
    if (byKey === undefined) byDn.set(dn ?? '', (byKey = new Map()));
    byKey.set(key ?? '', value);
  }

  delete(rule: string, dn: string | null, key: string | null): void {
    const byDn = this.byRule.get(rule);
    const byKey = byDn?.get(dn ?? '');
    if (byDn === undefined || byKey === undefined || !byKey.delete(key ?? '')) return;
    if (byKey.size === 0) byDn.delete(dn ?? '');
    if (byDn.size === 0) this.byRule.delete(rule);
  }

  /** The open alerts of one rule for one DN, by key. */
  ofDn(rule: string, dn: string): ReadonlyMap<string, T> | undefined {
    return this.byRule.get(rule)?.get(dn);
  }

  /** Every open alert; `fn` may delete the one it is given. DN and key are '' where null. */
  forEach(fn: (value: T, rule: string, dn: string, key: string) => void): void {
    this.byRule.forEach((byDn, rule) => byDn.forEach((byKey, dn) => byKey.forEach((value, key) => fn(value, rule, dn, key))));
  }
}
