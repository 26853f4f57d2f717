import type { AlertUpdate, StoredAlert } from '../core/alerts.js';
import type { StoredIncident } from '../core/incidents.js';
import type { CommitBatch, CommitHook, PipelineStore } from '../core/ports.js';
import type { DetectionEngine, DetectionWrites } from '../components/detect/engine.js';
import type { History } from '../components/history/history.js';
import type { Feed } from './feed.js';
import type { CommitScope, Committer } from './commit-policy.js';

/** What one commit stored, for printing, notifications and metrics. */
export interface CommitReport {
  raised: StoredAlert[];
  updated: AlertUpdate[];
  /** Incidents opened by this commit, and those that changed (new alerts joined). */
  opened: StoredIncident[];
  incidents: StoredIncident[];
  /** Inputs whose positions it stored. */
  feeds: Feed[];
  /** Lines it covers, and when their bytes arrived (performance.now(), one per batch). */
  lines: number;
  arrivals: number[];
  /** The log time of the event it was made before when a log-time interval ended there (CommitPolicyOptions.logTimeTickMs), else null. */
  logTimeTick: number | null;
  /** When it finished (performance.now()) and how long it took. */
  committedAt: number;
  durationMs: number;
}

export interface CommitterOptions {
  store: PipelineStore;
  history: History;
  detection: DetectionEngine;
  /** Run inside the transaction (responses and notifications are queued with their alerts). */
  hooks: CommitHook[];
  /** The oldest DN id still referenced by batches in flight (history lets go of users below it). */
  minLiveDnId(): number;
  /** Whether a batch in flight names this DN (history keeps all of that user's addresses). */
  namesInFlight(dn: string): boolean;
  statusVersion: number;
  /** Throws when the store cannot be written now (checked before anything is written). */
  beforeCommit?(): void;
  /**
   * Told after every commit; the next commit waits for what it returns (a consumer slower than
   * the pipeline, such as a reader of `--json`, holds the pipeline back instead of letting
   * committed alerts pile up in memory).
   */
  onCommit?(report: CommitReport): void | Promise<void>;
}

/**
 * Gathers everything processed since the last commit (history, detector state, alerts,
 * incidents, the inputs' positions) and writes it in one transaction. Analysts' changes made
 * meanwhile (an alert closed, closed as benign) are noticed first. A failed write leaves
 * memory as it is: the next commit writes everything since the last good one, so a storage
 * fault can be waited out without losing or doubling anything.
 */
export class StoreCommitter implements Committer {
  private version: number;
  /** Alerts closed as benign since the last commit: the store releases their addresses with it. */
  private releases: string[] = [];
  /** A released alert's user was not in memory: the organisation's counts are read again after the commit. */
  private recountDue = false;
  /**
   * Noticing analysts' changes and writing a commit, one at a time: a batch prepared while a
   * commit is written (its store may be a server) would otherwise change history between the
   * commit's collect and its end, and the end marks everything collected as stored.
   */
  private turn: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: CommitterOptions) {
    this.version = o.statusVersion;
  }

  /**
   * Applies analysts' changes made since the last look: a closed alert takes no more repeats,
   * a benign verdict teaches the addresses its alert kept from being learnt (written with the
   * next commit). Called before each batch is processed and before each commit, so the first
   * repeat after a close is already a new alert.
   */
  noticeChanges(): Promise<void> {
    return this.inTurn(() => this.applyChanges());
  }

  private inTurn<T>(f: () => Promise<T>): Promise<T> {
    const run = this.turn.then(f);
    this.turn = run.catch(() => undefined);
    return run;
  }

  private async applyChanges(): Promise<void> {
    const { store, history, detection } = this.o;
    const changes = await store.statusChangesSince(this.version);
    if (changes.version === this.version) return;
    for (const a of changes.alerts) {
      if (a.status !== 'closed') continue;
      detection.alertClosed(a);
      if (a.benign && a.dn !== null) {
        if (!(await history.releaseQuarantine(a.dn, a.id))) this.recountDue = true;
        this.releases.push(a.id);
      }
    }
    for (const i of changes.incidents) if (i.status === 'closed') detection.incidentClosed(i.key, i.id);
    this.version = changes.version;
  }

  async commit(scope: CommitScope): Promise<void> {
    const started = performance.now();
    this.o.beforeCommit?.();
    const { batch, d } = await this.inTurn(() => this.write(scope));
    await this.o.onCommit?.({
      raised: batch.alerts.raised,
      updated: batch.alerts.updated,
      opened: d.incidents.opened,
      incidents: d.incidents.changed,
      feeds: scope.feeds,
      lines: scope.lines,
      arrivals: scope.arrivals,
      logTimeTick: scope.logTimeTick,
      committedAt: performance.now(),
      durationMs: performance.now() - started,
    });
  }

  private async write(scope: CommitScope): Promise<{ batch: CommitBatch; d: DetectionWrites }> {
    const feeds = scope.feeds;
    const { store, history, detection } = this.o;
    await this.applyChanges();
    const d = detection.collect();
    // From here to store.commit nothing awaits: a store that writes within its call reads
    // history's own state (HistoryWrites.writeTo), which the next event would change.
    const batch: CommitBatch = {
      history: history.collect(store.writesWithinCall),
      state: d.state,
      alerts: d.alerts,
      incidents: d.incidents.changed,
      incidentLinks: d.incidents.links,
      incidentChanges: { opened: d.incidents.opened, escalated: d.incidents.escalated },
      positions: feeds.filter((f) => f.reg.identity.kind !== 'none').map((f) => ({ identity: f.reg.identity, origin: f.origin, position: f.current() })),
      releases: this.releases,
    };
    await store.commit(batch, this.o.hooks);
    this.releases = [];
    history.committed(this.o.minLiveDnId(), (dn) => this.o.namesInFlight(dn));
    detection.committed();
    // The store counted the organisation's places again with the releases (see recountDue).
    if (this.recountDue) {
      await history.recountOrganisation();
      this.recountDue = false;
    }
    return { batch, d };
  }
}
