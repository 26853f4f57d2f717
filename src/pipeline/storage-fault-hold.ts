/** Tells a storage fault (the store cannot be written or read now) from other failures, and reports it. */
export interface StorageFaultHandler {
  classify(err: unknown): Error | null;
  onFault(fault: Error): void;
}

/**
 * Live runs: a storage fault holds the ingest loop (nothing is processed, so sources stop
 * reading through backpressure) until a commit succeeds again; batches whose preparation
 * met the fault wait for that.
 */
export class StorageFaultHold {
  private faulted = false;
  private waiters: Array<() => void> = [];

  constructor(private readonly handler: StorageFaultHandler | undefined) {}

  get held(): boolean {
    return this.faulted;
  }

  /** `err` as a storage fault, or null (another failure, or no handler: every failure stops the loop). */
  classify(err: unknown): Error | null {
    return this.handler?.classify(err) ?? null;
  }

  /**
   * Holds the loop on `fault` and reports it; once per hold: a commit and a batch's
   * preparation may both meet one outage, and each report starts the caller's retry loop.
   */
  hold(fault: Error): void {
    if (this.faulted) return;
    this.faulted = true;
    this.handler!.onFault(fault);
  }

  /** Resolves once the hold is released. */
  released(): Promise<void> {
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    this.faulted = false;
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w();
  }
}
