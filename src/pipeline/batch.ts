import type { InputFormat } from '../components/decode/unwrap.js';
import type { AddressInfo } from '../core/addresses.js';
import type { Address, Dn } from '../core/log-event.js';

/** The most input bytes one batch covers: a source's larger chunk is sent in parts (Feed.push). */
export const MAX_BATCH_BYTES = 1024 * 1024;

/**
 * What the ingest worker sends back for one input's bytes: the events as columns of numbers
 * (typed arrays, transferred rather than copied), their lines as UTF-8 bytes, the strings
 * first seen in this batch (each crosses the thread boundary once), and the input's position
 * and line counts. Non-event lines (other classes, stack traces, bad input) are only counted:
 * nothing downstream looks at them.
 */
export interface EventBatch {
  input: number;
  count: number;
  /** Per event: TYPE code. */
  types: Uint8Array;
  /** Per event: log time, epoch ms. */
  times: Float64Array;
  /** Per event: physical line number in its input. */
  lineNos: Float64Array;
  /** Per event: where a restarted reader resumes once this event is processed. */
  resumes: Float64Array;
  /** Per event: interned ids (NO_ID when the event has no such field). */
  dns: Int32Array;
  ips: Int32Array;
  sessions: Int32Array;
  threads: Int32Array;
  /**
   * Per event, SPAN_FIELDS [start, end) pairs in `text` (NO_ID when absent): url, app,
   * message, level, logger. Made into strings only when a rule or a printout needs them.
   */
  spans: Int32Array;
  /**
   * Stream inputs (a pod's log through the API, which has no byte offsets): per event, the
   * kubelet's stamp (seconds, nanoseconds) of its line; `resumes` then counts the records
   * with exactly that stamp up to it. Empty for other inputs.
   */
  stampSecs: Float64Array;
  stampNanos: Int32Array;
  /** Per event: its line is text[lineStarts[i], lineEnds[i]). */
  lineStarts: Int32Array;
  lineEnds: Int32Array;
  text: Uint8Array;
  /** Strings first seen in this batch. */
  added: AddedValues;
  /** Physical lines this batch covers (events and everything else). */
  lines: number;
  /** Lines by kind code (index 0: events; see KIND). */
  kinds: Float64Array;
  /** Events by TYPE code. */
  typeCounts: Float64Array;
  /** Bytes of the input this batch covers. */
  bytes: number;
  /**
   * Bytes of those passed over as unreadable (the lines or JSON counted as malformed, binary,
   * oversized, unknown-word or truncated): broken JSON is passed over up to where reading can
   * go on, which may be far from the damage.
   */
  skippedBytes: number;
  /** The input's position once every event of this batch is processed. */
  endResume: number;
  endLineNo: number;
  /**
   * SHA-1 (hex) of the up to 4 KiB of input just before `hashOffset` (<= endResume): a
   * restarted reader checks that these bytes are still there before resuming.
   */
  tailHash: string | null;
  hashOffset: number;
  /** Stream inputs: the stamp of the last record and how many records carried it (endResume). */
  endStampSecs: number;
  endStampNanos: number;
  /** The input ended: no more batches for it. */
  final: boolean;
  format: InputFormat | null;
  /** Main thread only: the values its ids stood for when it arrived (MainTables.pin). */
  pinned?: PinnedValues;
}

/**
 * Per event, the DN, address, session and thread its ids stood for when the batch arrived.
 * The rings of values by id only hold the ids issued lately, and a batch may wait in the
 * merge while other inputs issue any number of new ones (an older log replayed beside a newer
 * one: the newer one's first batches wait until the older one has caught up in time).
 */
export interface PinnedValues {
  dns: Array<Dn | null>;
  ips: Array<Address | null>;
  sessions: Array<string | null>;
  threads: string[];
  /** The smallest DN id the batch refers to (Infinity when none): history keeps that user's id. */
  minDnId: number;
  /** The DNs it names, once asked for (namedBy). */
  named?: Set<string>;
}

export const NO_ID = -1;

/**
 * Between a pod's names and the thread's name in the threads table, for a line of an output
 * that interleaves pods (`<pod names>\n<thread>`): the same thread name in two pods is two
 * threads. A newline is in neither (both come from one line), and, unlike NUL, PostgreSQL
 * stores it in the detector state keyed by thread.
 */
export const POD_SEPARATOR = '\n';

/** The smallest DN id `batches` refer to once pinned, or `min` when it is smaller (Infinity: none). */
export function oldestDnIdOf(batches: Iterable<EventBatch>, min = Infinity): number {
  for (const b of batches) if (b.pinned !== undefined && b.pinned.minDnId < min) min = b.pinned.minDnId;
  return min;
}

/** Whether one of `batches` names `dn` (each batch's DNs are gathered once, at the first question). */
export function namedBy(batches: Iterable<EventBatch>, dn: string): boolean {
  for (const b of batches) {
    const p = b.pinned;
    if (p === undefined) continue;
    if (p.named === undefined) {
      p.named = new Set();
      for (const d of p.dns) if (d !== null) p.named.add(d.dn);
    }
    if (p.named.has(dn)) return true;
  }
  return false;
}

/**
 * New [id, value] pairs per table. DNs come with their SHA-1 (OpenUnison's label), addresses
 * with what offline data knows about them (looked up once per distinct address, in the worker).
 */
export interface AddedValues {
  dns: Array<number | string>;
  dnSha1s: string[];
  /**
   * The worker's DN floor once this batch was made (ByteInterner.floor): no batch made after
   * it refers to a smaller DN id.
   */
  dnFloor: number;
  ips: Array<number | string>;
  ipInfos: AddressInfo[];
  sessions: Array<number | string>;
  threads: Array<number | string>;
}

export const SPAN_FIELDS = 5;
export const SPAN = { url: 0, app: 2, message: 4, level: 6, logger: 8 } as const;

/** The memory of a batch's typed arrays (one block when the worker built it), to transfer rather than copy. */
export function transferables(b: EventBatch): ArrayBuffer[] {
  const arrays = [
    b.types, b.times, b.lineNos, b.resumes, b.dns, b.ips, b.sessions, b.threads, b.spans, b.stampSecs, b.stampNanos,
    b.lineStarts, b.lineEnds, b.text, b.kinds, b.typeCounts,
  ];
  // A transfer list naming a buffer twice is refused; a detached one (length 0) cannot go again.
  return [...new Set(arrays.map((a) => a.buffer as ArrayBuffer))].filter((buf) => buf.byteLength > 0);
}
