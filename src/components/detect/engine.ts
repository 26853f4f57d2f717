import type { Event, EventType } from '../../core/events.js';
import type { HistoryView, UserState } from '../../core/history.js';
import type { Severity, StoredAlert } from '../../core/alerts.js';
import { EVENT_TYPES } from '../../core/events.js';
import type { DetectionStage } from '../../pipeline/pipeline.js';
import { AlertStore } from '../../store/sqlite/alerts.js';
import type { Db } from '../../store/sqlite/database.js';
import { DetectorStateStore } from '../../store/sqlite/detector-state.js';
import { AddressSet } from '../../core/address-set.js';
import type { Detector } from './detector.js';
import { DnPatterns } from '../../core/dn-patterns.js';
import type { Rule } from './rules.js';
import { AlertTracker, alertId } from './tracker.js';
import { AddressVisibility } from './visibility.js';

export interface EngineOptions {
  /** Evidence lines kept per alert (and per detector window). */
  maxEvidence?: number;
}

/** How one rule judged one event, for `ouwatch explain`. */
export interface RuleVerdict {
  rule: string;
  detector: string;
  severity: Severity;
  outcome: 'fires' | 'repeat' | 'quiet' | 'excluded' | 'not-reached' | 'disabled' | 'off';
  notes: string[];
  /** For `fires`: the alert it would raise; for `repeat`: the open alert it would count on. */
  alert: { id: string; reason: string; count?: number } | null;
}

/** A rule with its detector and compiled filters. */
class RuleRunner {
  private readonly dns: DnPatterns | null;
  private readonly ips: AddressSet | null;

  constructor(
    readonly rule: Rule,
    readonly detector: Detector,
    patterns: DnPatterns,
  ) {
    this.dns = patterns.active ? patterns : null;
    this.ips = rule.ipExceptions.length ? new AddressSet(rule.ipExceptions) : null;
  }

  /** The rule's DN patterns and address exceptions let the event through. */
  admits(e: Event): boolean {
    if (this.dns !== null && e.dn !== null && !this.dns.allows(e.dn)) return false;
    if (this.ips !== null && e.ip !== null && this.ips.has(e.ip)) return false;
    return true;
  }

  whyNot(e: Event): string | null {
    if (this.dns !== null && e.dn !== null) {
      const why = this.dns.why(e.dn);
      if (why !== null) return `the DN ${why}`;
    }
    if (this.ips !== null && e.ip !== null && this.ips.has(e.ip)) return `${e.ip} is in the rule's ipExceptions (${this.ips.which(e.ip)})`;
    return null;
  }
}

/**
 * The detection stage: sends each event to the rules that look at its type (after their DN
 * patterns and address exceptions), turns findings into alerts with suppression, and writes
 * detector state and alerts inside the pipeline's commit transaction. Everything runs on log
 * time, so a replay and a live run over the same lines raise the same alerts with the same ids.
 */
export class DetectionEngine implements DetectionStage {
  /** Where successful events come from (the "ingress hides client addresses" warning). */
  readonly visibility = new AddressVisibility();
  private runners: RuleRunner[] = [];
  private dispatch = emptyDispatch();
  private readonly tracker: AlertTracker;
  private readonly state: DetectorStateStore;
  private readonly maxEvidence: number;
  /** Latest log time seen. */
  private watermark = Number.NEGATIVE_INFINITY;
  /** Events seen since the last persist (rules can be swapped at once when there were none). */
  private touched = false;
  private nextRules: Rule[] | null = null;
  private current: Rule[] = [];
  private readonly memo = new UserMemo();

  constructor(db: Db, rules: Rule[], opts: EngineOptions = {}) {
    this.maxEvidence = opts.maxEvidence ?? 10;
    this.state = new DetectorStateStore(db);
    this.tracker = new AlertTracker(new AlertStore(db), this.maxEvidence);
    this.install(rules);
  }

  /** Repeats of open alerts counted by this process (suppressed, not raised). */
  get repeats(): number {
    return this.tracker.repeats;
  }

  /** The rules in force. */
  get rules(): readonly Rule[] {
    return this.current;
  }

  onEvent(e: Event, history: HistoryView): void {
    if (e.ts > this.watermark) this.watermark = e.ts;
    this.touched = true;
    const type = e.type;
    if (type === 'AzSuccess' || type === 'AuSuccess') this.visibility.observe(e);
    const runners = this.dispatch[type];
    if (runners.length === 0) return;
    const memo = this.memo;
    memo.inner = history;
    memo.dn = null;
    for (let i = 0; i < runners.length; i++) {
      const r = runners[i];
      if (!r.admits(e)) continue;
      const f = r.detector.check(e, memo, null);
      if (f !== null) this.tracker.raise(r.rule, f);
    }
  }

  persist(): { raised: StoredAlert[]; updated: StoredAlert[] } {
    for (const r of this.runners) r.detector.persist();
    const result = this.tracker.persist(Date.now());
    if (this.watermark > Number.NEGATIVE_INFINITY) this.state.deleteExpired(this.watermark);
    // Everything in memory is now written: trimming here is safe, and a failed transaction
    // is followed by reset(), which drops memory anyway.
    for (const r of this.runners) r.detector.trim(this.watermark);
    this.tracker.trim(this.watermark);
    this.touched = false;
    if (this.nextRules !== null) {
      this.install(this.nextRules);
      this.nextRules = null;
    }
    return result;
  }

  reset(): void {
    for (const r of this.runners) r.detector.reset();
    this.tracker.reset();
  }

  /**
   * Swaps in new (validated) rules. Detector state not yet written belongs to the old rules,
   * so the swap happens right after the next persist unless nothing is pending.
   */
  replaceRules(rules: Rule[]): void {
    if (this.touched) this.nextRules = rules;
    else this.install(rules);
  }

  /**
   * How every rule judges `e` against the current state, without recording anything. It
   * moves detectors' in-memory windows like a real event would, so use it on an engine made
   * for the purpose (as `ouwatch explain` does), never on the one of a running pipeline.
   */
  explain(e: Event, history: HistoryView): RuleVerdict[] {
    const out: RuleVerdict[] = [];
    const all = new Map(this.runners.map((r) => [r.rule.id, r]));
    for (const rule of this.current) {
      const v: RuleVerdict = { rule: rule.id, detector: rule.detector.name, severity: rule.severity, outcome: 'quiet', notes: [], alert: null };
      out.push(v);
      const runner = all.get(rule.id);
      if (!rule.enabled) {
        v.outcome = 'disabled';
        v.notes.push('enabled: false in its rule file');
        continue;
      }
      if (rule.inactive !== null || runner === undefined) {
        v.outcome = 'off';
        v.notes.push(rule.inactive ?? 'not running');
        continue;
      }
      if (!rule.events.includes(e.type)) {
        v.outcome = 'not-reached';
        v.notes.push(`looks at ${rule.events.join(', ')}`);
        continue;
      }
      const why = runner.whyNot(e);
      if (why !== null) {
        v.outcome = 'excluded';
        v.notes.push(why);
        continue;
      }
      const f = runner.detector.check(e, history, (note) => v.notes.push(note));
      if (f === null) continue;
      const open = this.tracker.suppressing(rule, f.dn, f.ip, e.ts);
      if (open !== null) {
        v.outcome = 'repeat';
        v.notes.push(`same (rule, DN, address) as open alert ${open.id} raised ${open.time}: counted on it (suppression window ${rule.suppressMs / 3_600_000} h)`);
        v.alert = { id: open.id, reason: f.reason(), count: open.count + 1 };
      } else {
        v.outcome = 'fires';
        v.alert = { id: alertId(rule.id, f.dn, f.ip, e.ts, e.raw), reason: f.reason() };
      }
    }
    return out;
  }

  private install(rules: Rule[]): void {
    this.current = rules;
    // Rules with the same DN patterns share one matcher (and its per-DN verdicts).
    const matchers = new Map<string, DnPatterns>();
    const patternsOf = (rule: Rule): DnPatterns => {
      const key = JSON.stringify([rule.dnInclude, rule.dnExclude]);
      let m = matchers.get(key);
      if (m === undefined) {
        m = new DnPatterns(rule.dnInclude, rule.dnExclude);
        matchers.set(key, m);
      }
      return m;
    };
    this.runners = rules
      .filter((r) => r.enabled && r.inactive === null)
      .map((rule) => {
        const ctx = { state: this.state, scope: `${rule.id}/${rule.detector.name}`, maxEvidence: this.maxEvidence };
        return new RuleRunner(rule, rule.detector.create(rule.params, ctx), patternsOf(rule));
      });
    const dispatch = emptyDispatch();
    for (const r of this.runners) for (const t of r.rule.events) dispatch[t].push(r);
    this.dispatch = dispatch;
  }
}

/** Several rules look at the same event's user: fetch their state once per event. */
class UserMemo implements HistoryView {
  inner: HistoryView | null = null;
  dn: string | null = null;
  private state: UserState | null = null;

  user(dn: string): UserState | null {
    if (dn === this.dn) return this.state;
    this.dn = dn;
    this.state = this.inner!.user(dn);
    return this.state;
  }
}

function emptyDispatch(): Record<EventType, RuleRunner[]> {
  const d = {} as Record<EventType, RuleRunner[]>;
  for (const t of EVENT_TYPES) d[t] = [];
  return d;
}
