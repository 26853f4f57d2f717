import type { InputFormat } from '../components/decode/wrappers.js';
import type { PackedBatch } from '../components/parse/packed.js';
import { PackedTables } from '../components/parse/packed.js';
import type { ParseService } from './parse-service.js';
import type { ChunkSource } from '../components/sources/files/archive-input.js';
import type { MergeInput } from './merge.js';

/** Chunks sent to the parse worker ahead of the one being consumed. */
const READ_AHEAD = 3;

/**
 * One input's parsed records, as they come back from the parse worker: keeps a few chunks in
 * flight so reading, parsing (worker) and processing (main thread) overlap, and exposes the
 * head record for the merge. `batch`/`index` is the record to consume next.
 */
export class PackedFeed implements MergeInput {
  readonly tables = new PackedTables();
  batch: PackedBatch | null = null;
  index = 0;
  /** The wrapper the worker recognised (plain, docker, cri), once a line was read. */
  format: InputFormat | null = null;
  private readonly inFlight: Array<Promise<PackedBatch>> = [];
  private readonly id: number;
  private sourceDone = false;

  constructor(
    private readonly service: ParseService,
    readonly source: ChunkSource,
  ) {
    this.id = service.open(source.cursor.offset, source.cursor.lineNo);
  }

  available(): number {
    return this.batch === null ? 0 : this.batch.count - this.index;
  }

  headKey(): number {
    return this.batch!.keys[this.index];
  }

  async fill(): Promise<boolean> {
    while (this.available() === 0) {
      await this.topUp();
      const next = this.inFlight.shift();
      if (next === undefined) {
        this.batch = null;
        return false;
      }
      this.batch = await next;
      this.index = 0;
      this.tables.apply(this.batch.tables);
      this.format ??= this.batch.format;
    }
    return true;
  }

  private async topUp(): Promise<void> {
    while (!this.sourceDone && this.inFlight.length < READ_AHEAD) {
      const chunk = await this.source.next();
      if (chunk === null) {
        this.sourceDone = true;
        this.inFlight.push(this.service.end(this.id));
      } else {
        this.inFlight.push(this.service.write(this.id, chunk));
      }
    }
  }
}
