/**
 * How sources hand bytes to the ingest pipeline. A source (archived files, a followed file,
 * a pod's log stream) opens one input per stream of bytes it reads and pushes the bytes in
 * order; the pipeline decodes and parses them on its worker thread, merges all inputs by log
 * time and commits each input's position with the state it produced.
 */

/** Where an input's position is stored, so that a restart resumes exactly. */
export type InputIdentity =
  /** A file (or archive, or stdin) known by the fingerprint of its beginning. */
  | { kind: 'file'; fingerprint: string; path: string; dev: number | null; ino: number | null }
  /** A stream without byte offsets (a pod's log through the API): its own position record. */
  | { kind: 'stream'; key: string }
  /** Nothing to store (`ouwatch parse`, stdin too short to identify). */
  | { kind: 'none' };

export interface InputRegistration {
  /** Name in evidence (`origin:line`): the path, `stdin`, or `namespace/pod/container`. */
  origin: string;
  identity: InputIdentity;
  /** Input offset of the first byte pushed (after the checkpoint) and the line number before it. */
  startOffset: number;
  startLineNo: number;
  /** Endless (followed) inputs are merged with a time window; finite ones are waited for. */
  live: boolean;
  /** The wrapper, when the source knows it (else it is recognised from the first line). */
  format?: 'plain' | 'docker' | 'cri' | 'kubectl' | null;
  /**
   * A stream without byte offsets (`<kubelet stamp> <line>` from the API): positions are the
   * stamp of the last record and how many records carried it; a reconnection that asks for
   * that second again drops the records up to `resumeAfter`.
   */
  stream?: { resumeAfter: { stamp: string; count: number } | null };
}

/** The position of an input after the records processed so far. */
export interface InputPosition {
  offset: number;
  lineNo: number;
  /** SHA-1 of up to 4 KiB before `hashOffset` (<= offset), checked before resuming; null = unknown. */
  tailHash: string | null;
  hashOffset: number;
  /** The kubelet's stamp of the last record (stream inputs). */
  stamp: string | null;
}

/** What the pipeline gives a source for one input. */
export interface InputChannel {
  /** The next bytes, in order. Call `ready()` first: it waits while the pipeline is behind. */
  push(chunk: Buffer, arrival?: number): void;
  /**
   * A buffer to read the next chunk into, of `bytes` or fewer (its length says), where the
   * channel offers them. Pushed whole or as a part from its first byte, its memory goes to the
   * parsing thread as it is instead of being copied: the source must not touch it after the
   * push. One never pushed is simply dropped.
   */
  lendBuffer?(bytes: number): Buffer;
  /** Resolves when the pipeline wants more bytes (backpressure); false once the input is closed. */
  ready(): Promise<boolean>;
  /**
   * Live sources: whether the source knows of bytes it has not read yet (true from a read
   * that found new bytes until one finds the end). The merge waits for such an input rather
   * than let another input's later lines pass its older ones, however short its window.
   */
  unread(known: boolean): void;
  /** No more bytes: a cut last line is counted as truncated and not consumed. */
  end(): void;
  /** Drops the input without ending it (a replaced stream); unprocessed bytes are read again later. */
  abandon(): void;
  /** The last committed position (null before the first commit). */
  readonly committed: InputPosition | null;
  /** Whether the pipeline is behind on this input (the source should pause until `ready()`). */
  readonly full: boolean;
  /** Everything pushed has been parsed and processed (after `end()` or `abandon()`). */
  readonly done: boolean;
  /** Everything pushed so far has been parsed (its `received()` position is final for now). */
  readonly settled: boolean;
  /** The position after the records processed so far. */
  current(): InputPosition;
  /** Stream inputs: the position after the last record parsed (where a new connection resumes). */
  received(): { stamp: string; count: number; lineNo: number } | null;
}

/** What the pipeline offers sources. */
export interface IngestContext {
  open(reg: InputRegistration): InputChannel;
}
