import type { RecordQueue } from '../decode/stream-decoder.js';
import type { InputFormat } from '../decode/wrappers.js';
import { EVENT, NO_ID, SPAN_FIELDS, TABLES, kindCode, typeCode, type PackedBatch } from './packed.js';
import { Interner } from './interner.js';
import { OpenUnisonParser, levelOf, loggerOf } from './openunison.js';
import { LogClock } from './time.js';

const TABLE_LIMITS = [50_000, 100_000, 10_000, 1_000];

/**
 * Parses one input's decoded records and packs them (see PackedBatch). One Packer per input:
 * its string tables and the timestamp carried over to stack-trace lines belong to that input.
 */
export class Packer {
  private readonly parser: OpenUnisonParser;
  private readonly tables = TABLES.map((_, i) => new Interner(TABLE_LIMITS[i]));
  private lastKey = Number.NEGATIVE_INFINITY;
  /** Per DN id, the id of its last address: a user keeps one address for long stretches. */
  private lastIpOfDn = new Int32Array(1024).fill(NO_ID);

  constructor(
    private readonly input: number,
    timeZone: string,
  ) {
    this.parser = new OpenUnisonParser(new LogClock(timeZone));
  }

  private ipId(dnId: number, text: string, at: number, end: number): number {
    const ips = this.tables[1];
    if (dnId === NO_ID) return ips.idAt(text, at, end);
    if (dnId >= this.lastIpOfDn.length) {
      const grown = new Int32Array(Math.max(dnId + 1, this.lastIpOfDn.length * 2)).fill(NO_ID);
      grown.set(this.lastIpOfDn);
      this.lastIpOfDn = grown;
    }
    const last = this.lastIpOfDn[dnId];
    if (last !== NO_ID && ips.matches(last, text, at, end)) return last;
    const id = ips.idAt(text, at, end);
    this.lastIpOfDn[dnId] = id;
    return id;
  }

  /** Packs and drains every record in `queue`. */
  pack(queue: RecordQueue, final: boolean, format: InputFormat | null): PackedBatch {
    const n = queue.size;
    for (const t of this.tables) t.startBatch();
    if (this.tables[0].size === 0 || this.tables[1].size === 0) this.lastIpOfDn.fill(NO_ID);
    const [dns, ips, threads, meta] = this.tables;
    const kinds = new Uint8Array(n);
    const lineNos = new Float64Array(n);
    const resumes = new Float64Array(n);
    const keys = new Float64Array(n);
    const types = new Uint8Array(n);
    const times = new Float64Array(n);
    const dnIds = new Int32Array(n).fill(NO_ID);
    const ipIds = new Int32Array(n).fill(NO_ID);
    const threadIds = new Int32Array(n);
    const levelIds = new Int32Array(n);
    const loggerIds = new Int32Array(n);
    const spans = new Int32Array(n * SPAN_FIELDS * 2);
    const lines: string[] = [];
    let pos = 0;
    const parser = this.parser;
    const f = parser.fields;
    for (let i = 0, r = queue.head; i < n; i++, r++) {
      lineNos[i] = queue.lineNos[r];
      resumes[i] = queue.resumes[r];
      const text = queue.texts[r];
      if (text === null) {
        kinds[i] = kindCode(queue.reasons[r]!);
        keys[i] = this.lastKey;
        continue;
      }
      const kind = parser.scan(text);
      if (parser.lastTime === parser.lastTime) this.lastKey = parser.lastTime;
      keys[i] = this.lastKey;
      if (kind !== null) {
        kinds[i] = kindCode(kind);
        continue;
      }
      kinds[i] = EVENT;
      types[i] = typeCode(f.type);
      times[i] = f.ts;
      const dnId = f.dnAt >= 0 ? dns.idAt(text, f.dnAt, f.dnEnd) : NO_ID;
      dnIds[i] = dnId;
      if (f.ipAt >= 0) ipIds[i] = this.ipId(dnId, text, f.ipAt, f.ipEnd);
      threadIds[i] = threads.idAt(text, f.threadAt, f.threadEnd);
      // The usual levels and class names are shared constants: their hash is already known.
      levelIds[i] = meta.id(levelOf(text, f.levelAt, f.levelEnd));
      loggerIds[i] = meta.id(loggerOf(text, f.loggerAt, f.loggerEnd));
      const s = i * SPAN_FIELDS * 2;
      spans[s] = pos;
      spans[s + 1] = pos + text.length;
      span(spans, s + 2, pos, f.urlAt, f.urlEnd);
      span(spans, s + 4, pos, f.appAt, f.appEnd);
      span(spans, s + 6, pos, f.sessionAt, f.sessionEnd);
      span(spans, s + 8, pos, f.messageAt, f.messageEnd);
      lines.push(text);
      pos += text.length + 1;
    }
    queue.head += n;
    queue.compact();
    const deltas = this.tables.map((t) => t.takeDelta());
    return {
      input: this.input,
      count: n,
      kinds,
      lineNos,
      resumes,
      keys,
      types,
      times,
      dnIds,
      ipIds,
      threadIds,
      levelIds,
      loggerIds,
      spans,
      text: lines.join('\n'),
      tables: { resets: deltas.reduce((bits, d, t) => (d.reset ? bits | (1 << t) : bits), 0), added: deltas.map((d) => d.added) },
      final,
      format,
    };
  }
}

function span(spans: Int32Array, at: number, base: number, start: number, end: number): void {
  if (start < 0) {
    spans[at] = NO_ID;
    spans[at + 1] = NO_ID;
  } else {
    spans[at] = base + start;
    spans[at + 1] = base + end;
  }
}

/** The typed arrays of a batch, to transfer rather than copy. */
export function transferables(b: PackedBatch): ArrayBuffer[] {
  return [b.kinds, b.lineNos, b.resumes, b.keys, b.types, b.times, b.dnIds, b.ipIds, b.threadIds, b.levelIds, b.loggerIds, b.spans].map(
    (a) => a.buffer as ArrayBuffer,
  );
}
