import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { AddressDescriber, DEFAULT_NETWORK_BITS, type NetworkBits } from '../../components/enrich/address-info.js';
import { AsnTable } from '../../components/enrich/asn-table.js';
import { GeoTable } from '../../components/enrich/geo-table.js';
import type { InputFormat } from '../../components/decode/unwrap.js';
import { transferables, type EventBatch } from '../batch.js';
import { BlockPool } from './block-pool.js';
import { CODE_CACHE_HOOK } from './code-cache-loader.js';
import { InputParser, type InputOptions } from './input-parser.js';
import { warmUpParser } from './parser-warm-up.js';
import { WorkerTables, type TableCapacity } from './tables.js';

/**
 * The ingest worker: the second thread of every run. It decodes, scans and interns the bytes
 * of every input (replayed or followed) and answers each chunk with an EventBatch, in order.
 * Addresses are described (network, country, ASN) here, once per distinct address, so the
 * offline data's memory and lookups stay off the main thread.
 */
export interface WorkerSettings {
  timeZone: string;
  maxLineBytes: number;
  networkBits: NetworkBits;
  /** The string tables' capacities (TABLE_CAPACITY; tests set them small to wrap the ids soon). */
  tableCapacity?: TableCapacity;
}

export type WorkerRequest =
  | { op: 'configure'; settings: WorkerSettings }
  | { op: 'open'; input: number; startOffset: number; startLineNo: number; format: InputFormat | null; stream?: InputOptions['stream'] }
  /**
   * The chunk is the first `length` bytes of `bytes`, which come back with its batch (`spent`)
   * for a later chunk; `recycled`: blocks of batches the main thread consumed, for the next batches.
   */
  | { op: 'chunk'; input: number; bytes: ArrayBuffer; length: number; recycled: ArrayBuffer[] }
  | { op: 'end'; input: number }
  | { op: 'close'; input: number };

/**
 * `heap`: this thread's V8 heap (used, total bytes), at most once a second (the main thread's
 * `memoryUsage()` does not include it); `spent`: the chunk's buffer, parsed and free again.
 */
export type WorkerReply = { ok: true; batch: EventBatch; heap?: WorkerHeap; spent?: ArrayBuffer } | { ok: false; input: number; error: string };

export interface WorkerHeap {
  used: number;
  total: number;
}

// The settings come as the first message, not as workerData: the thread can be started before
// the main thread has read its configuration (see warmUpIngestWorker).
let settings: WorkerSettings | null = null;
let tables: WorkerTables | null = null;
const inputs = new Map<number, InputParser>();
const port = parentPort!;
const geo = new GeoTable();
const asn = new AsnTable();
const blocks = new BlockPool();

/** Options of the thread itself, known when it is started. */
export interface WorkerStart {
  /**
   * Open the address tables and compile the parser (parser-warm-up.ts) while waiting for the
   * first message: a thread started ahead of need (warmUpIngestWorker) is idle while the main
   * thread starts, and a replay of real logs meets a public address almost at once. Otherwise
   * the tables open at the first public address. Opening a cached table reads its header; its
   * pages are read as lookups reach them.
   */
  preloadTables: boolean;
}

if ((workerData as WorkerStart | undefined)?.preloadTables) {
  setImmediate(() => {
    try {
      geo.preload();
      asn.preload();
      // Settings are not known yet: the defaults' zone and line size compile the same code.
      warmUpParser(new AddressDescriber(DEFAULT_NETWORK_BITS, { geo, asn }), 'UTC', 1024 * 1024);
    } catch {
      // The first lookup loads them again and reports the error where it matters.
    }
  });
}

port.on('message', (msg: WorkerRequest) => {
  // Outside the try: a worker that cannot be configured fails as a whole (the main thread's
  // 'error' event), it has no request to answer.
  if (msg.op === 'configure') {
    // A thread released by one run and taken up by the next starts with nothing of the first.
    inputs.clear();
    settings = msg.settings;
    tables = new WorkerTables(new AddressDescriber(settings.networkBits, { geo, asn }), settings.tableCapacity);
    return;
  }
  try {
    switch (msg.op) {
      case 'open':
        if (settings === null || tables === null) throw new Error('ingest worker: an input was opened before the worker was configured');
        inputs.set(
          msg.input,
          new InputParser(
            { input: msg.input, startOffset: msg.startOffset, startLineNo: msg.startLineNo, timeZone: settings.timeZone, maxLineBytes: settings.maxLineBytes, format: msg.format, stream: msg.stream },
            tables,
            blocks,
          ),
        );
        return;
      case 'close':
        inputs.delete(msg.input);
        return;
      case 'chunk':
        blocks.give(msg.recycled);
        // The parser keeps nothing of the chunk once it returns (it copies what it holds).
        return reply(parser(msg.input).chunk(Buffer.from(msg.bytes, 0, msg.length)), msg.bytes);
      case 'end': {
        const batch = parser(msg.input).end();
        inputs.delete(msg.input);
        reply(batch);
        // The build's sample replay: the functions compiled by now go into the code cache.
        (globalThis as { [CODE_CACHE_HOOK]?: () => void })[CODE_CACHE_HOOK]?.();
        return;
      }
    }
  } catch (err) {
    port.postMessage({ ok: false, input: msg.input, error: (err as Error).stack ?? String(err) } satisfies WorkerReply);
  }
});

function parser(input: number): InputParser {
  const p = inputs.get(input);
  if (p === undefined) throw new Error(`input ${input} is not open`);
  return p;
}

let heapSentAt = Number.NEGATIVE_INFINITY;

function reply(batch: EventBatch, spent?: ArrayBuffer): void {
  const now = performance.now();
  let heap: WorkerHeap | undefined;
  if (now - heapSentAt >= 1000) {
    heapSentAt = now;
    const h = getHeapStatistics();
    heap = { used: h.used_heap_size, total: h.total_heap_size };
  }
  const transfer = transferables(batch);
  if (spent !== undefined) transfer.push(spent);
  port.postMessage({ ok: true, batch, heap, spent } satisfies WorkerReply, transfer);
}
