import type { Config } from './config.js';
import type { Runtime } from './runtime.js';
import type { Log } from '../core/log.js';
import type { RetentionOptions } from '../core/ports.js';
import { durationMs } from '../core/duration.js';
import { listDeleted, totalDeleted, type RetentionPolicy, type RetentionReport } from '../core/retention.js';

export function retentionPolicy(config: Config): RetentionPolicy {
  const r = config.store.retention;
  const ms = (t: string | null) => (t === null ? null : durationMs(t));
  return { events: ms(r.events), alerts: ms(r.alerts), incidents: ms(r.incidents) };
}

/** How often the daemon applies it (ms). */
export function retentionEvery(config: Config): number {
  return durationMs(config.store.retention.every);
}

const HOUR_MS = 3_600_000;
/** Passes by log time come at most this often: a commit per log second would slow a replay down for nothing (ages are days). */
const LEAST_LOG_TIME_TICK_MS = HOUR_MS;

/**
 * The log-time interval after which the ingest loop commits for a retention pass: `every`,
 * an hour at least (null: the policy keeps everything).
 */
export function retentionTickMs(config: Config): number | null {
  const p = retentionPolicy(config);
  if (p.events === null && p.alerts === null && p.incidents === null) return null;
  return Math.max(retentionEvery(config), LEAST_LOG_TIME_TICK_MS);
}

/**
 * When retention runs: right after a commit, before the first event of a run and before the
 * first event past each `store.retention.every` of log time (an hour at least: see
 * `retentionTickMs`) at which history may have aged out (`wanted`), and, for the daemon,
 * every `every` of wall-clock time too (a quiet log still gets its passes, and notifications
 * and actions age by the clock). A replay of months thus forgets, before each log hour, what a
 * daemon reading the same lines live would have forgotten by then; a daemon catching up a
 * backlog does the same.
 *
 * The commit listener waits for the pass: nothing is processed while it deletes, so the
 * history it then forgets in memory holds no change that is not stored yet (on PostgreSQL a
 * pass takes time; lines processed beside it were lost with that memory).
 */
export class RetentionSchedule {
  private lastPass = Date.now();
  /** Passes made, and rows they deleted by table (a replay reports them once, at its end). */
  readonly totals: { passes: number; deleted: Record<string, number> } = { passes: 0, deleted: {} };
  /**
   * No row of history is older than this (log time) but those this run wrote since (none older
   * than its earliest event); unknown (null) before the first pass. A pass whose cutoff is
   * below it cannot delete history and skips those steps: each scans a table with no index on
   * its times (2 M lines of a million users, a pass per log hour: 1.25x the time).
   */
  private historyFloor: number | null = null;
  /** The store's newest log time at the last pass (null: empty). */
  private newestAtLastPass: number | null = null;
  /** Stops the pass under way (see stop). */
  private readonly stopping = new AbortController();

  constructor(
    private readonly runtime: Runtime,
    private readonly log: Log,
    /** wallClock: passes by the clock too (the daemon); announce: a line per pass that deleted rows (the daemon; a replay would print one per log hour). */
    private readonly opts: { wallClock: boolean; announce: boolean },
  ) {}

  /**
   * Whether a pass at a log-time boundary reached now has work: always the run's first (it
   * learns how old the history is), then only once the history may hold rows older than the
   * events' age. The ingest loop commits for the others only when asked (Ingest.wantTicks): a
   * commit per log hour cost an alert storm (1 M lines, 6 log hours) 1.06-1.10x the time.
   */
  wanted(): boolean {
    const events = retentionPolicy(this.runtime.config).events;
    return this.historyFloor === null || (events !== null && this.historyAbove(events, this.newestBound()));
  }

  /** A wall-clock pass is due (the daemon's timer forces a commit on a quiet log for it). */
  get wallClockDue(): boolean {
    return this.opts.wallClock && Date.now() - this.lastPass >= retentionEvery(this.runtime.config);
  }

  /**
   * No pass starts any more, and the one under way ends before its next delete statement: a
   * stopping daemon does not wait for passes (on a slow PostgreSQL a pass takes seconds, more
   * than the shutdown may), and what they would have deleted goes at the next start.
   */
  stop(): void {
    this.stopping.abort();
  }

  /** The commit listener: a pass when one is due. A failed pass is logged and tried again when the next is due. */
  async committed(report: { logTimeTick: number | null }): Promise<void> {
    if (this.stopping.signal.aborted || (report.logTimeTick === null && !this.wallClockDue)) return;
    this.lastPass = Date.now();
    const policy = retentionPolicy(this.runtime.config);
    const newest = this.newestBound();
    const history = policy.events !== null && this.historyAbove(policy.events, newest);
    let r: RetentionReport;
    try {
      // Without history, the newest log time is not read from the users (a scan: 0.2 s with a
      // million of them); events that left no user or alert row may make it later than the
      // store's own, by the time since the last one: what it moves is a closed alert's year.
      const signal = this.stopping.signal;
      r = history ? await applyRetention(this.runtime, policy, Date.now(), { signal }) : await applyRetention(this.runtime, { ...policy, events: null }, Date.now(), { newest: newest ?? undefined, signal });
      // A stopped pass may have left old history: the floor stays where it was.
      if (history && !r.stopped) this.historyFloor = await this.floorAfter(r, policy.events!);
      this.newestAtLastPass = r.newestLogTime;
    } catch (err) {
      this.log.warn('retention not applied this time', { err: (err as Error).message });
      return;
    }
    this.totals.passes++;
    for (const [table, n] of Object.entries(r.deleted)) this.totals.deleted[table] = (this.totals.deleted[table] ?? 0) + n;
    if (this.opts.announce && totalDeleted(r) > 0) {
      const stopped = r.stopped ? ', stopped with the daemon: the rest at the next pass' : '';
      this.log.info(`retention: deleted ${listDeleted(r.deleted)} (ages measured back from the newest log time, ${new Date(r.newestLogTime!).toISOString()}${stopped})`, { deleted: r.deleted });
    }
  }

  /** The store's newest log time at most: the later of the last pass's and the newest event processed since (null: none yet, or no pass yet). */
  private newestBound(): number | null {
    if (this.historyFloor === null) return null;
    const processed = this.runtime.ingest.newestProcessed;
    if (this.newestAtLastPass === null) return processed === Number.NEGATIVE_INFINITY ? null : processed;
    return Math.max(processed, this.newestAtLastPass);
  }

  /** Whether the history may hold rows more than `events` older than `newest` (a pass would delete some). */
  private historyAbove(events: number, newest: number | null): boolean {
    if (this.historyFloor === null) return true;
    if (newest === null) return false;
    const earliest = this.runtime.ingest.earliestProcessed;
    // What this run wrote is no older than its earliest event (an hour's bucket of activity: that hour's start).
    const written = earliest === Number.POSITIVE_INFINITY ? earliest : earliest - (earliest % HOUR_MS);
    return newest - events >= Math.min(this.historyFloor, written);
  }

  /** The floor after a pass over the history: its cutoff, or (first pass) the oldest row left. */
  private async floorAfter(r: RetentionReport, events: number): Promise<number> {
    if (r.newestLogTime === null) return Number.POSITIVE_INFINITY;
    if (this.historyFloor !== null) return Math.max(this.historyFloor, r.newestLogTime - events);
    return (await this.runtime.retention.oldestHistory()) ?? Number.POSITIVE_INFINITY;
  }
}

/**
 * One pass, right after a commit, with nothing processed until it is done (RetentionSchedule
 * waits for it): deletes what the policy no longer keeps, then makes the users held in memory
 * forget the same history (History.forgetBefore) and take the organisation's counts as the
 * store now has them, so that none of it is written back or counted. Memory holds no
 * unstored change then: the commit just wrote everything processed.
 */
export async function applyRetention(
  runtime: Runtime,
  policy: RetentionPolicy = retentionPolicy(runtime.config),
  now: number = Date.now(),
  opts: Pick<RetentionOptions, 'newest' | 'signal'> = {},
): Promise<RetentionReport> {
  // Stopped part way, the store has deleted some of what the cutoff covers: memory forgets all
  // of it (what the store kept goes at its next pass, and nothing of it is written back).
  const report = await runtime.retention.apply(policy, now, opts);
  if (policy.events !== null && report.newestLogTime !== null && totalDeleted(report) > 0) await runtime.history.forgetBefore(report.newestLogTime - policy.events);
  // The store counted the organisation's places again from the addresses left.
  if ((report.deleted.user_ips ?? 0) > 0) await runtime.history.recountOrganisation();
  return report;
}
