import type * as z from 'zod';
import { PARSE_ONCE } from '../../core/config-file.js';
import type { Evidence, Severity } from '../../core/alerts.js';
import type { EventType } from '../../core/events.js';
import type { LogEvent } from '../../core/log-event.js';
import type { OrganisationView } from '../history/organisation.js';
import type { User } from '../history/user.js';
import type { StateCodec, StateTable } from './state-table.js';

/**
 * The contract between the engine and the detectors (one file each under detectors/). A
 * detector sees only the events its rule looks at, after the rule's DN patterns, address
 * exceptions and the global allowlist, together with the user's history before the event.
 * It keeps any state of its own in StateTables, which the engine loads and commits.
 */

/**
 * Collects why a rule fires or stays quiet, for `ouwatch explain`. Null on the hot path:
 * detectors build these sentences only when someone asks.
 */
export type Trace = (note: string) => void;

/** What a detector reports; the engine turns it into an alert (or a repeat of an open one). */
export interface Finding {
  /** Null where the rule is keyed on an address or a network (and always for cn=none). */
  dn: string | null;
  dnSha1: string | null;
  /** The address (or, for a rule keyed on networks, the network) the alert names. */
  ip: string | null;
  country: string | null;
  /** This finding's severity and risk when they differ from the rule's (e.g. a new network in a known ASN is low). */
  severity?: Severity;
  risk?: number;
  /** One human sentence with the numbers that triggered it; called at once, before the next event. */
  reason(): string;
  /** The log lines that prove it (detached strings); called at once, before the next event. */
  evidence(): Evidence[];
  /** How many lines made the finding when `evidence()` holds only some of them. */
  evidenceTotal?: number;
  /**
   * What makes a repeat the same alert, when not the address (a session moved between two
   * networks is one alert, whichever of them the event came from).
   */
  suppressKey?: string;
}

/** A finding a detector held back, waiting for an event that would clear it, raised once its wait is over. */
export interface HeldFinding {
  finding: Finding;
  /** The log time, raw line, place (`origin:line`) and network of the event it names. */
  ts: number;
  line: string;
  source: string;
  net: string | null;
}

export interface Detector {
  check(e: LogEvent, user: User | null, trace: Trace | null): Finding | null;
  /**
   * The findings held back whose wait is over at log time `now` (Infinity: the input ended,
   * and what would clear them will not come). Asked before each event; most detectors decide
   * at once and have none.
   */
  due?(now: number): HeldFinding[];
}

export interface DetectorContext {
  /** A state table of this rule's own (`<rule id>/<name>`), loaded and committed by the engine. */
  table<S>(name: string, codec: StateCodec<S>): StateTable<S>;
  /** Evidence lines a detector keeps per window. */
  maxEvidence: number;
  /** The places the organisation's people use (peer context for novelty and travel). */
  organisation: OrganisationView;
}

/** A detector type as rules name it (`detector: threshold`). */
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
  /** Its parameters' schema, built on first use (see parseParams). */
  params: () => S;
  inactive?(params: z.output<S>): string | null;
  describe(params: z.output<S>): string;
  create(params: z.output<S>, ctx: DetectorContext): Detector;
}

/** Types a detector's parameters once, so the registry can hold detectors of every shape. */
export function defineDetector<S extends z.ZodType>(spec: DetectorSpec<S>): DetectorFactory {
  // Built when a rule's parameters are first validated, not when the module loads: building
  // the detectors' schemas took a tenth of a small replay's start.
  let schema: S | undefined;
  return {
    name: spec.name,
    summary: spec.summary,
    events: spec.events,
    requiredEvents: spec.requiredEvents ?? spec.events,
    parseParams: (raw) => (schema ??= spec.params()).safeParse(raw ?? {}, PARSE_ONCE),
    inactive: (p) => spec.inactive?.(p as z.output<S>) ?? null,
    describe: (p) => spec.describe(p as z.output<S>),
    create: (p, ctx) => spec.create(p as z.output<S>, ctx),
  };
}
