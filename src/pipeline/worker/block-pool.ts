/**
 * Memory blocks for batches: each batch's columns and text are views into one block, which
 * the main thread hands back once the batch is consumed (IngestWorker.recycle) and the next
 * batch is built in. Without it every batch was a fresh allocation that the main thread kept
 * until its next full collection: a long replay held tens of megabytes of spent batches.
 * The main thread keeps one too, for the buffers chunks are copied into (IngestWorker.write).
 */
export class BlockPool {
  private readonly blocks: ArrayBuffer[] = [];

  /** `max`: blocks kept; more come back only while batches pile up in the merge. */
  constructor(private readonly max = 8) {}

  get size(): number {
    return this.blocks.length;
  }

  /** A block of at least `bytes`: a returned one when one is large enough, else a new one. */
  take(bytes: number): ArrayBuffer {
    let best = -1;
    for (let k = 0; k < this.blocks.length; k++) {
      const size = this.blocks[k].byteLength;
      // Not a large block for a small batch: a batch may wait long in the merge, holding it.
      if (size >= bytes && size <= 2 * bytes + SMALL_GRAIN && (best < 0 || size < this.blocks[best].byteLength)) best = k;
    }
    if (best >= 0) return this.blocks.splice(best, 1)[0];
    // Rounded up so that a block fits the next batches too, which differ by a few lines (a
    // replay's are near 1 MiB; a daemon's, one per append, often a few lines).
    const grain = bytes < BLOCK_GRAIN ? SMALL_GRAIN : BLOCK_GRAIN;
    return new ArrayBuffer(Math.max(grain, Math.ceil(bytes / grain) * grain));
  }

  /** Blocks the main thread is done with. Past `max`, the smallest go (to the garbage collector). */
  give(blocks: readonly ArrayBuffer[]): void {
    for (const b of blocks) if (b.byteLength > 0) this.blocks.push(b);
    if (this.blocks.length <= this.max) return;
    this.blocks.sort((a, b) => b.byteLength - a.byteLength);
    this.blocks.length = this.max;
  }
}

const SMALL_GRAIN = 4 * 1024;
const BLOCK_GRAIN = 64 * 1024;
