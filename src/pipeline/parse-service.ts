import { Worker } from 'node:worker_threads';
import type { PackedBatch } from '../components/parse/packed.js';
import type { WorkerReply, WorkerRequest } from './worker.js';

const WORKER_YOUNG_MB = Number(process.env.OUWATCH_WORKER_YOUNG_MB ?? 16);

interface Waiter {
  resolve(b: PackedBatch): void;
  reject(e: Error): void;
}

/**
 * The main thread's side of the parse worker: parsing (the most CPU-hungry stage) runs on a
 * second core while the main thread enriches, detects and stores. Each input's chunks are
 * answered in order; several may be in flight so the worker never waits for the main thread.
 */
export class ParseService {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, Waiter[]>();
  private failure: Error | null = null;
  private nextInput = 0;

  constructor(
    private readonly timeZone: string,
    private readonly maxLineBytes: number,
  ) {
    const here = import.meta.url;
    const entry = here.endsWith('.ts') ? new URL('./worker-boot.mjs', here) : new URL('./worker.js', here);
    // A small young generation keeps the worker's memory flat (its garbage is short-lived).
    this.worker = new Worker(entry, { resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_MB, maxOldGenerationSizeMb: Number(process.env.OUWATCH_WORKER_OLD_MB ?? 256) } });
    this.worker.on('message', (reply: WorkerReply) => this.receive(reply));
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => {
      if (code !== 0) this.fail(new Error(`parse worker exited with code ${code}`));
    });
    // Only pending requests should keep the process alive.
    this.worker.unref();
  }

  /** Registers an input that starts at `startOffset` (after its checkpoint); returns its id. */
  open(startOffset: number, startLineNo: number): number {
    const input = this.nextInput++;
    this.waiting.set(input, []);
    this.post({ op: 'open', input, startOffset, startLineNo, timeZone: this.timeZone, maxLineBytes: this.maxLineBytes });
    return input;
  }

  /** Parses the next bytes of `input`. The chunk is copied: the caller may reuse its buffer. */
  write(input: number, chunk: Buffer): Promise<PackedBatch> {
    const bytes = new ArrayBuffer(chunk.length);
    new Uint8Array(bytes).set(chunk);
    return this.request(input, { op: 'chunk', input, bytes }, [bytes]);
  }

  /** The input ended: returns its last batch (e.g. an unterminated line skipped as truncated). */
  end(input: number): Promise<PackedBatch> {
    return this.request(input, { op: 'end', input }, []);
  }

  async close(): Promise<void> {
    // A terminating worker does not keep the event loop alive (even referenced): after a failed
    // commit nothing else may be pending, and the process would end (exit code 13) with this
    // await unsettled and the error never reported. A timer holds the loop until it has exited.
    const hold = setInterval(() => {}, 60_000);
    try {
      await this.worker.terminate();
    } finally {
      clearInterval(hold);
    }
  }

  private request(input: number, msg: WorkerRequest, transfer: ArrayBuffer[]): Promise<PackedBatch> {
    if (this.failure) return Promise.reject(this.failure);
    const queue = this.waiting.get(input);
    if (queue === undefined) return Promise.reject(new Error(`input ${input} is not open`));
    return new Promise<PackedBatch>((resolve, reject) => {
      queue.push({ resolve, reject });
      this.worker.ref();
      this.post(msg, transfer);
    });
  }

  private post(msg: WorkerRequest, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(msg, transfer);
  }

  private receive(reply: WorkerReply): void {
    const input = reply.ok ? reply.batch.input : reply.input;
    const waiter = this.waiting.get(input)?.shift();
    if (reply.ok && reply.batch.final) this.waiting.delete(input);
    if (this.pendingCount() === 0) this.worker.unref();
    if (waiter === undefined) return;
    if (reply.ok) waiter.resolve(reply.batch);
    else waiter.reject(new Error(`parse worker: ${reply.error}`));
  }

  private pendingCount(): number {
    let n = 0;
    for (const q of this.waiting.values()) n += q.length;
    return n;
  }

  private fail(err: Error): void {
    this.failure = err;
    for (const q of this.waiting.values()) for (const w of q.splice(0)) w.reject(err);
  }
}
