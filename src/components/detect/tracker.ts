import { createHash } from 'node:crypto';
import type { AlertStatus, AlertUpdate, Evidence, Severity, StoredAlert } from '../../core/alerts.js';
import type { Finding } from './detector.js';
import { iso } from './format.js';
import { OpenAlerts } from './open-alerts.js';
import type { Rule } from './rules.js';

/**
 * The alert id: derived from the rule, the key (DN, address) and the triggering event's log
 * time and line, never from a counter or the wall clock, so a replay and a live run over the
 * same lines give the same ids. The line rather than the file path: an archived copy of a
 * log (renamed, gzipped, unwrapped from docker) still gives the same id.
 */
export function alertId(rule: string, dn: string | null, ip: string | null, ts: number, line: string): string {
  return createHash('sha256')
    .update(`${rule}\0${dn ?? ''}\0${ip ?? ''}\0${ts}\0${line}`)
    .digest('hex')
    .slice(0, 16);
}

/**
 * An alert that may still count repeats. Until its insertion is committed it holds the whole
 * alert; after that only what a repeat changes or an explanation shows (id, severity, count),
 * and a hash of each stored evidence line (to add no line twice), so the open
 * alerts of a storm cost a few hundred bytes each, not their reason, their evidence and
 * every string of their contract, for their rule's whole suppression window.
 */
class Tracked {
  /** Repeats since the last commit. */
  dirty = false;
  /** The whole alert while it waits to be inserted; null once stored. */
  pendingAlert: StoredAlert | null;
  readonly id: string;
  readonly rule: string;
  readonly severity: Severity;
  readonly risk: number;
  status: AlertStatus;
  count: number;
  /** Hashes of the evidence lines the alert holds (stored or pending), at most `maxEvidence`. */
  private readonly evidenceKeys: number[];
  /** Evidence lines added to a stored alert since the last commit. */
  private added: Evidence[] = [];
  evidenceTotal: number;
  lastTs: number;
  constructor(
    alert: StoredAlert,
    readonly firstTs: number,
    readonly until: number,
  ) {
    this.pendingAlert = { ...alert, evidence: alert.evidence.slice() };
    this.id = alert.id;
    this.rule = alert.rule;
    this.severity = alert.severity;
    this.risk = alert.risk;
    this.status = alert.status;
    this.count = alert.count;
    this.evidenceKeys = alert.evidence.map(evidenceKey);
    this.evidenceTotal = alert.evidenceTotal;
    this.lastTs = Date.parse(alert.lastTime);
  }

  /** Adds the lines not held yet, up to `max`. */
  addEvidence(more: readonly Evidence[], max: number): void {
    for (const ev of more) {
      if (this.evidenceKeys.length >= max) return;
      const k = evidenceKey(ev);
      if (this.evidenceKeys.includes(k)) continue;
      this.evidenceKeys.push(k);
      if (this.pendingAlert !== null) this.pendingAlert.evidence.push(ev);
      else this.added.push(ev);
    }
  }

  /** The whole alert with its repeats so far (only while it waits to be inserted). */
  full(): StoredAlert {
    const a = this.pendingAlert!;
    return { ...a, status: this.status, count: this.count, lastTime: iso(this.lastTs), evidence: a.evidence.slice(), evidenceTotal: this.evidenceTotal, response: a.response === null ? null : { ...a.response } };
  }

  update(): AlertUpdate {
    return { id: this.id, rule: this.rule, severity: this.severity, count: this.count, lastTime: iso(this.lastTs), evidenceAdded: this.added.slice(), evidenceTotal: this.evidenceTotal };
  }

  /** Raised since the last commit: its row is still to be inserted. */
  get isNew(): boolean {
    return this.pendingAlert !== null;
  }

  /** Stored: what only the row needs is let go. */
  stored(): void {
    this.dirty = false;
    this.pendingAlert = null;
    this.added = [];
  }
}

/**
 * An evidence line by where it is and what it says (FNV-1a of both): a record of a JSON
 * export shares its position with the others of its document, so the position alone is not
 * enough.
 */
function evidenceKey(ev: Evidence): number {
  let h = 0x811c9dc5;
  for (const s of [ev.source, ev.line]) {
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ 0, 0x01000193);
  }
  return h >>> 0;
}

/** What raising a finding did: a new alert (whole), or a repeat counted on an open one. */
export type Raised = { isNew: true; id: string; severity: Severity; alert: StoredAlert } | { isNew: false; id: string; severity: Severity };

/** An open alert as an explanation shows it. */
export interface OpenAlert {
  id: string;
  time: string;
  count: number;
  severity: Severity;
  risk: number;
}

type RuleFacts = Pick<Rule, 'id' | 'severity' | 'respond' | 'suppressMs' | 'risk'>;

/**
 * Raises alerts and suppresses repeats: the same (rule, DN, address) within the rule's window
 * after an alert that is still open (or acknowledged) adds to that alert's count, latest time
 * and evidence instead of raising another. The alerts that may still count repeats are held
 * in memory (loaded at start-up), so no lookup reaches the store on the hot path.
 */
export class AlertTracker {
  private readonly open = new OpenAlerts<Tracked>();
  private pending: Tracked[] = [];
  /** Repeats counted on open alerts by this process (for summaries). */
  repeats = 0;

  constructor(private readonly maxEvidence: number) {}

  /** Alerts not closed that may still count repeats (at start-up and after analysts' changes). */
  load(alerts: readonly StoredAlert[], suppressOf: (rule: string) => number | undefined): void {
    for (const a of alerts) {
      const window = suppressOf(a.rule);
      if (window === undefined || a.status === 'closed') continue;
      const first = Date.parse(a.time);
      const t = new Tracked(a, first, first + window);
      t.stored();
      this.open.set(a.rule, a.dn, a.suppressKey ?? a.ip, t);
    }
  }

  /** Records a finding of `rule` on the event `e` at `ts` (its line is read for a new alert only). */
  raise(rule: RuleFacts, f: Finding, ts: number, e: { raw(): string }): Raised {
    const key = f.suppressKey ?? f.ip;
    const open = this.open.get(rule.id, f.dn, key);
    // An alert closed while it had uncommitted repeats stays until they are written; it takes no more.
    if (open !== undefined && ts < open.until && ts >= open.firstTs && open.status !== 'closed') {
      this.repeat(open, f, ts);
      return { isNew: false, id: open.id, severity: open.severity };
    }
    const alert = this.newAlert(rule, f, ts, e.raw());
    const t = new Tracked(alert, ts, ts + rule.suppressMs);
    this.open.set(rule.id, f.dn, key, t);
    this.pending.push(t);
    return { isNew: true, id: alert.id, severity: alert.severity, alert };
  }

  /** The open alert a finding of `rule` at `ts` would be counted on (for explanations). */
  suppressing(rule: RuleFacts, dn: string | null, ip: string | null, ts: number): OpenAlert | null {
    const open = this.open.get(rule.id, dn, ip);
    if (open === undefined || ts >= open.until || ts < open.firstTs || open.status === 'closed') return null;
    return { id: open.id, time: iso(open.firstTs), count: open.count, severity: open.severity, risk: open.risk };
  }

  /** Alerts the next commit writes (new ones whole, repeated ones as updates): held in memory until then. */
  get held(): number {
    return this.pending.length;
  }

  /** New alerts and repeats since the last commit. */
  collect(): { raised: StoredAlert[]; updated: AlertUpdate[] } {
    const raised: StoredAlert[] = [];
    const updated: AlertUpdate[] = [];
    for (const t of this.pending) {
      if (t.isNew) raised.push(t.full());
      else if (t.dirty) updated.push(t.update());
    }
    return { raised, updated };
  }

  committed(): void {
    for (const t of this.pending) t.stored();
    this.pending = [];
  }

  /** After a commit: forget alerts whose window closed before log time `now`. */
  trim(now: number): void {
    // forEach: no entry pair per alert (see StateTable.sweep).
    this.open.forEach((t, rule, dn, key) => {
      if (t.until < now && !t.isNew && !t.dirty) this.open.delete(rule, dn, key);
    });
  }

  /** An analyst closed an alert: a later repeat is a new alert. */
  closed(rule: string, dn: string | null, ip: string | null, id: string): void {
    const t = this.open.get(rule, dn, ip);
    if (t !== undefined && t.id === id && !t.isNew && !t.dirty) this.open.delete(rule, dn, ip);
    else if (t !== undefined && t.id === id) t.status = 'closed';
  }

  reset(): void {
    this.open.clear();
    this.pending = [];
  }

  private repeat(t: Tracked, f: Finding, ts: number): void {
    t.count++;
    this.repeats++;
    if (ts > t.lastTs) t.lastTs = ts;
    const more = f.evidence();
    t.evidenceTotal += f.evidenceTotal ?? more.length;
    t.addEvidence(more, this.maxEvidence);
    if (t.isNew) return; // still pending insertion: the insert carries the repeat
    if (!t.dirty) {
      t.dirty = true;
      this.pending.push(t);
    }
  }

  private newAlert(rule: RuleFacts, f: Finding, ts: number, line: string): StoredAlert {
    const time = iso(ts);
    const evidence = f.evidence();
    const severity: Severity = f.severity ?? rule.severity;
    return {
      id: alertId(rule.id, f.dn, f.ip, ts, line),
      rule: rule.id,
      severity,
      time,
      dn: f.dn,
      dnSha1: f.dnSha1,
      ip: f.ip,
      country: f.country,
      reason: flattened(f.reason()),
      evidence: evidence.slice(0, this.maxEvidence),
      status: 'open',
      response: null,
      count: 1,
      lastTime: time,
      respond: rule.respond && severity === rule.severity,
      risk: f.risk ?? rule.risk,
      evidenceTotal: Math.max(f.evidenceTotal ?? evidence.length, evidence.length),
      suppressKey: f.suppressKey ?? null,
    };
  }
}

/**
 * The string in one piece. Reasons are built by concatenation, which V8 keeps as a tree of
 * parts (about thirty objects for a typical reason) until the string is read; a new alert
 * waits for its commit (an alert storm holds tens of thousands) and would keep its tree all
 * that time. Reading a character makes V8 copy the parts into one string and let them go.
 */
function flattened(s: string): string {
  s.charCodeAt(0);
  return s;
}

