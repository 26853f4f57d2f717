import type { Logger } from 'pino';
import type { FileInput, FilePosition } from './log-segment.js';

/** Where a claimed log resumes; `known` is false when it was never read (no checkpoint). */
export interface Claim {
  offset: number;
  lineNo: number;
  known: boolean;
  /** From a stored checkpoint: the bytes before `hashOffset` must hash to this. */
  tailHash: string | null;
  hashOffset: number | null;
}

/** What a tailed path needs from the file source that owns it. */
export interface TailContext {
  readonly log: Logger;
  readonly pollIntervalMs: number;
  readonly startAt: 'beginning' | 'end';
  readonly maxLineBytes: number;
  /** Where to resume the log with this fingerprint, or null while another reader holds it. */
  claim(fingerprint: string): Promise<Claim | null>;
  /** Opens a reader's input in the pipeline. */
  open(at: FilePosition, skipBytes?: number): FileInput;
  /** Bytes written to a file and gone before they could be read (counted and logged loudly). */
  lost(path: string, reason: 'truncated' | 'deleted', bytes: number): void;
  /** Lists the patterns again now and attaches what is new (see identifyPending, followed-log.ts). */
  rescan(): Promise<void>;
}

export type TailState = 'waiting' | 'tailing' | 'ignored' | 'closed';
