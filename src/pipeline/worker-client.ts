import { Worker } from 'node:worker_threads';
import { codeFile, currentBuildOf, FROM_SOURCES } from '../core/package-files.js';
import type { InputFormat } from '../components/decode/unwrap.js';
import { transferables, type EventBatch } from './batch.js';
import { MainTables } from './tables.js';
import { BlockPool } from './worker/block-pool.js';
import { loaderSource, useCodeCache } from './worker/code-cache-loader.js';
import type { WorkerHeap, WorkerReply, WorkerRequest, WorkerSettings, WorkerStart } from './worker/ingest-worker.js';
import type { InputOptions } from './worker/input-parser.js';

interface Waiter {
  input: number;
  resolve(b: EventBatch): void;
  reject(e: Error): void;
}

/** Blocks of consumed batches waiting for the next chunk to carry them back; more are left to the garbage collector. */
const MAX_RECYCLED = 8;
/** Chunk buffers kept for reuse (chunks in flight at once: the ingest reads a few ahead). */
const MAX_CHUNK_BUFFERS = 4;

const RESOURCE_LIMITS = { maxYoungGenerationSizeMb: 16, maxOldGenerationSizeMb: 512 };

/** From the sources: the build when it is current, else a loader first (a worker does not inherit the main thread's tsx). */
let sourcesEntry: string | undefined;

function startThread(start: WorkerStart): Worker {
  const entry = FROM_SOURCES
    ? (sourcesEntry ??= currentBuildOf('pipeline', 'worker', 'ingest-worker.cjs') ?? codeFile('pipeline', 'worker', 'boot.mjs'))
    : codeFile('pipeline', 'worker', 'ingest-worker.cjs');
  // A small young generation keeps the worker's memory flat: its garbage is short-lived.
  const options = { resourceLimits: RESOURCE_LIMITS, workerData: start };
  const worker = entry.endsWith('.cjs') && useCodeCache(entry) ? new Worker(loaderSource(entry), { ...options, eval: true }) : new Worker(entry, options);
  // Only pending requests keep the process alive.
  worker.unref();
  return worker;
}

/** A thread nobody uses yet (started ahead of need, or released), and the error it met meanwhile. */
interface Spare {
  worker: Worker;
  error: Error | null;
  onError(err: Error): void;
  onExit(): void;
}

/**
 * Where the spare thread is held: one place per process, not per copy of this module. The
 * launcher (bin/ouwatch.js) starts the thread from a small bundle of its own
 * (cli/early-start.ts) before it compiles the CLI's, whose copy of this module takes it up.
 */
const SPARE = Symbol.for('ouwatch.spare-ingest-thread');
const slot = globalThis as typeof globalThis & { [SPARE]?: Spare | null };

/** Holds `worker` for the next IngestWorker; a thread that ends while held is forgotten. */
function park(worker: Worker): void {
  const held: Spare = {
    worker,
    error: null,
    onError: (err) => (held.error ??= err),
    onExit: () => {
      if (slot[SPARE] === held) slot[SPARE] = null;
    },
  };
  worker.on('error', held.onError);
  worker.on('exit', held.onExit);
  worker.unref();
  slot[SPARE] = held;
}

/** The held thread, if any, no longer held (its own listeners off): the caller's now. */
function takeSpare(): Spare | null {
  const held = slot[SPARE] ?? null;
  slot[SPARE] = null;
  held?.worker.off('error', held.onError).off('exit', held.onExit);
  return held;
}

/** Whether a thread is held for the next IngestWorker. */
function hasSpareIngestWorker(): boolean {
  return (slot[SPARE] ?? null) !== null;
}

/**
 * Starts the ingest worker's thread now, so that it loads its modules and compiles its parser
 * while the main thread loads its own and reads its configuration: a short replay is mostly
 * start-up, and the two overlap on two cores. The next IngestWorker takes this thread (in this
 * process, whichever copy of this module it comes from). Unused, it keeps nothing alive.
 */
export function warmUpIngestWorker(): void {
  if (!hasSpareIngestWorker()) park(startThread({ preloadTables: true }));
}

/**
 * The main thread's side of the ingest worker. Every chunk sent is answered by exactly one
 * batch, in the order sent, so one FIFO of waiters pairs them. The worker's new strings are
 * applied to `tables` as each batch arrives, before anyone can consume it.
 */
export class IngestWorker {
  readonly tables: MainTables;
  private readonly worker: Worker;
  private readonly waiting: Waiter[] = [];
  private head = 0;
  private failure: Error | null = null;
  private nextInput = 0;
  /** Blocks of consumed batches, sent back with the next chunk. */
  private recycled: ArrayBuffer[] = [];
  /**
   * Chunk buffers the thread has parsed and sent back, for the next chunks: a daemon copies
   * every append into one, and a fresh buffer each time was memory allocated on this thread,
   * freed on the other after its next collection.
   */
  private readonly chunkBuffers = new BlockPool(MAX_CHUNK_BUFFERS);
  /** Chunk buffers lent to sources (lendBuffer) and not written yet. */
  private readonly lent = new WeakSet<ArrayBuffer>();
  /** The worker thread's V8 heap as it last reported it (with a batch, at most once a second); null before. */
  heap: WorkerHeap | null = null;

  private released = false;
  private ending = false;
  private readonly onMessage = (reply: WorkerReply) => this.receive(reply);
  private readonly onError = (err: Error) => this.fail(err);
  private readonly onExit = (code: number) => {
    if (code !== 0) this.fail(new Error(`ingest worker exited with code ${code}`));
  };

  constructor(settings: WorkerSettings) {
    this.tables = new MainTables(settings.tableCapacity);
    const warm = takeSpare();
    this.worker = warm?.worker ?? startThread({ preloadTables: false });
    this.worker.on('message', this.onMessage);
    this.worker.on('error', this.onError);
    this.worker.on('exit', this.onExit);
    if (warm?.error) this.fail(warm.error);
    // Configuring starts the thread afresh (its string tables and inputs), whoever used it before.
    this.post({ op: 'configure', settings });
  }

  /** The thread's id: the next IngestWorker of this process takes a released thread up. */
  get threadId(): number {
    return this.worker.threadId;
  }

  /** Registers an input that starts at `startOffset`; returns its id. */
  open(startOffset: number, startLineNo: number, format: InputFormat | null = null, stream?: InputOptions['stream']): number {
    const input = this.nextInput++;
    this.post({ op: 'open', input, startOffset, startLineNo, format, stream });
    return input;
  }

  /**
   * A buffer of `bytes` over a chunk buffer of the pool: a chunk read into it and written from
   * its first byte goes to the thread as it is. A replay copied every megabyte it read from a
   * fresh buffer into one of the pool (benign 1 M lines: 0.949x the time, 209 against 218 MiB).
   */
  lendBuffer(bytes: number): Buffer {
    const block = this.chunkBuffers.take(bytes);
    this.lent.add(block);
    return Buffer.from(block, 0, bytes);
  }

  /**
   * Parses the next bytes of `input`. The bytes are copied, and the caller may reuse its
   * buffer, unless it is one lent (lendBuffer) and the chunk starts at its first byte: that
   * buffer goes to the thread and is empty here from then on.
   */
  write(input: number, chunk: Buffer): Promise<EventBatch> {
    const block = chunk.buffer as ArrayBuffer;
    const lent = chunk.byteOffset === 0 && this.lent.delete(block);
    const bytes = lent ? block : this.chunkBuffers.take(chunk.length);
    if (!lent) new Uint8Array(bytes, 0, chunk.length).set(chunk);
    const recycled = this.recycled;
    this.recycled = [];
    return this.request(input, { op: 'chunk', input, bytes, length: chunk.length, recycled }, [bytes, ...recycled]);
  }

  /**
   * Every event of `batch` is processed and nothing reads it any more: its memory goes back
   * to the thread with the next chunk, for the batches to come. (Its arrays are empty from then on.)
   */
  recycle(batch: EventBatch): void {
    if (this.recycled.length >= MAX_RECYCLED) return;
    for (const block of transferables(batch)) this.recycled.push(block);
  }

  /** The input ended: its last batch (a cut last line is counted there). */
  end(input: number): Promise<EventBatch> {
    return this.request(input, { op: 'end', input }, []);
  }

  /** Forgets an input without a last batch (a live stream that was replaced). */
  close(input: number): void {
    this.post({ op: 'close', input });
  }

  /** Requests sent and not yet answered. */
  get pending(): number {
    return this.waiting.length - this.head;
  }

  /** Ends the thread; a request it had not answered fails (it would otherwise never settle). */
  async terminate(): Promise<void> {
    // An idle thread does not hold the process open (unref): while it is being ended it must,
    // even when the answers it still sends leave nothing pending, or a caller awaiting the end
    // sees the process exit under it (code 13, nothing printed).
    this.ending = true;
    this.worker.ref();
    await this.worker.terminate();
    if (this.pending > 0) this.fail(new Error('ingest worker: ended before it answered'));
  }

  /**
   * Done with the thread. A sound, idle thread is kept for the next IngestWorker of this
   * process (`rules test` runs dozens of short replays, each of which would otherwise start a
   * thread and load its modules and address tables again); otherwise it ends. Requests made
   * after this are not sent and never answered.
   */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (this.failure !== null || this.pending > 0 || hasSpareIngestWorker()) return this.terminate();
    this.worker.off('message', this.onMessage);
    this.worker.off('error', this.onError);
    this.worker.off('exit', this.onExit);
    park(this.worker);
  }

  private request(input: number, msg: WorkerRequest, transfer: ArrayBuffer[]): Promise<EventBatch> {
    // Never answered, as an ended thread's requests were: a source still reading when its run
    // ended (a replay stopped by a full disk) must not turn the run's teardown into a new
    // failure, and the thread may be another run's by now.
    if (this.released) return new Promise<EventBatch>(() => {});
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<EventBatch>((resolve, reject) => {
      this.waiting.push({ input, resolve, reject });
      this.worker.ref();
      this.post(msg, transfer);
    });
  }

  private post(msg: WorkerRequest, transfer: ArrayBuffer[] = []): void {
    // A released thread may be another run's by now: nothing more goes to it from here.
    if (this.released) return;
    this.worker.postMessage(msg, transfer);
  }

  private receive(reply: WorkerReply): void {
    const waiter = this.waiting[this.head];
    if (waiter === undefined) return;
    this.waiting[this.head++] = undefined as unknown as Waiter;
    if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting.splice(0, this.head);
      this.head = 0;
    }
    if (this.pending === 0 && !this.ending) this.worker.unref();
    if (!reply.ok) return waiter.reject(new Error(`ingest worker: ${reply.error}`));
    if (reply.heap !== undefined) this.heap = reply.heap;
    if (reply.spent !== undefined) this.chunkBuffers.give([reply.spent]);
    try {
      this.tables.apply(reply.batch.added);
      this.tables.pin(reply.batch);
    } catch (err) {
      // The tables no longer match the worker's (a batch named an id its ring had let go, a
      // bug): every batch from here on would be read wrong, so the ingest fails as a whole.
      // Thrown here, in a message handler, the error would instead end the process.
      const failure = new Error(`ingest worker: ${(err as Error).message}`);
      this.fail(failure);
      return waiter.reject(failure);
    }
    waiter.resolve(reply.batch);
  }

  private fail(err: Error): void {
    this.failure = err;
    for (let i = this.head; i < this.waiting.length; i++) this.waiting[i]?.reject(err);
    this.waiting.length = 0;
    this.head = 0;
  }
}
