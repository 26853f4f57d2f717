import type { EventType, LineKind } from './events.js';

/** Counters of one replay or daemon run (the summary and /metrics read these). */
export interface RunStats {
  linesRead: number;
  events: Partial<Record<EventType, number>>;
  lineKinds: Partial<Record<LineKind, number>>;
  /** Bytes of input passed over as unreadable (the skipped lines, or broken JSON up to where reading could go on). */
  skippedBytes: number;
  /** Distinct users the run's events named. */
  users: number;
  /** False when `users` is an estimate: users seen were let go from memory, and some may have come back. */
  usersExact: boolean;
  alertsRaised: number;
  alertsUpdated: number;
}

/** How one live source of the daemon is doing (`/readyz` lists these). */
export interface SourceStatus {
  /** `files`, `kubernetes` or `node`. */
  name: string;
  /** Following its logs: a tailed file, or every running pod's stream connected. */
  attached: boolean;
  /** One sentence for the operator when it is not attached (or what it follows). */
  detail: string;
  /** Each file or pod stream and its state (`tailing`, `following`, `waiting: <why>`…). */
  inputs: Array<{ name: string; state: string }>;
  /**
   * Bytes written to a log but gone before they were read, by reason (a file truncated in
   * place, a file deleted): those lines are lost. Absent for sources that cannot lose any.
   */
  lostBytes?: Partial<Record<LostReason, number>>;
}

/** Why written log bytes could not be read. */
export type LostReason = 'truncated' | 'deleted';

/**
 * A background task the daemon starts after its sources and stops before closing the store
 * (the outbox delivery worker of src/respond and src/notify). Its counters feed /metrics.
 */
export interface BackgroundWorker {
  readonly name: string;
  start(): void;
  /** Finishes or abandons in-flight work (it stays in the outbox) and resolves. */
  stop(): Promise<void>;
  stats(): WorkerStats;
}

/** Cumulative counters of a background worker since it started. */
export interface WorkerStats {
  /** Items waiting in the outbox now. */
  outboxDepth?: number;
  /** Response actions by result (`done`, `failed`, `held`, `expired`…). */
  actions?: Record<string, number>;
  /** Notifications by channel and result: `{ email: { sent: 3, failed: 1 } }`. */
  notifications?: Record<string, Record<string, number>>;
  /** Outbox rows now, by kind and status (pending, delivered, failed). */
  outboxItems?: Array<{ kind: string; status: string; n: number }>;
  /** Times failed items were requeued by a person, by kind (from the store: any process). */
  outboxRequeued?: Record<string, number>;
}
