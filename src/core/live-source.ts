import type { Logger } from 'pino';
import type { SourceStatus } from './runtime.js';
import type { LiveInput } from '../pipeline/live-input.js';

/** What a live source is given by the daemon's ingest loop. */
export interface LiveContext {
  /** A new input whose records are to be merged and consumed. */
  add(input: LiveInput): void;
  /** New records were queued: drain soon. */
  wake(): void;
  readonly log: Logger;
}

/** A place live lines come from: tailed files, the Kubernetes API, the node's CRI files. */
export interface LiveSource {
  readonly name: string;
  start(): Promise<void>;
  /** Stops reading; records already queued stay for the final drain (or are read again later). */
  stop(): Promise<void>;
  status(): SourceStatus;
  /** After each successful commit (positions written with that commit are clean again). */
  afterCommit?(): void;
  /** After each drain: reading paused for backpressure may resume. */
  afterDrain?(): void;
}

/** Records queued in one input above which its reader pauses, and below which it resumes. */
export const PAUSE_ABOVE = 50_000;
export const RESUME_BELOW = 10_000;
