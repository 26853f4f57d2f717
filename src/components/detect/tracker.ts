import { createHash } from 'node:crypto';
import type { Severity, StoredAlert } from '../../core/alerts.js';
import type { Finding } from './detector.js';
import { appendEvidence } from './evidence.js';
import { iso } from './format.js';
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

/** An alert that may still count repeats. */
class Tracked {
  isNew = true;
  /** Repeats since the last commit. */
  dirty = false;
  lastTs: number;
  constructor(
    readonly alert: StoredAlert,
    readonly firstTs: number,
    readonly until: number,
  ) {
    this.lastTs = Date.parse(alert.lastTime);
  }

  current(): StoredAlert {
    this.alert.lastTime = iso(this.lastTs);
    return this.alert;
  }
}

/** What raising a finding did. */
export interface Raised {
  alert: StoredAlert;
  /** A new alert (false: a repeat counted on an open one). */
  isNew: boolean;
}

type RuleFacts = Pick<Rule, 'id' | 'severity' | 'respond' | 'suppressMs' | 'risk'>;

/**
 * Raises alerts and suppresses repeats: the same (rule, DN, address) within the rule's window
 * after an alert that is still open (or acknowledged) adds to that alert's count, latest time
 * and evidence instead of raising another. The alerts that may still count repeats are held
 * in memory (loaded at start-up), so no lookup reaches the store on the hot path.
 */
export class AlertTracker {
  private readonly open = new Map<string, Tracked>();
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
      t.isNew = false;
      this.open.set(keyOf(a.rule, a.dn, a.suppressKey ?? a.ip), t);
    }
  }

  /** Records a finding of `rule` on the event at `ts` whose line is `line`. */
  raise(rule: RuleFacts, f: Finding, ts: number, line: () => string): Raised {
    const key = keyOf(rule.id, f.dn, f.suppressKey ?? f.ip);
    const open = this.open.get(key);
    // An alert closed while it had uncommitted repeats stays until they are written; it takes no more.
    if (open !== undefined && ts < open.until && ts >= open.firstTs && open.alert.status !== 'closed') {
      this.repeat(open, f, ts);
      return { alert: open.alert, isNew: false };
    }
    const alert = this.newAlert(rule, f, ts, line());
    const t = new Tracked(alert, ts, ts + rule.suppressMs);
    this.open.set(key, t);
    this.pending.push(t);
    return { alert, isNew: true };
  }

  /** The open alert a finding of `rule` at `ts` would be counted on (for explanations). */
  suppressing(rule: RuleFacts, dn: string | null, ip: string | null, ts: number): StoredAlert | null {
    const open = this.open.get(keyOf(rule.id, dn, ip));
    return open !== undefined && ts < open.until && ts >= open.firstTs && open.alert.status !== 'closed' ? open.current() : null;
  }

  /** New alerts and repeats since the last commit. */
  collect(): { raised: StoredAlert[]; updated: StoredAlert[] } {
    const raised: StoredAlert[] = [];
    const updated: StoredAlert[] = [];
    for (const t of this.pending) {
      if (t.isNew) raised.push(snapshot(t.current()));
      else if (t.dirty) updated.push(snapshot(t.current()));
    }
    return { raised, updated };
  }

  committed(): void {
    for (const t of this.pending) {
      t.isNew = false;
      t.dirty = false;
    }
    this.pending = [];
  }

  /** After a commit: forget alerts whose window closed before log time `now`. */
  trim(now: number): void {
    for (const [key, t] of this.open) if (t.until < now && !t.isNew && !t.dirty) this.open.delete(key);
  }

  /** An analyst closed an alert: a later repeat is a new alert. */
  closed(rule: string, dn: string | null, ip: string | null, id: string): void {
    const key = keyOf(rule, dn, ip);
    const t = this.open.get(key);
    if (t !== undefined && t.alert.id === id && !t.isNew && !t.dirty) this.open.delete(key);
    else if (t !== undefined && t.alert.id === id) t.alert.status = 'closed';
  }

  reset(): void {
    this.open.clear();
    this.pending = [];
  }

  private repeat(t: Tracked, f: Finding, ts: number): void {
    const a = t.alert;
    a.count++;
    this.repeats++;
    if (ts > t.lastTs) t.lastTs = ts;
    const more = f.evidence();
    a.evidenceTotal += f.evidenceTotal ?? more.length;
    if (a.evidence.length < this.maxEvidence) appendEvidence(a.evidence, more, this.maxEvidence);
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
      reason: f.reason(),
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

function keyOf(rule: string, dn: string | null, ip: string | null): string {
  return `${rule}\0${dn ?? ''}\0${ip ?? ''}`;
}

function snapshot(a: StoredAlert): StoredAlert {
  return { ...a, evidence: a.evidence.slice(), response: a.response === null ? null : { ...a.response } };
}
