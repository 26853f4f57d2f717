import type { Feed } from './feed.js';
import type { EventProcessor } from './ingest.js';

/**
 * Users changed since the last commit that make a commit due (they stay in memory until then).
 * As many as history keeps anyway (its soft limit). Fewer, larger commits rewrite fewer pages
 * of the users' DN index, but with the heap's growth bounded (cli/heap-growth.ts) the users
 * held set the peak: many-users (2 M lines, 1 M users) peaks at 589 against 695 MiB with
 * 20,000 here and in history instead of 40,000, in the same time (0.92x wall, 3 noisy pairs).
 */
export const DEFAULT_COMMIT_AT_BACKLOG = 20_000;

/**
 * Users met for the first time since the last commit that make a commit due, before the
 * backlog does. A user new to the store weighs most until the commit: created with every
 * part of their history, all their rows new. An archive of many people met once (many-users:
 * 2 M lines, 1 M users) peaked at 351.4 against 391.5 MiB with this bound (3 pairs, the time
 * within its noise: 95-108 against 78-108 s). The backlog alone at 10,000 did as much there,
 * but also for users who come back; this bound leaves them to it. Its price: a run that meets
 * this many people and holds them all until one commit at the end no longer does (the
 * organisation corpus, 20,000 people in 1 M lines, commits after its first 10,000 and then
 * loads those let go again: 1.19x its time, 5 pairs).
 */
export const DEFAULT_COMMIT_AT_NEW_USERS = 10_000;

/**
 * Rows begun since the last commit (a user's session, its addresses, an hour of activity:
 * History.heldRows) that make a commit due. Users who come back day after day add a few each
 * a day: a replay of 90 days of 2,000 such users held every session and hour of its million
 * lines until the commit at the millionth (150 MB live at 600,000 lines), and users' old
 * addresses, let go only after a commit, stayed too.
 */
export const DEFAULT_COMMIT_AT_HELD_ROWS = 50_000;

/**
 * Alerts raised or repeated since the last commit that make a commit due. An alert storm
 * otherwise holds every alert of a commit's million lines in memory (the storm corpus raises
 * about 40,000 per million lines), and a replay prints nothing until that commit lands.
 * With the heap's growth bounded (cli/heap-growth.ts), what is held sets the peak: storm,
 * 1 M lines, peaks at 325 MiB at 20,000 against 381 at 40,000 (and 294 at 10,000), for
 * 1.07-1.10x the time (twice as many commits, each writing every changed user).
 */
export const DEFAULT_COMMIT_AT_ALERTS = 20_000;

/**
 * How many times fewer alerts make a commit due while their reader is behind (replay's
 * `--json` into a pipe read slowly): the commit whose alerts are being written and the one
 * being filled both wait in memory then, and the reader sets the pace anyway, so smaller
 * commits cost no time a reader would notice. Storm, 5 M lines, `--json` into a 2 MB/s
 * reader: 371,428-414,508 KiB (median 396,576) against 420,888-427,956 (median 420,948),
 * 108.0-109.5 against 110.7 s, 3 runs each in turn.
 */
export const BEHIND_DIVISOR = 4;

/** What a commit covers besides the processor's changes: the inputs' positions and when their bytes arrived. */
export interface CommitScope {
  feeds: Feed[];
  /** Lines consumed since the last commit. */
  lines: number;
  /** When the bytes of each batch consumed since the last commit arrived (performance.now()). */
  arrivals: number[];
  /** The log time of the event this commit was made before, when a log-time interval made it due (see `logTimeTickMs`); else null. */
  logTimeTick: number | null;
}

/** Writes what was processed, with the positions of the inputs it came from, in one transaction. */
export interface Committer {
  commit(scope: CommitScope): Promise<void>;
}

export interface CommitPolicyOptions {
  /** Commit after this many lines (bounded memory and bounded rework after a crash). */
  commitEveryLines: number;
  /**
   * Commit once the processor holds this much for the next commit (users changed since the
   * last): many distinct users between commits would otherwise all stay in memory.
   */
  commitAtBacklog?: number;
  /** Commit once this many users were met for the first time since the last commit (DEFAULT_COMMIT_AT_NEW_USERS). */
  commitAtNewUsers?: number;
  /** Commit once the processor holds this many alerts for the next commit (DEFAULT_COMMIT_AT_ALERTS). */
  commitAtAlerts?: number;
  /** Commit once the processor holds this many rows begun since the last commit (DEFAULT_COMMIT_AT_HELD_ROWS). */
  commitAtHeldRows?: number;
  /** Whether the reader of the committed alerts is behind: commits then hold BEHIND_DIVISOR times fewer alerts. */
  outputBehind?(): boolean;
  /** Live runs: commit at most this often while lines arrive (null: only by lines and at the end). */
  commitIntervalMs: number | null;
  /**
   * A commit before the first event of the run and before the first event at or past each
   * multiple of this much log time (ms, from the epoch, as a clock's hours): commit listeners
   * then run at the log times a live run would have run them (the retention passes), whatever
   * the run's commits by size, and a run resumed later meets the same boundaries as one that
   * was not stopped. Absent or null: none.
   */
  logTimeTickMs?: number | null;
}

/**
 * The ingest loop's commits: what the next one covers (lines and arrivals consumed since the
 * last), when it is due, and writing it.
 */
export class CommitPolicy {
  private lastCommit = performance.now();
  private linesSinceCommit = 0;
  private arrivals: number[] = [];
  /** Events at or past this log time wait for a commit (Infinity: no interval, or none started). */
  private tickAt = Number.POSITIVE_INFINITY;
  /** The time of the event waiting for a tick's commit, null when none waits. */
  private tickReached: number | null = null;
  /** Whether a boundary reached now needs its commit (its listener has work); one that does not is passed by. */
  tickWanted: () => boolean = () => true;

  constructor(
    private readonly processor: Pick<EventProcessor, 'pending' | 'backlog' | 'newUsers' | 'heldAlerts' | 'heldRows'>,
    private readonly committer: Committer,
    private readonly opts: CommitPolicyOptions,
  ) {}

  /** A batch's lines were consumed; its bytes arrived at `arrival`. */
  consumed(lines: number, arrival: number): void {
    this.linesSinceCommit += lines;
    this.arrivals.push(arrival);
  }

  /**
   * The log time at or past which the next events wait for a commit; `head` is the time of the
   * next event (the first event of the run waits for one). -Infinity while one already waits.
   */
  tickBefore(head: number): number {
    if (this.tickReached !== null) return Number.NEGATIVE_INFINITY;
    if (this.tickAt === Number.POSITIVE_INFINITY && this.opts.logTimeTickMs != null) this.tickAt = head;
    return this.tickAt;
  }

  /**
   * An event at `time` reached the tick. True: it waits for the commit that `dueIn` now asks
   * for. False: the boundary was not wanted and the next one is the tick now.
   */
  reachedTick(time: number): boolean {
    if (this.tickWanted()) {
      this.tickReached = time;
      return true;
    }
    this.tickAt = this.nextBoundary(time);
    return false;
  }

  private nextBoundary(time: number): number {
    const every = this.opts.logTimeTickMs!;
    return Math.floor(time / every) * every + every;
  }

  /**
   * Whether a commit is due: 0 now, else the milliseconds until the interval makes it due
   * (null: nothing waits for one, or only the end of the run does).
   */
  dueIn(): number | null {
    if (this.tickReached !== null) return 0;
    const pending = this.processor.pending > 0 || this.linesSinceCommit > 0;
    if (!pending) return null;
    if (this.linesSinceCommit >= this.opts.commitEveryLines) return 0;
    if (this.processor.backlog >= (this.opts.commitAtBacklog ?? DEFAULT_COMMIT_AT_BACKLOG)) return 0;
    if (this.processor.newUsers >= (this.opts.commitAtNewUsers ?? DEFAULT_COMMIT_AT_NEW_USERS)) return 0;
    if (this.processor.heldRows >= (this.opts.commitAtHeldRows ?? DEFAULT_COMMIT_AT_HELD_ROWS)) return 0;
    if (this.processor.heldAlerts >= this.alertBound()) return 0;
    const interval = this.opts.commitIntervalMs;
    if (interval === null) return null;
    const since = performance.now() - this.lastCommit;
    if (since >= interval) return 0;
    return interval - since;
  }

  private alertBound(): number {
    const bound = this.opts.commitAtAlerts ?? DEFAULT_COMMIT_AT_ALERTS;
    return this.opts.outputBehind?.() === true ? Math.max(1, Math.floor(bound / BEHIND_DIVISOR)) : bound;
  }

  /** Commits what was processed and the positions of `feeds` that changed (`force`: even when nothing did). */
  async commit(feeds: readonly Feed[], force = false): Promise<void> {
    const touched = feeds.filter((f) => f.dirty);
    const tick = this.tickReached;
    if (!force && tick === null && this.processor.pending === 0 && touched.length === 0) return;
    await this.committer.commit({ feeds: touched, lines: this.linesSinceCommit, arrivals: this.arrivals, logTimeTick: tick });
    for (const f of touched) f.markCommitted();
    if (tick !== null) {
      this.tickAt = this.nextBoundary(tick);
      this.tickReached = null;
    }
    this.linesSinceCommit = 0;
    this.arrivals = [];
    this.lastCommit = performance.now();
  }
}
