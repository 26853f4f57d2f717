import type { EventType, LineKind, SkipReason } from '../../core/events.js';
import type { InputFormat } from '../decode/wrappers.js';
import { EVENT_TYPES, Event } from '../../core/events.js';

/**
 * The parse worker's output for one chunk of one input: every record as numbers in typed
 * arrays (transferred, not copied), the events' lines joined in one string, and the DNs,
 * addresses and other repeated strings as ids into tables that only ever send a string once.
 * This is what lets parsing run on a second core while the main thread keeps the state.
 */
export interface PackedBatch {
  input: number;
  count: number;
  /** Per record: EVENT or a LineKind code. */
  kinds: Uint8Array;
  lineNos: Float64Array;
  resumes: Float64Array;
  /** Log time of the record, or of the last timestamped line before it (for the merge). */
  keys: Float64Array;
  /** Per record (events only): EVENT_TYPES index. */
  types: Uint8Array;
  /** Per record (events only): log time, epoch ms. */
  times: Float64Array;
  /** Per record (events only): table ids, NO_ID for null. */
  dnIds: Int32Array;
  ipIds: Int32Array;
  threadIds: Int32Array;
  levelIds: Int32Array;
  loggerIds: Int32Array;
  /** Per record (events only), SPAN_FIELDS pairs of [start, end) in `text`; NO_ID start = null. */
  spans: Int32Array;
  /** The events' lines, one after the other. */
  text: string;
  /** Table updates to apply before reading this batch. */
  tables: TableDelta;
  /** The input ended (no more batches for it). */
  final: boolean;
  /** The wrapper recognised from the input's first line (null before any line). */
  format: InputFormat | null;
}

export interface TableDelta {
  /** Tables cleared before `added` (a bounded table filled up): bit per TABLES index. */
  resets: number;
  added: string[][];
}

export const EVENT = 0;
export const NO_ID = -1;
/** Table order in TableDelta: DNs, addresses, threads, levels and class names. */
export const TABLES = ['dn', 'ip', 'thread', 'meta'] as const;
/** Span order per event in `spans`: the raw line, url, app, session id, message. */
export const SPAN_FIELDS = 5;

const KIND_CODES: readonly LineKind[] = ['other', 'continuation', 'malformed', 'binary', 'oversized', 'unknown-word', 'truncated'];
export function kindCode(kind: LineKind): number {
  switch (kind) {
    case 'other':
      return 1;
    case 'continuation':
      return 2;
    default:
      return KIND_CODES.indexOf(kind) + 1;
  }
}
export function kindOf(code: number): LineKind {
  return KIND_CODES[code - 1];
}
export function isSkipCode(code: number): boolean {
  return code >= 3;
}
export type { SkipReason };

export function typeCode(type: EventType): number {
  switch (type) {
    case 'AzSuccess':
      return 2;
    case 'AuSuccess':
      return 0;
    default:
      return EVENT_TYPES.indexOf(type);
  }
}

/** The main thread's copy of the worker's tables. */
export class PackedTables {
  readonly tables: string[][] = TABLES.map(() => []);

  apply(delta: TableDelta): void {
    for (let t = 0; t < TABLES.length; t++) {
      if (delta.resets & (1 << t)) this.tables[t] = [];
      const added = delta.added[t];
      if (added.length > 0) {
        const table = this.tables[t];
        for (const s of added) table.push(s);
      }
    }
  }

  /** Record `i` of `batch` (an event) as an Event. */
  event(batch: PackedBatch, i: number, origin: string): Event {
    const [dns, ips, threads, meta] = this.tables;
    const s = i * SPAN_FIELDS * 2;
    const sp = batch.spans;
    const text = batch.text;
    const dnId = batch.dnIds[i];
    const ipId = batch.ipIds[i];
    return new Event(
      batch.times[i],
      EVENT_TYPES[batch.types[i]],
      dnId === NO_ID ? null : dns[dnId],
      ipId === NO_ID ? null : ips[ipId],
      sp[s + 2] === NO_ID ? null : text.slice(sp[s + 2], sp[s + 3]),
      sp[s + 4] === NO_ID ? null : text.slice(sp[s + 4], sp[s + 5]),
      sp[s + 6] === NO_ID ? null : text.slice(sp[s + 6], sp[s + 7]),
      text.slice(sp[s + 8], sp[s + 9]),
      meta[batch.levelIds[i]],
      meta[batch.loggerIds[i]],
      threads[batch.threadIds[i]],
      origin,
      batch.lineNos[i],
      text.slice(sp[s], sp[s + 1]),
    );
  }
}
