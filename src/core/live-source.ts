import type { Logger } from 'pino';
import type { IngestContext } from './inputs.js';
import type { FileCheckpoint } from './ports.js';
import type { SourceStatus } from './runtime.js';

/** What a live source is given: where to send its inputs' bytes, a log, and stored positions. */
export interface SourceContext {
  readonly ingest: IngestContext;
  readonly log: Logger;
  /** The stored checkpoint of a file log, by fingerprint. */
  checkpoint(fingerprint: string): Promise<FileCheckpoint | null>;
  /** Every stored file checkpoint, newest first (to find files rotated while ouwatch was stopped). */
  checkpoints(): Promise<FileCheckpoint[]>;
  /** The stored position of a stream (a pod's log), by key. */
  streamPosition(key: string): Promise<{ stamp: string; count: number; lineNo: number } | null>;
}

/** A place live lines come from: tailed files, the Kubernetes API, the node's CRI files. */
export interface LiveSource {
  readonly name: string;
  start(): Promise<void>;
  /** Stops reading; bytes already handed over are processed (or read again after a restart). */
  stop(): Promise<void>;
  status(): SourceStatus;
}
