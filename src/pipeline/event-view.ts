import { EVENT_TYPES, type EventType } from '../core/events.js';
import type { Evidence } from '../core/alerts.js';
import { sourceOf, type Address, type Dn, type LogEvent } from '../core/log-event.js';
import { NO_ID, POD_SEPARATOR, SPAN, SPAN_FIELDS, type EventBatch, type PinnedValues } from './batch.js';
import type { MainTables } from './tables.js';

/**
 * The LogEvent the pipeline hands to history and detection: a cursor over one batch's
 * columns, moved to the next event instead of allocating one object per event.
 */
export class EventView implements LogEvent {
  batch!: EventBatch;
  i = 0;
  origin = '';
  input = 0;
  private textBuf: Buffer | null = null;
  private pinned!: PinnedValues;
  /**
   * The event's line and evidence, made once: an event that raises several alerts and feeds
   * detector state (an alert storm's success from a new country: three findings, a session's
   * last use, the user's last location) hands them to each, and each copy stayed on the heap
   * as long as its holder (pending alerts until their commit, state for its window).
   */
  private rawLine: string | null = null;
  private evidenceOf: Evidence | null = null;

  constructor(private readonly tables: MainTables) {}

  /** Points the view at event `i` of `batch` (of input `input`, named `origin`). */
  at(batch: EventBatch, i: number, input: number, origin: string): this {
    if (batch !== this.batch) {
      this.batch = batch;
      this.pinned = this.tables.pin(batch);
      this.textBuf = null;
    }
    this.i = i;
    this.input = input;
    this.origin = origin;
    this.rawLine = null;
    this.evidenceOf = null;
    return this;
  }

  get ts(): number {
    return this.batch.times[this.i];
  }
  get type(): number {
    return this.batch.types[this.i];
  }
  get typeName(): EventType {
    return EVENT_TYPES[this.batch.types[this.i]];
  }
  get dnId(): number {
    return this.batch.dns[this.i];
  }
  get dn(): Dn | null {
    return this.pinned.dns[this.i];
  }
  get ipId(): number {
    return this.batch.ips[this.i];
  }
  get address(): Address | null {
    return this.pinned.ips[this.i];
  }
  get sessionId(): string | null {
    return this.pinned.sessions[this.i];
  }
  get lineNo(): number {
    return this.batch.lineNos[this.i];
  }
  url(): string | null {
    return this.span(SPAN.url);
  }
  urlEndsWith(suffix: string): boolean {
    const at = this.i * SPAN_FIELDS * 2 + SPAN.url;
    const start = this.batch.spans[at];
    if (start === NO_ID) return false;
    const end = this.batch.spans[at + 1];
    if (end - start < suffix.length) return false;
    // From the last byte back: most URLs differ at once.
    const text = this.batch.text;
    for (let k = suffix.length - 1, at = end - 1; k >= 0; k--, at--) if (text[at] !== suffix.charCodeAt(k)) return false;
    return true;
  }
  app(): string | null {
    return this.span(SPAN.app);
  }
  message(): string {
    return this.span(SPAN.message) ?? '';
  }
  level(): string {
    return this.span(SPAN.level) ?? '';
  }
  logger(): string {
    return this.span(SPAN.logger) ?? '';
  }
  thread(): string {
    const scoped = this.pinned.threads[this.i];
    const pod = scoped.indexOf(POD_SEPARATOR);
    return pod < 0 ? scoped : scoped.slice(pod + 1);
  }
  threadScope(): string {
    return this.pinned.threads[this.i];
  }
  raw(): string {
    return (this.rawLine ??= this.text().toString('utf8', this.batch.lineStarts[this.i], this.batch.lineEnds[this.i]));
  }
  evidence(): Evidence {
    return (this.evidenceOf ??= { source: sourceOf(this), line: this.raw() });
  }

  private span(field: number): string | null {
    const at = this.i * SPAN_FIELDS * 2 + field;
    const start = this.batch.spans[at];
    return start === NO_ID ? null : this.text().toString('utf8', start, this.batch.spans[at + 1]);
  }

  private text(): Buffer {
    this.textBuf ??= Buffer.from(this.batch.text.buffer, this.batch.text.byteOffset, this.batch.text.byteLength);
    return this.textBuf;
  }
}
