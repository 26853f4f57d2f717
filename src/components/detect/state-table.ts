import type { StateRow } from '../../core/ports.js';
import { packChunk, unpackChunk } from './chunk-text.js';

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
  /**
   * Many entries, each set rarely (an address's last success, at most once an hour): a commit
   * writes the entries set since the last one as one row (a chunk) rather than a row each,
   * which made a quarter of a commit's work with many users. Such a table deletes no single
   * key: an entry leaves memory by capacity or sweep, and the store with its chunk, when the
   * newest entry of the chunk expires. A start reads the chunks in the order they were
   * written, so the latest value of a key wins.
   */
  chunked?: boolean;
  /**
   * For a chunked table: an entry as a JSON value (an array or a number, never a string),
   * which its chunk holds as it is, and that value read back (null: not readable). Without
   * them a chunk holds each entry as `encode`'s text inside its own JSON: encoded twice, and
   * escaped twice (a chunk of 8,000 sessions took 2.5-3x as long in a loop; 1-2 % of a replay
   * of 1,000,000 users, where the chunks are a quarter of its time).
   */
  toJson?(s: S): unknown;
  fromJson?(value: unknown): S | null;
}

/**
 * Keys of chunk rows: the prefix and a number that orders them (never the start of a chunked
 * table's own key). A chunk's state is a JSON array of [key, state, expires] entries, the
 * state the codec's `toJson` value where it has one, else its `encode` text (as every chunk
 * was written before toJson); a large chunk's JSON is stored compressed (chunk-text.ts).
 */
export const CHUNK_PREFIX = '#chunk/';

/** Entries a table holds before it forgets closed ones between commits (StateTable.pruneIfLarge). */
export const PRUNE_FROM = 20_000;

/**
 * Numbers chunk rows. One per detection engine, shared by its tables and carried over a rules
 * reload, and set past every chunk loaded: a chunk row is never written over by a later one.
 */
export class ChunkSequence {
  private next = 0;

  take(): string {
    return CHUNK_PREFIX + String(this.next++).padStart(12, '0');
  }

  /** A chunk row was loaded: later ones are numbered after it. */
  saw(key: string): number {
    const n = Number(key.slice(CHUNK_PREFIX.length));
    if (Number.isSafeInteger(n) && n >= this.next) this.next = n + 1;
    return n;
  }
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

  /** The size at which pruneIfLarge looks at the entries again. */
  private pruneAt = PRUNE_FROM;
  /** The codec's `chunked`, read once (set() runs per event). */
  private readonly chunked: boolean;

  constructor(
    readonly scope: string,
    private readonly codec: StateCodec<S>,
    /** Numbers this table's chunk rows (a chunked table): the engine's, shared by its tables. */
    private readonly chunks: ChunkSequence = new ChunkSequence(),
  ) {
    this.chunked = codec.chunked === true;
  }

  get size(): number {
    return this.map.size;
  }

  get(key: string): S | undefined {
    return this.map.get(key);
  }

  /** Stores `s`; a key set again moves to the newest end (what a capacity lets go last). */
  set(key: string, s: S): void {
    const cap = this.codec.capacity;
    if (cap === undefined) {
      // Whether the key was held, from the size: one lookup fewer than has() and set() (set()
      // runs per event in the busiest tables, whose lookups miss the CPU's caches).
      const size = this.map.size;
      this.map.set(key, s);
      if (this.map.size !== size && !this.chunked && !this.changed.has(key)) this.fresh.add(key);
      this.changed.add(key);
      return;
    }
    // Under a capacity a key set again is deleted first, so that it moves to the newest end.
    const held = this.map.delete(key);
    if (!held) {
      // A chunked table deletes no row: nothing to remember about keys new to the store.
      if (!this.chunked && !this.changed.has(key)) this.fresh.add(key);
      if (this.map.size >= cap) {
        const oldest = this.nextOldest();
        this.map.delete(oldest);
        if (!this.chunked) this.changed.add(oldest);
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

  /** The entries held, oldest first (for a small table a detector goes through: findings it holds back). */
  entries(): IterableIterator<[string, S]> {
    return this.map.entries();
  }

  /** `s` (already held) changed in place. */
  touch(key: string): void {
    this.changed.add(key);
  }

  delete(key: string): void {
    // Its chunk would bring it back at the next start.
    if (this.chunked) throw new Error(`${this.scope}: a chunked table deletes no key`);
    if (this.map.delete(key)) this.changed.add(key);
  }

  /** The stored rows of this table's scope, in any order. */
  loadRows(rows: readonly StateRow[]): void {
    const chunks: Array<{ n: number; row: StateRow }> = [];
    for (const row of rows) {
      if (this.chunked && row.key.startsWith(CHUNK_PREFIX)) chunks.push({ n: this.chunks.saw(row.key), row });
      else this.load(row);
    }
    if (chunks.length === 0) return;
    chunks.sort((a, b) => a.n - b.n);
    for (const { row } of chunks) this.loadChunk(row);
    // Chunks may hold more keys than the capacity (those let go were not deleted): the least recently set go.
    const cap = this.codec.capacity;
    if (cap !== undefined) while (this.map.size > cap) this.map.delete(this.nextOldest());
  }

  private load(row: StateRow): void {
    const s = this.codec.decode(row.state);
    if (s !== null) this.map.set(row.key, s);
    // A row this version cannot read goes with the next commit (and is never taken for absent).
    else if (!this.chunked) this.changed.add(row.key);
  }

  private loadChunk(row: StateRow): void {
    let entries: unknown;
    try {
      const json = unpackChunk(row.state);
      if (json === null) return;
      entries = JSON.parse(json);
    } catch {
      return; // not readable by this version: it goes when it expires
    }
    if (!Array.isArray(entries)) return;
    // Each entry is [key, state, expires]: the state a JSON value, or text (encode's).
    for (const entry of entries) {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string') continue;
      const state: unknown = entry[1];
      const s = typeof state === 'string' ? this.codec.decode(state) : (this.codec.fromJson?.(state) ?? null);
      if (s === null) continue;
      // Set again: moves to the newest end, as set() does.
      this.map.delete(entry[0]);
      this.map.set(entry[0], s);
    }
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
    if (this.chunked) return this.collectChunk(puts, watermark);
    for (const key of this.changed) {
      const s = this.map.get(key);
      const expires = s === undefined ? null : this.codec.expires(s);
      if (s === undefined || (expires !== null && expires < watermark)) {
        if (!this.fresh.has(key)) deletes.push({ scope: this.scope, key });
      } else puts.push({ scope: this.scope, key, state: this.codec.encode(s), expires });
    }
  }

  /** The entries set since the last commit and still open, as one row that expires with the newest of them. */
  private collectChunk(puts: StateRow[], watermark: number): void {
    const entries: Array<[string, unknown, number | null]> = [];
    const toJson = this.codec.toJson;
    let expires: number | null = Number.NEGATIVE_INFINITY;
    for (const key of this.changed) {
      const s = this.map.get(key);
      if (s === undefined) continue; // let go by the capacity
      const e = this.codec.expires(s);
      if (e !== null && e < watermark) continue;
      entries.push([key, toJson !== undefined ? toJson(s) : this.codec.encode(s), e]);
      expires = e === null || expires === null ? null : Math.max(expires, e);
    }
    if (entries.length > 0) puts.push({ scope: this.scope, key: this.chunks.take(), state: packChunk(JSON.stringify(entries)), expires });
  }

  /** The collected changes are stored. */
  committed(): void {
    this.changed = new Set();
    this.fresh = new Set();
  }

  /**
   * Between commits, once the table holds PRUNE_FROM entries or twice as many as after its
   * last prune: forgets those closed before log time `now`, as the commit's sweep would. A
   * spray of failed logins from a million addresses otherwise kept a window per address until
   * the next commit (1,000,000 lines of them, a commit due at the end: 1.4 GB). One never
   * stored leaves no trace; one stored had an older version, closed sooner, which the commit
   * deletes.
   */
  pruneIfLarge(now: number): void {
    if (this.map.size < this.pruneAt) return;
    this.map.forEach((s, key) => {
      const exp = this.codec.expires(s);
      if (exp === null || exp >= now) return;
      this.map.delete(key);
      if (this.chunked || this.fresh.delete(key)) this.changed.delete(key);
    });
    this.pruneAt = Math.max(PRUNE_FROM, 2 * this.map.size);
  }

  /** Forgets entries whose window closed before log time `now` (their rows expire in the store). */
  sweep(now: number): void {
    // forEach, not for-of: a for-of over a Map allocates an entry pair per key, and this walks every key at every commit.
    this.map.forEach((s, key) => {
      const exp = this.codec.expires(s);
      if (exp !== null && exp < now && !this.changed.has(key)) this.map.delete(key);
    });
  }
}
