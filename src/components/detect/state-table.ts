import type { StateRow } from '../../core/ports.js';

export type { StateRow };

/** How one kind of detector state is written to and read from its stored row. */
export interface StateCodec<S> {
  encode(s: S): string;
  /** Null when the row cannot be read (written by another version): treated as no state. */
  decode(json: string): S | null;
  /** Log time after which the state means nothing (a closed window), or null for never. */
  expires(s: S): number | null;
  /**
   * At most this many entries; a new one then lets the oldest set go (a table keyed by
   * something as numerous as addresses must not grow with the input).
   */
  capacity?: number;
  /**
   * False for state rebuilt quickly from the events themselves, not worth a row per key per
   * commit (after a restart it is learnt again from what arrives).
   */
  persist?: boolean;
}

/**
 * Detector state keyed by a string (an address, a DN, a session, origin + thread), held in
 * memory: it is loaded once at start-up (it is small: windows of minutes, pending pairs) and
 * its changes are written with each commit, so a restarted run decides exactly as an
 * uninterrupted one. Entries whose window closed are dropped, which bounds memory.
 */
export class StateTable<S> {
  private readonly map = new Map<string, S>();
  private changed = new Set<string>();
  /**
   * Keys set since the last commit while absent from memory and unchanged until then: the
   * store has no row of theirs that a delete must remove (a row left by an entry swept
   * earlier has expired and goes with the next commit's expired rows), so one that closes or
   * goes before the commit costs nothing. A key deleted or let go since the last commit and
   * set again is not fresh: its row may be stored.
   */
  private fresh = new Set<string>();
  /**
   * Walks the keys oldest first for a capacity to let go. Kept between calls: a new iterator
   * would step again over every slot already deleted at the front of V8's table (tens of
   * thousands when full), making each eviction cost as much as the table is large.
   */
  private oldestFirst: IterableIterator<string> | null = null;

  constructor(
    readonly scope: string,
    private readonly codec: StateCodec<S>,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(key: string): S | undefined {
    return this.map.get(key);
  }

  /** Stores `s`; a key set again moves to the newest end (what a capacity lets go last). */
  set(key: string, s: S): void {
    const cap = this.codec.capacity;
    // Under a capacity a key set again is deleted first, so that it moves to the newest end.
    const held = cap !== undefined ? this.map.delete(key) : this.map.has(key);
    if (!held) {
      if (!this.changed.has(key)) this.fresh.add(key);
      if (cap !== undefined && this.map.size >= cap) {
        const oldest = this.nextOldest();
        this.map.delete(oldest);
        this.changed.add(oldest);
      }
    }
    this.map.set(key, s);
    this.changed.add(key);
  }

  /**
   * The oldest key held. A Map's iterator visits keys in insertion order, skips those deleted
   * and reaches those set after it was made (a key set again moved to the end), so the one
   * iterator, resumed, always yields the oldest key still held.
   */
  private nextOldest(): string {
    let next = this.oldestFirst?.next();
    if (next === undefined || next.done === true) {
      this.oldestFirst = this.map.keys();
      next = this.oldestFirst.next();
    }
    return next.value as string;
  }

  /** `s` (already held) changed in place. */
  touch(key: string): void {
    this.changed.add(key);
  }

  delete(key: string): void {
    if (this.map.delete(key)) this.changed.add(key);
  }

  load(row: StateRow): void {
    const s = this.codec.decode(row.state);
    if (s !== null) this.map.set(row.key, s);
    // A row this version cannot read goes with the next commit (and is never taken for absent).
    else this.changed.add(row.key);
  }

  /** Every entry as a row (a rules reload hands the state in force to the new rules' tables). */
  rows(): StateRow[] {
    const out: StateRow[] = [];
    for (const [key, s] of this.map) out.push({ scope: this.scope, key, state: this.codec.encode(s), expires: this.codec.expires(s) });
    return out;
  }

  /**
   * Rows to write and keys to delete since the last commit. An entry whose window closed
   * before `watermark` is swept right after this commit: it is deleted, never written (a
   * session seen once, a window that opened and closed between two commits: most of them
   * when users are many), so the store holds exactly what memory holds after the sweep.
   * One that was also set since the last commit has no row: nothing is written for it.
   */
  collect(puts: StateRow[], deletes: Array<{ scope: string; key: string }>, watermark = Number.NEGATIVE_INFINITY): void {
    if (this.codec.persist === false) return;
    for (const key of this.changed) {
      const s = this.map.get(key);
      const expires = s === undefined ? null : this.codec.expires(s);
      if (s === undefined || (expires !== null && expires < watermark)) {
        if (!this.fresh.has(key)) deletes.push({ scope: this.scope, key });
      } else puts.push({ scope: this.scope, key, state: this.codec.encode(s), expires });
    }
  }

  /** The collected changes are stored. */
  committed(): void {
    this.changed = new Set();
    this.fresh = new Set();
  }

  /** Forgets entries whose window closed before log time `now` (their rows expire in the store). */
  sweep(now: number): void {
    for (const [key, s] of this.map) {
      const exp = this.codec.expires(s);
      if (exp !== null && exp < now && !this.changed.has(key)) this.map.delete(key);
    }
  }

  clear(): void {
    this.map.clear();
    this.changed = new Set();
    this.fresh = new Set();
  }
}
