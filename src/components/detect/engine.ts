import { AddressSet } from '../../core/address-set.js';
import type { AlertUpdate, Severity, StoredAlert } from '../../core/alerts.js';
import { DnPatterns } from '../../core/dn-patterns.js';
import { EVENT_TYPES, TYPE } from '../../core/events.js';
import type { StoredIncident } from '../../core/incidents.js';
import { sourceOf, type LogEvent } from '../../core/log-event.js';
import type { IncidentLink, PipelineStore } from '../../core/ports.js';
import { Organisation } from '../history/organisation.js';
import type { User } from '../history/user.js';
import type { DetectConfig } from './config.js';
import { DetectorState, type StateWrites } from './detector-state.js';
import { explainEvent, type RuleVerdict } from './explain.js';
import { IncidentTracker, incidentCodec } from './incidents.js';
import { createRunners, dispatchByType, type RuleRunner } from './rule-runner.js';
import type { Rule } from './rules.js';
import { StateTable, type StateCodec } from './state-table.js';
import { AlertTracker } from './tracker.js';
import { VerdictVectors } from './verdict-vectors.js';
import { AddressVisibility } from './visibility.js';

/** What detection changed since the last commit. */
export interface DetectionWrites {
  state: StateWrites;
  alerts: { raised: StoredAlert[]; updated: AlertUpdate[] };
  incidents: { changed: StoredIncident[]; links: IncidentLink[]; opened: StoredIncident[]; escalated: StoredIncident[] };
}

/**
 * The detection stage: each event goes to the rules that look at its type (after their DN
 * patterns, address exceptions and the global allowlist), findings become alerts with
 * suppression, new alerts add risk towards incidents, and everything changed is collected for
 * the commit. All state is in memory (loaded at start-up, users with their batch), so nothing
 * here waits for the store; everything runs on log time, so a replay and a live run over the
 * same lines raise the same alerts with the same ids.
 */
export class DetectionEngine {
  readonly visibility = new AddressVisibility();
  private runners: RuleRunner[] = [];
  /** The runners whose detectors hold findings back (`Detector.due`). */
  private waiting: RuleRunner[] = [];
  private dispatch: RuleRunner[][] = EVENT_TYPES.map(() => []);
  /** Which rules admit a user or an address, for the rules in force. */
  private verdicts!: VerdictVectors;
  private readonly tracker: AlertTracker;
  private readonly incidents: IncidentTracker;
  private readonly state: DetectorState;
  private current: Rule[] = [];
  private nextRules: Rule[] | null = null;
  private allowNets: AddressSet | null;
  private allowDns: DnPatterns | null;
  /** Latest log time seen. */
  watermark = Number.NEGATIVE_INFINITY;
  /** Events seen since the last commit. */
  pending = 0;

  /**
   * `organisation`: the counts history keeps up to date (a fresh, empty one when detection
   * runs without history, as in rule tests).
   */
  constructor(
    rules: Rule[],
    private readonly config: DetectConfig,
    readonly organisation: Organisation = new Organisation(config.organisation),
  ) {
    this.tracker = new AlertTracker(config.maxEvidence, config.maxOpenAlertsPerUser, config.maxOpenAlerts);
    const windows = new StateTable('incidents/windows', incidentCodec(config.incidents.window) as StateCodec<unknown>);
    this.state = new DetectorState(windows);
    this.incidents = new IncidentTracker({ threshold: config.incidents.threshold, windowMs: config.incidents.window }, windows as never);
    this.allowNets = config.allowlist.networks.length ? new AddressSet(config.allowlist.networks) : null;
    this.allowDns = config.allowlist.dns.length ? new DnPatterns(config.allowlist.dns, []) : null;
    this.install(rules);
  }

  /** The rules in force. */
  get rules(): readonly Rule[] {
    return this.current;
  }

  get repeats(): number {
    return this.tracker.repeats;
  }

  /** Open alerts held in memory, and those let go before their window closed (`detect.maxOpenAlerts`). */
  get openAlerts(): { held: number; letGoEarly: number } {
    return { held: this.tracker.openHeld, letGoEarly: this.tracker.letGoEarly };
  }

  /** Alerts raised or repeated since the last commit: their rows wait in memory for it. */
  get heldAlerts(): number {
    return this.tracker.held;
  }

  /**
   * Start-up: the stored detector state, the open incidents, and each stored alert that may
   * still count repeats, taken as the store reads it (within its rule's suppression window).
   * Returns the store's status version, from which analysts' changes are polled.
   */
  async loadFrom(store: Pick<PipelineStore, 'loadDetection'>): Promise<number> {
    const suppress = new Map(this.current.map((r) => [r.id, r.suppressMs]));
    const loaded = await store.loadDetection((a) => this.tracker.load(a, suppress.get(a.rule) ?? 24 * 3_600_000));
    this.tracker.bound();
    this.state.load(loaded.state);
    this.incidents.load(loaded.openIncidents);
    return loaded.statusVersion;
  }

  /**
   * One event, with its user's history before it. Returns the id of an alert it raised (or
   * repeated) that keeps its address from being learnt, or null.
   */
  event(e: LogEvent, user: User | null): string | null {
    const ts = e.ts;
    if (ts > this.watermark) this.watermark = ts;
    if (this.waiting.length > 0) this.raiseDue(ts);
    // Every few thousand events: state keyed by something as numerous as addresses stays within what is open.
    if ((++this.pending & 4095) === 0) this.state.pruneIfLarge(this.watermark);
    const type = e.type;
    if (type === TYPE.AzSuccess || type === TYPE.AuSuccess) this.visibility.observe(e.address);
    const runners = this.dispatch[type];
    if (runners.length === 0) return null;
    if (!this.allowed(e)) return null;
    let quarantine: string | null = null;
    const verdicts = this.verdicts;
    const uv = user === null ? null : verdicts.user(user);
    const av = e.address === null || !verdicts.addressExceptions ? null : verdicts.address(e.address);
    for (let i = 0; i < runners.length; i++) {
      const r = runners[i];
      if (uv !== null) {
        if (uv[r.index] === 0) continue;
      } else if (e.dn !== null && !r.admitsDn(e.dn.dn)) continue;
      if (av !== null && av[r.index] === 0) continue;
      const f = r.detector.check(e, user, null);
      if (f === null) continue;
      // The event itself, not a closure reading its line: a closure here would put event()'s
      // variables on the heap at every event (the line is read only for a new alert's id).
      const raised = this.tracker.raise(r.rule, f, ts, e);
      // The event's place in its log (`origin:line`), not this process's input number: the key
      // is stored with the risk window and must mean the same event after a restart or takeover.
      if (raised.isNew) this.incidents.add(raised.alert, r.rule.page, e.address?.net ?? null, ts, sourceOf(e));
      if (r.rule.quarantine && quarantine === null && severityAtLeastMedium(raised.severity) && f.ip === e.address?.ip) {
        quarantine = raised.isNew ? raised.id : this.tracker.idOf(raised.slot);
      }
    }
    return quarantine;
  }

  /** The input ended: findings detectors hold back are raised (what would clear them is not in it). */
  finish(): void {
    if (this.waiting.length > 0) this.raiseDue(Number.POSITIVE_INFINITY);
  }

  private raiseDue(now: number): void {
    // Indexed loops: asked before every event, nothing may be allocated when nothing is due.
    for (let i = 0; i < this.waiting.length; i++) {
      const r = this.waiting[i];
      const due = r.detector.due!(now);
      for (let k = 0; k < due.length; k++) {
        const d = due[k];
        const raised = this.tracker.raise(r.rule, d.finding, d.ts, { raw: () => d.line });
        if (raised.isNew) this.incidents.add(raised.alert, r.rule.page, d.net, d.ts, d.source);
        this.pending++;
      }
    }
  }

  /** Everything to write in the commit. */
  collect(): DetectionWrites {
    return {
      state: this.state.collect(this.watermark),
      alerts: this.tracker.collect(),
      incidents: this.incidents.collect(),
    };
  }

  committed(): void {
    this.tracker.committed();
    this.incidents.committed();
    this.state.committed();
    this.tracker.trim(this.watermark);
    this.state.sweep(this.watermark);
    this.pending = 0;
    if (this.nextRules !== null) {
      this.install(this.nextRules);
      this.nextRules = null;
    }
  }

  /** An analyst closed an alert (another process): a later repeat is a new alert. */
  alertClosed(a: Pick<StoredAlert, 'id' | 'rule' | 'dn' | 'ip'> & { suppressKey?: string | null }): void {
    this.tracker.closed(a.rule, a.dn, a.suppressKey ?? a.ip, a.id);
  }

  incidentClosed(key: string, id: string): void {
    this.incidents.closed(key, id);
  }

  /**
   * Swaps in new (validated) rules. Detector state not yet written belongs to the old rules,
   * so the swap happens right after the next commit unless nothing is pending.
   */
  replaceRules(rules: Rule[]): void {
    if (this.pending > 0) this.nextRules = rules;
    else this.install(rules);
  }

  /**
   * How every rule judges `e` against the current state, without recording anything. It moves
   * detectors' windows like a real event would, so use it on an engine made for the purpose
   * (as `ouwatch explain` does), never on the one of a running pipeline.
   */
  explain(e: LogEvent, user: User | null): RuleVerdict[] {
    return explainEvent(e, user, {
      rules: this.current,
      runners: this.runners,
      allowlisted: this.allowed(e) ? null : 'the global allowlist (detect.allowlist) covers this event',
      tracker: this.tracker,
      incidents: this.incidents,
      threshold: this.config.incidents.threshold,
    });
  }

  private allowed(e: LogEvent): boolean {
    if (this.allowNets !== null && e.address !== null && this.allowNets.has(e.address.ip)) return false;
    if (this.allowDns !== null && e.dn !== null && this.allowDns.active && !this.allowDnsVerdict(e.dn.dn)) return false;
    return true;
  }

  /** True when the DN is NOT on the allowlist (DnPatterns' include list means "matches"). */
  private allowDnsVerdict(dn: string): boolean {
    return !this.allowDns!.allows(dn);
  }

  private install(rules: Rule[]): void {
    this.current = rules;
    const maxEvidence = Math.min(this.config.maxEvidence, 50);
    this.runners = this.state.reopen((open) => createRunners(rules, { open, maxEvidence, organisation: this.organisation }));
    this.verdicts = new VerdictVectors(rules, this.runners);
    this.dispatch = dispatchByType(this.runners);
    this.waiting = this.runners.filter((r) => r.detector.due !== undefined);
  }
}

function severityAtLeastMedium(s: Severity): boolean {
  return s !== 'low';
}
