import type { z } from 'zod';
import type { Event, EventType } from '../../core/events.js';
import type { Evidence } from '../../core/alerts.js';
import type { HistoryView } from '../../core/history.js';
import type { DetectorStateStore } from '../../store/sqlite/detector-state.js';

/**
 * The contract between the engine and the detectors (one file each under detectors/).
 * A detector sees only the events its rule looks at, after the rule's DN patterns and
 * address exceptions; it keeps its own state in bounded memory (KeyedState) and writes it
 * in `persist`, inside the commit transaction.
 */

/**
 * Collects why a rule fires or stays quiet, for `ouwatch explain`. Null on the hot path:
 * detectors build these sentences only when someone asks.
 */
export type Trace = (note: string) => void;

/** What a detector reports; the engine turns it into an alert (or a repeat of an open one). */
export interface Finding {
  /** Null where the rule is keyed on an address (and always for cn=none / anonymous). */
  dn: string | null;
  dnSha1: string | null;
  ip: string | null;
  country: string | null;
  /**
   * One human sentence with the numbers that triggered it. Built only when an alert is
   * raised or explained (most findings are repeats); called before the next event.
   */
  reason(): string;
  /** Detached lines (never slices of the read buffer); built only when they will be kept. */
  evidence(): Evidence[];
  /** Log lines behind the finding when more than `evidence()` returns (a burst's count). */
  readonly lines?: number;
  /** The event that triggered it: its time and line make the alert id. */
  event: Event;
}

export interface Detector {
  check(e: Event, history: HistoryView, trace: Trace | null): Finding | null;
  /** Writes changed state; runs inside the commit transaction. */
  persist(): void;
  /** The transaction failed: forget what was not written (it is read again from the db). */
  reset(): void;
  /** After a commit: keep memory within bounds; `now` is the latest log time seen. */
  trim(now: number): void;
}

export interface DetectorContext {
  state: DetectorStateStore;
  /** State namespace: `<rule id>/<detector>`. */
  scope: string;
  /** Evidence lines a detector keeps per window. */
  maxEvidence: number;
}

/** A detector type as rules name it (`detector: new-country`). */
export interface DetectorFactory {
  readonly name: string;
  /** One sentence: what it looks for. */
  readonly summary: string;
  /** Event types it can use; a rule's `events` must be a subset. */
  readonly events: readonly EventType[];
  /** Event types it cannot work without; a rule's `events` must include them. */
  readonly requiredEvents: readonly EventType[];
  parseParams(raw: unknown): z.ZodSafeParseResult<unknown>;
  /** Why a rule with these (valid) params can never fire, or null. */
  inactive(params: unknown): string | null;
  /** The parameters in words, for `rules check` and `explain`. */
  describe(params: unknown): string;
  create(params: unknown, ctx: DetectorContext): Detector;
}

export interface DetectorSpec<S extends z.ZodType> {
  name: string;
  summary: string;
  events: readonly EventType[];
  requiredEvents?: readonly EventType[];
  params: S;
  inactive?(params: z.output<S>): string | null;
  describe(params: z.output<S>): string;
  create(params: z.output<S>, ctx: DetectorContext): Detector;
}

/** Types a detector's parameters once, so the registry can hold detectors of every shape. */
export function defineDetector<S extends z.ZodType>(spec: DetectorSpec<S>): DetectorFactory {
  return {
    name: spec.name,
    summary: spec.summary,
    events: spec.events,
    requiredEvents: spec.requiredEvents ?? spec.events,
    parseParams: (raw) => spec.params.safeParse(raw ?? {}),
    inactive: (p) => spec.inactive?.(p as z.output<S>) ?? null,
    describe: (p) => spec.describe(p as z.output<S>),
    create: (p, ctx) => spec.create(p as z.output<S>, ctx),
  };
}
