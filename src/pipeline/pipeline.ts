import type { Event, EventType, LineKind, SkipReason } from '../core/events.js';
import type { HistoryView } from '../core/history.js';
import type { RunStats } from '../core/runtime.js';
import type { StoredAlert } from '../core/alerts.js';
import { isUserDn } from '../core/events.js';
import { EventEnricher } from '../components/enrich/enricher.js';
import { OpenUnisonParser } from '../components/parse/openunison.js';
import { EVENT, kindOf, type PackedBatch, type PackedTables } from '../components/parse/packed.js';
import { LogClock } from '../components/parse/time.js';
import { CheckpointStore } from '../store/sqlite/checkpoints.js';
import type { Db } from '../store/sqlite/database.js';
import { HistoryStore } from '../store/sqlite/history.js';

/**
 * The one code path from a decoded log line to committed state, shared by `replay` and `run`:
 * parse -> enrich -> detect -> history, then `commit` writes history, detector state, alerts,
 * queued deliveries and every input's checkpoint in one SQLite transaction. A process killed
 * at any moment therefore restarts from a checkpoint that matches its state exactly.
 */

/** An input being read: its identity and how far it has been processed. */
export interface InputCursor {
  /** Display name used in evidence (`origin:line`). */
  readonly origin: string;
  /** Path (or stream name) stored with the checkpoint. */
  readonly path: string;
  /** sha1 of the first line; null while unknown (no checkpoint is written then). */
  fingerprint: string | null;
  dev: number | null;
  ino: number | null;
  /** Resume offset after the last processed record. */
  offset: number;
  lineNo: number;
  /** Whether offset moved since the last commit. */
  dirty: boolean;
  /** Persist checkpoints for this input (false for `parse` and for stdin without identity). */
  checkpointed: boolean;
}

/** Detection plugs in here (src/detect). */
export interface DetectionStage {
  /** Sees each event before the event is added to history, so history means "before this event". */
  onEvent(e: Event, history: HistoryView): void;
  /** Inside the commit transaction: write detector state and alerts; return what changed. */
  persist(): { raised: StoredAlert[]; updated: StoredAlert[] };
  /** The transaction failed: forget in-memory changes that were not written. */
  reset(): void;
}

/** Runs inside the commit transaction with the alerts it commits (outbox enqueueing). */
export type CommitHook = (raised: StoredAlert[], updated: StoredAlert[]) => void;

export interface CommitResult {
  raised: StoredAlert[];
  updated: StoredAlert[];
}

export interface PipelineOptions {
  db: Db;
  timeZone?: string;
  detection?: DetectionStage | null;
  onCommit?: CommitHook[];
  /** Extra per-event observers (metrics, diagnostics); they must not throw. */
  observers?: Array<(e: Event) => void>;
}

export class Pipeline {
  readonly stats: RunStats = { linesRead: 0, events: {}, lineKinds: {}, users: 0, alertsRaised: 0, alertsUpdated: 0 };
  readonly history: HistoryStore;
  readonly clock: LogClock;
  private readonly checkpoints: CheckpointStore;
  private readonly parser: OpenUnisonParser;
  private readonly enricher = new EventEnricher();
  private readonly detection: DetectionStage | null;
  private readonly hooks: CommitHook[];
  private readonly observers: Array<(e: Event) => void>;
  private readonly touched = new Set<InputCursor>();
  private readonly db: Db;
  private uncommitted = 0;

  constructor(opts: PipelineOptions) {
    this.db = opts.db;
    this.clock = new LogClock(opts.timeZone ?? 'UTC');
    this.parser = new OpenUnisonParser(this.clock);
    this.history = new HistoryStore(opts.db);
    this.checkpoints = new CheckpointStore(opts.db);
    this.detection = opts.detection ?? null;
    this.hooks = [...(opts.onCommit ?? [])];
    this.observers = opts.observers ?? [];
  }

  /** Records processed since the last commit. */
  get pending(): number {
    return this.uncommitted;
  }

  /**
   * Adds a hook to every later commit transaction. Live sources whose position is not a byte
   * offset (Kubernetes log streams) store it this way, atomically with the state it produced.
   */
  addCommitHook(hook: CommitHook): void {
    this.hooks.push(hook);
  }

  checkpointFor(fingerprint: string) {
    return this.checkpoints.get(fingerprint);
  }

  /** One decoded line of `input`, ending at physical line `lineNo`; `resume` is its resume offset. */
  process(input: InputCursor, text: string, lineNo: number, resume: number): Event | null {
    this.advance(input, lineNo, resume);
    const parsed = this.parser.parse(text, input.origin, lineNo);
    if (typeof parsed === 'string') {
      this.countKind(parsed);
      return null;
    }
    this.handle(parsed);
    return parsed;
  }

  /** Record `i` of a batch from the parse worker (the replay and daemon path). */
  processPacked(input: InputCursor, batch: PackedBatch, i: number, tables: PackedTables): void {
    this.advance(input, batch.lineNos[i], batch.resumes[i]);
    const kind = batch.kinds[i];
    if (kind === EVENT) this.handle(tables.event(batch, i, input.origin));
    else this.countKind(kindOf(kind));
  }

  /** A line the decoder could not use (oversized, malformed wrapper, truncated). */
  skip(input: InputCursor, reason: SkipReason, lineNo: number, resume: number): void {
    this.advance(input, lineNo, resume);
    this.countKind(reason);
  }

  /**
   * Writes everything gathered since the last commit in one transaction. If it throws, the
   * in-memory state is dropped so that it is re-read from the db (which is still consistent).
   */
  commit(): CommitResult {
    let result: CommitResult = { raised: [], updated: [] };
    try {
      this.db.transaction(() => {
        this.history.flush();
        if (this.detection) result = this.detection.persist();
        for (const hook of this.hooks) hook(result.raised, result.updated);
        for (const input of this.touched) {
          input.dirty = false;
          if (!input.checkpointed || input.fingerprint === null) continue;
          this.checkpoints.put({
            fingerprint: input.fingerprint,
            path: input.path,
            offset: input.offset,
            lineNo: input.lineNo,
            dev: input.dev,
            ino: input.ino,
          });
        }
      })();
    } catch (err) {
      this.history.reset();
      this.detection?.reset();
      throw err;
    }
    this.touched.clear();
    this.uncommitted = 0;
    this.history.trim();
    this.stats.users = this.history.usersSeen;
    this.stats.alertsRaised += result.raised.length;
    this.stats.alertsUpdated += result.updated.length;
    return result;
  }

  private advance(input: InputCursor, lineNo: number, resume: number): void {
    input.offset = resume;
    input.lineNo = lineNo;
    if (!input.dirty) {
      input.dirty = true;
      this.touched.add(input);
    }
    this.stats.linesRead++;
    this.uncommitted++;
  }

  private countKind(kind: LineKind): void {
    const k = this.stats.lineKinds;
    k[kind] = (k[kind] ?? 0) + 1;
  }

  private handle(e: Event): void {
    const type: EventType = e.type;
    const ev = this.stats.events;
    ev[type] = (ev[type] ?? 0) + 1;
    this.enricher.enrich(e);
    if (this.detection !== null) this.detection.onEvent(e, this.history);
    for (const observe of this.observers) observe(e);
    const dn = e.dn;
    if (isUserDn(dn)) this.history.record(e, dn, e.dnSha1!);
  }
}
