import { Assembler } from 'stream-json/core/assembler.js';
import type { Token } from 'stream-json/core/parser.js';

/** Where the records found in a token stream go. */
export interface RecordSink {
  /** A complete record object (a top-level object, an element of a top-level array, a hit). */
  record(value: Record<string, unknown>): void;
  /** A value where a record belongs that is not an object. */
  notRecord(): void;
  /** A search response (a container of hits) begins. */
  response(): void;
}

const enum Role {
  /** The top-level object of a search response: only its `hits` key matters. */
  Response,
  /** `hits` of a response: its `hits` array holds the records. */
  Hits,
  /** An array whose elements are records (a response's `hits.hits`, a top-level array). */
  Records,
  /** A container that holds no records (`_shards`, `aggregations`...). */
  Ignored,
}

interface Frame {
  role: Role;
}

/**
 * Picks the records out of a JSON token stream (stream-json's parser, packed values only):
 * every top-level object that is not a search response, every object element of a top-level
 * array, and every hit in a response's `hits.hits` (a `_search` or scroll page; several
 * pages may follow each other). Only records are assembled (with stream-json's Assembler);
 * a response is walked, never held, so a document of any size takes the memory of one hit.
 */
export class RecordTokens {
  /** Containers open outside the record being assembled. */
  private readonly frames: Frame[] = [];
  private asm: Assembler<Record<string, unknown>> | null = null;
  /** A `hits` key seen directly inside a top-level object, waiting to see what it holds. */
  private heldHits = false;
  /** Tokens that only rebuild a context after a reset: they raise no outcome. */
  synthetic = false;

  constructor(private readonly sink: RecordSink) {}

  /**
   * Token depth at which the record being assembled opened (1: a top-level object, 2: an
   * element of a top-level array, 4: a hit), or -1 when none is.
   */
  get recordDepth(): number {
    return this.asm === null ? -1 : this.frames.length + 1;
  }

  /**
   * Whether the tokens so far end right after a record (or a top-level value) at token depth
   * `depth`, outside any record: what follows at that depth is the next record, or the end.
   */
  betweenRecords(depth: number): boolean {
    if (this.asm !== null || this.heldHits || this.frames.length !== depth) return false;
    return depth === 0 || this.frames[depth - 1].role === Role.Records;
  }

  /** The token depth of the array the records around here belong to (a response's hits, a top-level array), or -1. */
  elementDepth(): number {
    const top = this.frames[this.frames.length - 1];
    return top?.role === Role.Records ? this.frames.length : -1;
  }

  /**
   * JSON text that, fed to a new parser, puts it back where the current record sits (its
   * containers, with a `null` in place of the record, and a space that ends it), so that what follows the record
   * parses as it would have.
   */
  context(): string {
    if (this.frames.length === 0) return '';
    let text = '';
    for (const f of this.frames) text += f.role === Role.Records ? '[' : '{"hits":';
    return text + 'null ';
  }

  /** Forgets everything (a new parser follows). */
  reset(): void {
    this.frames.length = 0;
    this.asm = null;
    this.heldHits = false;
  }

  consume(t: Token): void {
    const asm = this.asm;
    if (asm !== null) {
      if (this.heldHits) {
        this.heldHits = false;
        if (t.name === 'startObject') return this.becomeResponse();
        asm.consume({ name: 'keyValue', value: 'hits' });
      } else if (t.name === 'keyValue' && t.value === 'hits' && this.frames.length === 0 && asm.depth === 1) {
        this.heldHits = true;
        return;
      }
      asm.consume(t);
      if (asm.done) {
        this.asm = null;
        const v = asm.current;
        if (typeof v === 'object' && v !== null && !Array.isArray(v)) this.sink.record(v);
        else if (!this.synthetic) this.sink.notRecord();
      }
      return;
    }
    const top = this.frames.length === 0 ? null : this.frames[this.frames.length - 1];
    switch (t.name) {
      case 'startObject':
        if (top === null || top.role === Role.Records) return this.startRecord(t);
        this.frames.push({ role: Role.Ignored });
        return;
      case 'startArray':
        if (top === null) return void this.frames.push({ role: Role.Records });
        if (top.role === Role.Hits && this.hitsKey) {
          this.hitsKey = false;
          return void this.frames.push({ role: Role.Records });
        }
        if (top.role === Role.Records && !this.synthetic) this.sink.notRecord();
        this.frames.push({ role: Role.Ignored });
        return;
      case 'endObject':
      case 'endArray':
        this.frames.pop();
        return;
      case 'keyValue':
        if (top?.role === Role.Hits) this.hitsKey = t.value === 'hits';
        return;
      default:
        // A scalar: where a record belongs, it is not one.
        if ((top === null || top.role === Role.Records) && !this.synthetic) this.sink.notRecord();
    }
  }

  /** Inside `hits` of a response: the key whose value comes next is `hits`. */
  private hitsKey = false;

  private startRecord(t: Token): void {
    const asm = new Assembler<Record<string, unknown>>();
    asm.consume(t);
    this.asm = asm;
  }

  /** The top-level object being assembled has a `hits` object: it is a search response. */
  private becomeResponse(): void {
    this.asm = null;
    this.frames.push({ role: Role.Response }, { role: Role.Hits });
    this.hitsKey = false;
    if (!this.synthetic) this.sink.response();
  }
}
