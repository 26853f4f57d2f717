import { detach } from '../../core/strings.js';

const RECENT_SLOTS = 8192;

/**
 * Gives each distinct string a small id and remembers which strings the other side has not
 * seen yet. Bounded: when it holds more than `limit` strings it starts over (between
 * batches only, so ids never change meaning inside one batch).
 */
export class Interner {
  private ids = new Map<string, number>();
  private strings: string[] = [];
  /** Direct-mapped cache in front of the map: slot -> id + 1, verified before use. */
  private readonly recent = new Int32Array(RECENT_SLOTS);
  private added: string[] = [];
  private wasReset = false;

  constructor(private readonly limit: number) {}

  /**
   * The id of `line.slice(at, end)`, without slicing when it was seen recently: a cheap hash
   * of its first characters picks a cache slot, and the candidate is compared in place. A
   * miss (or a collision, however crafted) only falls back to the map.
   */
  idAt(line: string, at: number, end: number): number {
    const len = end - at;
    const stop = len < 24 ? end : at + 24;
    let h = len;
    for (let i = at; i < stop; i++) h = (Math.imul(h, 31) + line.charCodeAt(i)) | 0;
    const slot = (h ^ (h >>> 13)) & (RECENT_SLOTS - 1);
    const cached = this.recent[slot] - 1;
    if (cached >= 0 && this.matches(cached, line, at, end)) return cached;
    const id = this.id(line.slice(at, end));
    this.recent[slot] = id + 1;
    return id;
  }

  id(s: string): number {
    const known = this.ids.get(s);
    if (known !== undefined) return known;
    const id = this.ids.size;
    const key = detach(s);
    this.ids.set(key, id);
    this.strings.push(key);
    this.added.push(key);
    return id;
  }

  /** True when `line.slice(at, end)` is the string with this id (no allocation). */
  matches(id: number, line: string, at: number, end: number): boolean {
    const s = this.strings[id];
    return s !== undefined && s.length === end - at && line.startsWith(s, at);
  }

  get size(): number {
    return this.strings.length;
  }

  /** Call before a batch: starts over if the table is full. */
  startBatch(): void {
    if (this.ids.size > this.limit) {
      this.ids = new Map();
      this.strings = [];
      this.recent.fill(0);
      this.added = [];
      this.wasReset = true;
    }
  }

  /** Strings added since the last call, and whether the table was reset before them. */
  takeDelta(): { reset: boolean; added: string[] } {
    const delta = { reset: this.wasReset, added: this.added };
    this.added = [];
    this.wasReset = false;
    return delta;
  }
}
