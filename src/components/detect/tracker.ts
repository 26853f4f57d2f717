import { createHash } from 'node:crypto';
import type { StoredAlert } from '../../core/alerts.js';
import type { AlertStore } from '../../store/sqlite/alerts.js';
import type { Finding } from './detector.js';
import { appendEvidence } from './evidence.js';
import { iso } from './format.js';
import type { Rule } from './rules.js';
import { detach } from '../../core/strings.js';

/**
 * The alert id: derived from the rule, the key (DN, address) and the triggering event's log
 * time and line, never from a counter or the wall clock, so a replay and a live run over the
 * same lines give the same ids. The line rather than the file path: an archived copy of a
 * log (renamed, gzipped, unwrapped from docker) still gives the same id.
 */
export function alertId(rule: string, dn: string | null, ip: string | null, ts: number, line: string): string {
  return createHash('sha256')
    .update([rule, dn ?? '', ip ?? '', String(ts), line].join('\0'))
    .digest('hex')
    .slice(0, 16);
}

type AlertRuleFacts = Pick<Rule, 'id' | 'severity' | 'respond'>;

/** An alert the engine is counting repeats on. */
class Tracked {
  /** Not stored yet. */
  isNew = true;
  /** Repeats since the last persist. */
  dirty = false;
  /** Evidence grew since the last persist. */
  evidenceGrew = false;
  /** Log time of the latest occurrence (alert.lastTime is brought up to date when written). */
  lastTs: number;
  constructor(
    readonly alert: StoredAlert,
    readonly firstTs: number,
    readonly until: number,
  ) {
    this.lastTs = Date.parse(alert.lastTime);
  }

  /** The alert with its latest time filled in. */
  current(): StoredAlert {
    this.alert.lastTime = iso(this.lastTs);
    return this.alert;
  }
}

/** dn (or '') -> address (or '') -> the alert being counted; null = none open (checked). */
type KeyIndex = Map<string, Map<string, Tracked | null>>;

/**
 * Raises alerts and suppresses repeats: the same (rule, DN, address) within the rule's
 * window after an alert that is still open (or acknowledged) adds to that alert's count,
 * latest time and evidence instead of raising another. Open alerts are looked up in memory
 * first and in SQLite on a miss, so repeats across restarts are suppressed too. Keys are
 * the canonical (detached, shared) DN and address strings enrich hands out, so lookups on
 * this path compare pointers and keep no read buffer alive.
 */
export class AlertTracker {
  private readonly byRule = new Map<string, KeyIndex>();
  private size = 0;
  private pending: Tracked[] = [];
  private dbMayHold: boolean;
  /** Repeats counted on open alerts by this process (for summaries). */
  repeats = 0;
  /** The analysts' status changes seen so far (alert_status_changes' latest seq). */
  private statusVersion: number;
  /** Whether status changes were looked for since the last persist. */
  private checked = false;

  constructor(
    private readonly store: AlertStore,
    private readonly maxEvidence: number,
    private readonly maxTracked = 10_000,
  ) {
    this.dbMayHold = store.hasAny();
    this.statusVersion = store.statusVersion();
    this.checked = true;
  }

  /** Records a finding of `rule`: a new alert, or a repeat on the open one. */
  raise(rule: AlertRuleFacts & Pick<Rule, 'suppressMs'>, f: Finding): void {
    if (!this.checked) this.noticeStatusChanges();
    const ts = f.event.ts;
    const slot = this.slot(rule.id, f.dn ?? '');
    let open = slot.get(f.ip ?? '');
    if (open === undefined) {
      open = this.load(rule, f.dn, f.ip);
      slot.set(f.ip ?? '', open);
      this.size++;
    }
    if (open !== null && ts < open.until && ts >= open.firstTs) {
      this.repeat(open, f);
      return;
    }
    const t = new Tracked(this.newAlert(rule, f), ts, ts + rule.suppressMs);
    slot.set(f.ip ?? '', t);
    this.pending.push(t);
  }

  /** The open alert a finding of `rule` at `ts` would be counted on (for explanations). */
  suppressing(rule: AlertRuleFacts & Pick<Rule, 'suppressMs'>, dn: string | null, ip: string | null, ts: number): StoredAlert | null {
    const slot = this.slot(rule.id, dn ?? '');
    let open = slot.get(ip ?? '');
    if (open === undefined) open = this.load(rule, dn, ip);
    return open !== null && ts < open.until && ts >= open.firstTs ? open.current() : null;
  }

  /** Writes new alerts and repeats; run inside the commit transaction. */
  persist(wallClock: number): { raised: StoredAlert[]; updated: StoredAlert[] } {
    const raised: StoredAlert[] = [];
    const updated: StoredAlert[] = [];
    for (const t of this.pending) {
      if (t.isNew) {
        if (this.store.insert(t.current(), wallClock)) raised.push(snapshot(t.alert));
      } else if (t.dirty) {
        this.store.updateOccurrences(t.current(), t.evidenceGrew);
        updated.push(snapshot(t.alert));
      }
      t.isNew = false;
      t.dirty = false;
      t.evidenceGrew = false;
    }
    this.pending = [];
    this.checked = false;
    return { raised, updated };
  }

  /** After a commit: forget alerts whose window closed before `now`, and bound memory. */
  trim(now: number): void {
    const over = this.size > this.maxTracked;
    let excess = over ? this.size - Math.floor(this.maxTracked * 0.8) : 0;
    for (const index of this.byRule.values()) {
      for (const [dn, byIp] of index) {
        for (const [ip, t] of byIp) {
          const clean = t === null || (!t.dirty && !t.isNew);
          // A closed window never suppresses again: a later repeat is a new alert either way.
          const expired = t !== null && t.until < now;
          if (!clean || !(expired || excess > 0)) continue;
          byIp.delete(ip);
          this.size--;
          if (!expired) {
            excess--;
            if (t !== null) this.dbMayHold = true;
          }
        }
        if (byIp.size === 0) index.delete(dn);
      }
    }
  }

  /**
   * Analysts close alerts from other processes. Once per commit, before the first finding,
   * one query tells whether any status changed; if so, the alerts in memory are dropped and
   * read again (closed ones no longer suppress). A repeat that lands between that check and
   * the commit is counted on the alert it was closed as.
   */
  private noticeStatusChanges(): void {
    this.checked = true;
    const v = this.store.statusVersion();
    if (v === this.statusVersion) return;
    this.statusVersion = v;
    for (const [rule, index] of this.byRule) {
      for (const [dn, byIp] of index) {
        for (const [ip, t] of byIp) {
          if (t !== null && (t.isNew || t.dirty)) continue;
          byIp.delete(ip);
          this.size--;
        }
        if (byIp.size === 0) index.delete(dn);
      }
      if (index.size === 0) this.byRule.delete(rule);
    }
    this.dbMayHold = true;
  }

  reset(): void {
    this.byRule.clear();
    this.size = 0;
    this.pending = [];
    this.dbMayHold = true;
    this.checked = false;
  }

  private slot(rule: string, dn: string): Map<string, Tracked | null> {
    let index = this.byRule.get(rule);
    if (index === undefined) {
      index = new Map();
      this.byRule.set(rule, index);
    }
    let byIp = index.get(dn);
    if (byIp === undefined) {
      byIp = new Map();
      index.set(dn, byIp);
    }
    return byIp;
  }

  private load(rule: AlertRuleFacts & Pick<Rule, 'suppressMs'>, dn: string | null, ip: string | null): Tracked | null {
    if (!this.dbMayHold) return null;
    const a = this.store.findOpen(rule.id, dn, ip);
    if (a === null) return null;
    const first = Date.parse(a.time);
    const t = new Tracked(a, first, first + rule.suppressMs);
    t.isNew = false;
    return t;
  }

  private repeat(t: Tracked, f: Finding): void {
    const a = t.alert;
    a.count++;
    this.repeats++;
    const ts = f.event.ts;
    if (ts > t.lastTs) t.lastTs = ts;
    // Every line behind the alert is counted, kept or not: the evidence is never cut silently.
    const lines = f.evidence();
    a.evidenceTotal = (a.evidenceTotal ?? a.evidence.length) + (f.lines ?? lines.length);
    if (a.evidence.length < this.maxEvidence) {
      const before = a.evidence.length;
      appendEvidence(a.evidence, lines, this.maxEvidence);
      if (a.evidence.length !== before) t.evidenceGrew = true;
    }
    if (t.isNew) return; // still pending insertion: the insert carries the repeat
    if (!t.dirty) {
      t.dirty = true;
      this.pending.push(t);
    }
  }

  private newAlert(rule: AlertRuleFacts, f: Finding): StoredAlert {
    const ts = f.event.ts;
    const time = iso(ts);
    const lines = f.evidence();
    const alert: StoredAlert = {
      id: alertId(rule.id, f.dn, f.ip, ts, f.event.raw),
      rule: rule.id,
      severity: rule.severity,
      time,
      dn: f.dn,
      dnSha1: f.dnSha1,
      ip: f.ip,
      country: f.country,
      // Reasons are built from pieces of the line (its URL, say): flatten and detach them, or
      // every open alert would keep its megabyte read buffer alive.
      reason: detach(f.reason()),
      evidence: lines.slice(0, this.maxEvidence),
      status: 'open',
      response: null,
      count: 1,
      lastTime: time,
      respond: rule.respond,
    };
    const total = f.lines ?? lines.length;
    if (total > alert.evidence.length) alert.evidenceTotal = total;
    return alert;
  }
}

function snapshot(a: StoredAlert): StoredAlert {
  return { ...a, evidence: a.evidence.slice(), response: a.response === null ? null : { ...a.response } };
}
