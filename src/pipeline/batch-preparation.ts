import { oldestDnIdOf, type EventBatch } from './batch.js';
import type { Feed } from './feed.js';
import type { EventProcessor } from './ingest.js';
import type { StorageFaultHold } from './storage-fault-hold.js';

/**
 * Hands each parsed batch to the processor to prepare (it reads the store for the batch's new
 * DNs and analysts' changes), one at a time in arrival order, then to its feed.
 */
export class BatchPreparation {
  /** Arrival order of batches: the processor prepares them one at a time, in order. */
  private preparing: Promise<void> = Promise.resolve();
  /** Batches arrived and not yet in their feed (prepared or waiting to be). */
  private readonly queued = new Set<EventBatch>();

  constructor(
    private readonly processor: Pick<EventProcessor, 'prepare'>,
    private readonly fault: StorageFaultHold,
    /** The batch is prepared and waits in its feed. */
    private readonly arrived: () => void,
    private readonly fail: (err: unknown) => void,
  ) {}

  track(feed: Feed, reply: Promise<EventBatch>, arrival: number): void {
    reply.then(
      (batch) => {
        // Counted from its arrival (this runs first after it): history must keep its users.
        this.queued.add(batch);
        // Prepared in arrival order (the processor may read the store for new DNs).
        this.preparing = this.preparing.then(async () => {
          try {
            await this.prepare(batch);
          } finally {
            this.queued.delete(batch);
          }
          feed.arrive(batch, arrival);
          this.arrived();
        }).catch((err: unknown) => this.fail(err));
      },
      (err: unknown) => this.fail(err),
    );
  }

  /** Batches arrived and not yet in their feed. */
  get waiting(): Iterable<EventBatch> {
    return this.queued;
  }

  /** The smallest DN id a batch arrived and not yet in its feed refers to (Infinity: none). */
  get oldestQueuedDnId(): number {
    return oldestDnIdOf(this.queued);
  }

  /**
   * A store that cannot be read now (a database server that went away) holds the loop as a
   * failed commit does, and the batch is prepared again once the hold is released (`Ingest.resumeAfterFault()`).
   */
  private async prepare(batch: EventBatch): Promise<void> {
    for (;;) {
      try {
        await this.processor.prepare(batch);
        return;
      } catch (err) {
        const fault = this.fault.classify(err);
        if (fault === null) throw err;
        this.fault.hold(fault);
        await this.fault.released();
      }
    }
  }
}
