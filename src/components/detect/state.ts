import type { DetectorStateStore } from '../../store/sqlite/detector-state.js';

/** Per-key detector state. A class per kind of state keeps one hidden class on the hot path. */
export abstract class StateEntry {
  /** Changed since the last persist. */
  dirty = false;
}

/** How a kind of state is written to and read from its JSON row. */
export interface StateCodec<S extends StateEntry> {
  encode(s: S): string;
  /** Null when the row cannot be read (written by another version): treated as no state. */
  decode(json: string): S | null;
  /** Log time after which the state means nothing (a closed window), or null for never. */
  expires(s: S): number | null;
}

/**
 * Detector state keyed by a canonical DN, an address or another string: in memory while in
 * use, read from SQLite once on a miss, written back by `persist` inside the commit
 * transaction. Memory is bounded: after a commit, clean entries beyond `maxEntries` are
 * dropped (oldest first) and read again if needed, so decisions never depend on what
 * happened to be cached; that is what makes a restarted run equal an uninterrupted one.
 */
export class KeyedState<S extends StateEntry> {
  /** null = known to be absent from the db (saves a query per miss). */
  private readonly mem = new Map<string, S | null>();
  private dirtyKeys: string[] = [];
  private dirtyStates: S[] = [];
  private deleted: string[] = [];
  private mayHoldUnloaded: boolean;

  constructor(
    private readonly store: DetectorStateStore,
    readonly scope: string,
    private readonly codec: StateCodec<S>,
    private readonly maxEntries = 20_000,
    /** Small, short-lived state (pending pairs): hold all of it, never query per miss. */
    private readonly preload = false,
  ) {
    this.mayHoldUnloaded = store.hasAny(scope);
    if (preload) this.loadAll();
  }

  private loadAll(): void {
    for (const [key, json] of this.store.all(this.scope)) {
      const s = this.codec.decode(json);
      if (s !== null) this.mem.set(key, s);
    }
    this.mayHoldUnloaded = false;
  }

  get size(): number {
    return this.mem.size;
  }

  get(key: string): S | undefined {
    const cached = this.mem.get(key);
    if (cached !== undefined) return cached ?? undefined;
    if (!this.mayHoldUnloaded) return undefined;
    const json = this.store.get(this.scope, key);
    const s = json === undefined ? null : this.codec.decode(json);
    this.mem.set(key, s);
    return s ?? undefined;
  }

  /** Stores a new state for `key` (a detached string) and marks it changed. */
  set(key: string, s: S): void {
    this.mem.set(key, s);
    s.dirty = false;
    this.touch(key, s);
  }

  /** Marks the state of `key` changed. */
  touch(key: string, s: S): void {
    if (s.dirty) return;
    s.dirty = true;
    this.dirtyKeys.push(key);
    this.dirtyStates.push(s);
  }

  delete(key: string): void {
    const s = this.mem.get(key);
    if (s === null) return;
    // While the db may hold keys not in memory, a null marker stops a later miss from reading
    // back the row this delete has not removed yet.
    if (this.mayHoldUnloaded) this.mem.set(key, null);
    else this.mem.delete(key);
    this.deleted.push(key);
  }

  /** Drops entries that expired before log time `now` from memory (their rows expire in the db). */
  sweep(now: number): void {
    for (const [key, s] of this.mem) {
      if (s === null || s.dirty) continue;
      const exp = this.codec.expires(s);
      if (exp !== null && exp < now) this.mem.delete(key);
    }
  }

  /** Writes every change since the last persist. Run inside the commit transaction. */
  persist(): void {
    for (const key of this.deleted) {
      if (!this.mem.get(key)) this.store.delete(this.scope, key);
    }
    for (let i = 0; i < this.dirtyKeys.length; i++) {
      const key = this.dirtyKeys[i];
      const s = this.dirtyStates[i];
      s.dirty = false;
      if (this.mem.get(key) !== s) continue; // replaced or deleted since
      this.store.put(this.scope, key, this.codec.encode(s), this.codec.expires(s));
    }
    this.deleted = [];
    this.dirtyKeys = [];
    this.dirtyStates = [];
  }

  /** Drops clean entries, oldest first, past the memory bound. Call after a committed persist. */
  trim(): void {
    if (this.mem.size <= this.maxEntries) return;
    let excess = this.mem.size - Math.floor(this.maxEntries * 0.8);
    for (const [key, s] of this.mem) {
      if (excess <= 0) break;
      if (s !== null && s.dirty) continue;
      this.mem.delete(key);
      if (s !== null) this.mayHoldUnloaded = true;
      excess--;
    }
  }

  /** Forgets everything in memory (the db is the truth after a rolled-back transaction). */
  reset(): void {
    this.mem.clear();
    this.deleted = [];
    this.dirtyKeys = [];
    this.dirtyStates = [];
    this.mayHoldUnloaded = true;
    if (this.preload) this.loadAll();
  }
}
