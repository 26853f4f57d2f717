import { AddressSet } from '../../core/address-set.js';
import type { AlertUpdate, Severity, StoredAlert } from '../../core/alerts.js';
import { DnPatterns } from '../../core/dn-patterns.js';
import { EVENT_TYPES, TYPE } from '../../core/events.js';
import type { StoredIncident } from '../../core/incidents.js';
import { sourceOf, type Address, type LogEvent } from '../../core/log-event.js';
import type { IncidentLink } from '../../core/ports.js';
import { Organisation } from '../history/organisation.js';
import type { User } from '../history/user.js';
import type { DetectConfig } from './config.js';
import type { Detector, Finding } from './detector.js';
import { IncidentTracker, incidentCodec } from './incidents.js';
import type { Rule } from './rules.js';
import { ChunkSequence, StateTable, type StateCodec, type StateRow } from './state-table.js';
import { AlertTracker, alertId } from './tracker.js';
import { AddressVisibility } from './visibility.js';

/** How one rule judged one event, for `ouwatch explain`. */
export interface RuleVerdict {
  rule: string;
  detector: string;
  severity: Severity;
  risk: number;
  outcome: 'fires' | 'repeat' | 'quiet' | 'excluded' | 'not-reached' | 'disabled' | 'off';
  notes: string[];
  /** For `fires`: the alert it would raise; for `repeat`: the open alert it would count on. */
  alert: { id: string; reason: string; count?: number; severity: Severity; risk: number } | null;
}

/** What detection changed since the last commit. */
export interface DetectionWrites {
  state: { puts: StateRow[]; deletes: Array<{ scope: string; key: string }>; expiredBefore: number | null };
  alerts: { raised: StoredAlert[]; updated: AlertUpdate[] };
  incidents: { changed: StoredIncident[]; links: IncidentLink[]; opened: StoredIncident[]; escalated: StoredIncident[] };
}

/** A rule with its detector and compiled filters. */
class RuleRunner {
  private readonly dns: DnPatterns | null;
  private readonly ips: AddressSet | null;

  constructor(
    readonly index: number,
    readonly rule: Rule,
    readonly detector: Detector,
    patterns: DnPatterns,
  ) {
    this.dns = patterns.active ? patterns : null;
    this.ips = rule.ipExceptions.length ? new AddressSet(rule.ipExceptions) : null;
  }

  admitsDn(dn: string): boolean {
    return this.dns === null || this.dns.allows(dn);
  }

  admitsAddress(ip: string): boolean {
    return this.ips === null || !this.ips.has(ip);
  }

  get excludesAddresses(): boolean {
    return this.ips !== null;
  }

  whyNot(e: LogEvent): string | null {
    const dn = e.dn?.dn ?? null;
    if (this.dns !== null && dn !== null) {
      const why = this.dns.why(dn);
      if (why !== null) return `the DN ${why}`;
    }
    const ip = e.address?.ip ?? null;
    if (this.ips !== null && ip !== null && this.ips.has(ip)) return `${ip} is in the rule's ipExceptions (${this.ips.which(ip)})`;
    return null;
  }
}

/** Distinct verdict vectors kept for sharing, at most (past it, vectors are not shared). */
const MAX_SHARED_VERDICTS = 1024;
/** A verdict vector's bits fit a number's 53-bit mantissa exactly up to this many rules. */
const MAX_BITMASK_RUNNERS = 52;

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
  private dispatch: RuleRunner[][] = EVENT_TYPES.map(() => []);
  private readonly tracker: AlertTracker;
  private readonly incidents: IncidentTracker;
  private tables: Array<StateTable<unknown>> = [];
  private readonly incidentWindows: StateTable<unknown>;
  private storedState = new Map<string, StateRow[]>();
  /** Numbers the chunk rows of every chunked table, across rules reloads. */
  private readonly chunks = new ChunkSequence();
  private current: Rule[] = [];
  private nextRules: Rule[] | null = null;
  /**
   * Which rules admit a user (DN patterns) or an address (exceptions), cached until the rules
   * change: on the user itself (`User.verdicts`, see userVerdicts) and here per address. Nearly
   * all of them get the same vector, so vectors are shared by content: a cache entry costs a
   * pointer, not an array per user and address.
   */
  private addressVerdictCache = new WeakMap<Address, Int8Array>();
  /** Some rule has `ipExceptions` (none of the shipped ones): only then is an address's verdict worth working out. */
  private anyAddressExceptions = false;
  private verdictVectors = new Map<string, Int8Array>();
  /** The same vectors by their bits (rule by rule, as a number), for users. */
  private vectorsByBits = new Map<number, Int8Array>();
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
    this.tracker = new AlertTracker(config.maxEvidence);
    const windows = new StateTable('incidents/windows', incidentCodec(config.incidents.window) as StateCodec<unknown>);
    this.incidentWindows = windows;
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

  /** Alerts raised or repeated since the last commit: their rows wait in memory for it. */
  get heldAlerts(): number {
    return this.tracker.held;
  }

  /** Start-up: the stored detector state, the alerts that may still count repeats, the open incidents. */
  load(state: readonly StateRow[], openAlerts: readonly StoredAlert[], openIncidents: readonly StoredIncident[]): void {
    this.storedState = new Map();
    for (const row of state) {
      const rows = this.storedState.get(row.scope) ?? [];
      rows.push(row);
      this.storedState.set(row.scope, rows);
    }
    for (const t of [...this.tables, this.incidentWindows]) t.loadRows(this.storedState.get(t.scope) ?? []);
    const suppress = new Map(this.current.map((r) => [r.id, r.suppressMs]));
    this.tracker.load(openAlerts, (rule) => suppress.get(rule) ?? 24 * 3_600_000);
    this.incidents.load(openIncidents);
  }

  /**
   * One event, with its user's history before it. Returns the id of an alert it raised (or
   * repeated) that keeps its address from being learnt, or null.
   */
  event(e: LogEvent, user: User | null): string | null {
    const ts = e.ts;
    if (ts > this.watermark) this.watermark = ts;
    this.pending++;
    const type = e.type;
    if (type === TYPE.AzSuccess || type === TYPE.AuSuccess) this.visibility.observe(e.address);
    const runners = this.dispatch[type];
    if (runners.length === 0) return null;
    if (!this.allowed(e)) return null;
    let quarantine: string | null = null;
    const uv = user === null ? null : this.userVerdicts(user);
    const av = e.address === null || !this.anyAddressExceptions ? null : this.addressVerdicts(e.address);
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
      if (r.rule.quarantine && quarantine === null && severityAtLeastMedium(raised.severity) && f.ip === e.address?.ip) quarantine = raised.id;
    }
    return quarantine;
  }

  /** Everything to write in the commit. */
  collect(): DetectionWrites {
    const puts: StateRow[] = [];
    const deletes: Array<{ scope: string; key: string }> = [];
    for (const t of this.tables) t.collect(puts, deletes, this.watermark);
    this.incidentWindows.collect(puts, deletes, this.watermark);
    return {
      state: { puts, deletes, expiredBefore: this.watermark > Number.NEGATIVE_INFINITY ? this.watermark : null },
      alerts: this.tracker.collect(),
      incidents: this.incidents.collect(),
    };
  }

  committed(): void {
    this.tracker.committed();
    this.incidents.committed();
    for (const t of this.tables) t.committed();
    this.incidentWindows.committed();
    this.tracker.trim(this.watermark);
    for (const t of this.tables) t.sweep(this.watermark);
    this.incidentWindows.sweep(this.watermark);
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
    const out: RuleVerdict[] = [];
    const byId = new Map(this.runners.map((r) => [r.rule.id, r]));
    const allowedWhy = this.allowed(e) ? null : 'the global allowlist (detect.allowlist) covers this event';
    for (const rule of this.current) {
      const v: RuleVerdict = { rule: rule.id, detector: rule.detector.name, severity: rule.severity, risk: rule.risk, outcome: 'quiet', notes: [], alert: null };
      out.push(v);
      const runner = byId.get(rule.id);
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
      if (!rule.events.includes(e.typeName)) {
        v.outcome = 'not-reached';
        v.notes.push(`looks at ${rule.events.join(', ')}`);
        continue;
      }
      const why = allowedWhy ?? runner.whyNot(e);
      if (why !== null) {
        v.outcome = 'excluded';
        v.notes.push(why);
        continue;
      }
      const f: Finding | null = runner.detector.check(e, user, (note) => v.notes.push(note));
      if (f === null) continue;
      const severity = f.severity ?? rule.severity;
      const risk = f.risk ?? rule.risk;
      const open = this.tracker.suppressing(rule, f.dn, f.ip, e.ts);
      if (open !== null) {
        v.outcome = 'repeat';
        v.notes.push(`same (rule, DN, address) as open alert ${open.id} raised ${open.time}: counted on it (suppression window ${rule.suppressMs / 3_600_000} h)`);
        v.alert = { id: open.id, reason: f.reason(), count: open.count + 1, severity: open.severity, risk: open.risk };
        continue;
      }
      v.outcome = 'fires';
      v.alert = { id: alertId(rule.id, f.dn, f.ip, e.ts, e.raw()), reason: f.reason(), severity, risk };
      const net = f.dn === null ? e.address?.net ?? f.ip : null;
      const incident = this.incidents.openFor(f.dn, net);
      const before = this.incidents.riskOf(f.dn, net, e.ts);
      const threshold = this.config.incidents.threshold;
      if (incident !== null) v.notes.push(`risk ${risk}: joins open incident ${incident.id} (risk ${incident.risk} so far)`);
      else if (rule.page) v.notes.push(`risk ${risk}: the rule pages, so it opens an incident at once`);
      else if (before + risk >= threshold) v.notes.push(`risk ${risk}: with ${before} already in the window it reaches ${before + risk} of ${threshold} and opens an incident`);
      else v.notes.push(`risk ${risk}: ${before + risk} of the ${threshold} that open an incident for ${f.dn ?? net} within the window`);
    }
    return out;
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

  /**
   * Kept on the user (with the rules it was worked out for), not in a WeakMap: a replay of a
   * million users paid a WeakMap entry and a new vector for each. The vector is looked up by
   * its bits as a number when the rules are few enough, so a user costs no allocation.
   */
  private userVerdicts(u: User): Int8Array {
    if (u.verdictsFor === this.current && u.verdicts !== null) return u.verdicts;
    let v: Int8Array | undefined;
    if (this.runners.length <= MAX_BITMASK_RUNNERS) {
      let bits = 0;
      for (const r of this.runners) bits = bits * 2 + (r.admitsDn(u.dn) ? 1 : 0);
      v = this.vectorsByBits.get(bits);
      if (v === undefined) {
        v = this.dnVector(u.dn);
        if (this.vectorsByBits.size < MAX_SHARED_VERDICTS) this.vectorsByBits.set(bits, v);
      }
    } else v = this.dnVector(u.dn);
    u.verdicts = v;
    u.verdictsFor = this.current;
    return v;
  }

  /** Which rules admit `dn`, as a shared vector. */
  private dnVector(dn: string): Int8Array {
    const v = new Int8Array(this.runners.length);
    for (const r of this.runners) v[r.index] = r.admitsDn(dn) ? 1 : 0;
    return this.shared(v);
  }

  private addressVerdicts(a: Address): Int8Array {
    let v = this.addressVerdictCache.get(a);
    if (v === undefined) {
      v = new Int8Array(this.runners.length);
      for (const r of this.runners) v[r.index] = r.admitsAddress(a.ip) ? 1 : 0;
      v = this.shared(v);
      this.addressVerdictCache.set(a, v);
    }
    return v;
  }

  /** The shared vector equal to `v` (read only: callers never write into a verdict vector). */
  private shared(v: Int8Array): Int8Array {
    const key = v.join('');
    const known = this.verdictVectors.get(key);
    if (known !== undefined) return known;
    if (this.verdictVectors.size < MAX_SHARED_VERDICTS) this.verdictVectors.set(key, v);
    return v;
  }

  private install(rules: Rule[]): void {
    this.addressVerdictCache = new WeakMap();
    this.verdictVectors = new Map();
    this.vectorsByBits = new Map();
    this.current = rules;
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
    // The state in force (not the state loaded at start-up) goes on in the new rules' tables
    // of the same scope: a reload must not forget half a burst, nor bring back a spent one.
    for (const t of this.tables) this.storedState.set(t.scope, t.rows());
    const tables: Array<StateTable<unknown>> = [];
    const maxEvidence = Math.min(this.config.maxEvidence, 50);
    this.runners = rules
      .filter((r) => r.enabled && r.inactive === null)
      .map((rule, index) => {
        const ctx = {
          table: <S>(name: string, codec: StateCodec<S>) => {
            const t = new StateTable<S>(`${rule.id}/${rule.detector.name}/${name}`, codec, this.chunks);
            t.loadRows(this.storedState.get(t.scope) ?? []);
            tables.push(t as StateTable<unknown>);
            return t;
          },
          maxEvidence,
          organisation: this.organisation,
        };
        return new RuleRunner(index, rule, rule.detector.create(rule.params, ctx), patternsOf(rule));
      });
    this.tables = tables;
    this.anyAddressExceptions = this.runners.some((r) => r.excludesAddresses);
    const dispatch: RuleRunner[][] = EVENT_TYPES.map(() => []);
    for (const r of this.runners) for (const t of r.rule.events) dispatch[TYPE[t]].push(r);
    this.dispatch = dispatch;
  }
}

function severityAtLeastMedium(s: Severity): boolean {
  return s !== 'low';
}
