import type { LineKind } from '../../core/events.js';
import { ExportRecords, type DocumentFormat } from './export-record.js';
import type { RecordSink } from './json-records.js';
import type { RecordHandler } from './record-decoder.js';
import type { WallClock } from './wall-clock.js';

/**
 * Hands the records found in a JSON export on as log4j lines (see export-record.ts), each with
 * the position the byte side set for the piece being parsed: where a restart resumes, and the
 * physical line.
 */
export class RecordEmitter implements RecordSink {
  format: DocumentFormat | null = null;
  /** Resume offset and line of the outcomes of the piece being parsed. */
  resume: number;
  line = 0;
  /** The last resume offset handed on. */
  lastResume: number;
  private readonly records: ExportRecords;
  private scratch = Buffer.allocUnsafe(4096);

  constructor(
    private readonly out: RecordHandler,
    clock: WallClock,
    startOffset: number,
  ) {
    this.records = new ExportRecords(clock);
    this.resume = this.lastResume = startOffset;
  }

  record(value: Record<string, unknown>): void {
    this.format ??= ExportRecords.kindOf(value);
    const lines = this.records.linesOf(value);
    if (lines === null) return this.skip('malformed');
    for (const line of lines) {
      const n = this.put(line);
      this.out.record(this.scratch, 0, n, this.resume, this.line);
    }
    this.lastResume = this.resume;
  }

  /** Whether `value` holds a log line (a record the emitter would hand on, not skip). */
  holdsLine(value: Record<string, unknown>): boolean {
    return this.records.linesOf(value) !== null;
  }

  notRecord(): void {
    this.skip('malformed');
  }

  response(): void {
    this.format ??= 'elasticsearch';
  }

  skip(kind: LineKind, resume = this.resume, line = this.line): void {
    this.out.skip(kind, resume, line);
    this.lastResume = resume;
  }

  private put(text: string): number {
    const need = Buffer.byteLength(text);
    if (need > this.scratch.length) this.scratch = Buffer.allocUnsafe(Math.max(need, this.scratch.length * 2));
    return this.scratch.write(text);
  }
}
