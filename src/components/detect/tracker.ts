import { shortHash } from '../../core/identity.js';
import type { AlertUpdate, Severity, StoredAlert } from '../../core/alerts.js';
import type { Finding } from './detector.js';
import { iso } from './format.js';
import { OpenAlertTable } from './open-alert-table.js';
import { OpenAlerts } from './open-alerts.js';
import type { Rule } from './rules.js';

/**
 * The alert id: derived from the rule, the key (DN, address) and the triggering event's log
 * time and line, never from a counter or the wall clock, so a replay and a live run over the
 * same lines give the same ids. The line rather than the file path: an archived copy of a
 * log (renamed, gzipped, unwrapped from docker) still gives the same id.
 */
export function alertId(rule: string, dn: string | null, ip: string | null, ts: number, line: string): string {
  return shortHash(`${rule}\0${dn ?? ''}\0${ip ?? ''}\0${ts}\0${line}`);
}

/**
 * What raising a finding did: a new alert (whole), or a repeat counted on the open alert in
 * `slot`. A repeat carries no id: most are never asked for it (`idOf` when one is), and
 * spelling it out cost two hex strings per repeat, hundreds of thousands in an alert storm.
 */
export type Raised = { isNew: true; id: string; severity: Severity; alert: StoredAlert } | { isNew: false; slot: number; severity: Severity };

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
 * Open alerts one rule keeps for one user, each of its own address (or key), before a
 * finding from yet another counts on the latest of them. A spray at one account from a
 * botnet (1,000,000 denials from as many addresses at five accounts) raised an
 * authz-failure-burst alert per ten denials, 99,990 in all; a handful of addresses (a thief's
 * beside the owner's) still each raise their own. The default of `detect.maxOpenAlertsPerUser`.
 */
export const MAX_OPEN_PER_USER = 10;

/**
 * Open alerts held in memory at most, over every rule and user (the default of
 * `detect.maxOpenAlerts`). Each is held for its rule's suppression window (24 hours by
 * default), about 200 bytes with its key: alerts keyed on addresses (a botnet's bursts, one
 * alert per address) or a daemon raising alerts for days would otherwise hold one per alert
 * of the window. The storm corpus holds about 190,000 at 5,000,000 lines (31 hours of log).
 */
export const MAX_OPEN_ALERTS = 250_000;
/** What a tracker over its bound is brought down to (a fraction of it): letting go is a sort, done seldom. */
const BOUND_TO = 0.9;

/**
 * Raises alerts and suppresses repeats: the same (rule, DN, address) within the rule's window
 * after an alert that is still open (or acknowledged) adds to that alert's count, latest time
 * and evidence instead of raising another. The alerts that may still count repeats are held
 * in memory (loaded at start-up), so no lookup reaches the store on the hot path.
 */
export class AlertTracker {
  /** The slot of each open alert (open-alert-table.ts) by rule, DN and key. */
  private readonly open = new OpenAlerts<number>();
  private readonly table = new OpenAlertTable();
  /** Slots the next commit writes (raised, or repeated after being stored). */
  private pending: number[] = [];
  /** Slots replaced in the map while they waited for a commit: released once it is written. */
  private readonly orphans = new Set<number>();
  /** Repeats counted on open alerts by this process (for summaries). */
  repeats = 0;
  /** Open alerts let go before their window closed, to stay within maxOpen (for metrics). */
  letGoEarly = 0;

  constructor(
    private readonly maxEvidence: number,
    private readonly maxOpenPerUser = MAX_OPEN_PER_USER,
    private readonly maxOpen = MAX_OPEN_ALERTS,
  ) {}

  /** Open alerts held in memory. */
  get openHeld(): number {
    return this.table.size;
  }

  /** An alert not closed that may still count repeats (at start-up), within `window` (ms) of its first event. */
  load(a: StoredAlert, window: number): void {
    if (a.status === 'closed') return;
    const first = Date.parse(a.time);
    const key = a.suppressKey ?? a.ip;
    const held = this.open.get(a.rule, a.dn, key);
    if (held !== undefined) this.letGo(held);
    this.open.set(a.rule, a.dn, key, this.table.add(a, first, first + window, true));
  }

  /** Records a finding of `rule` on the event `e` at `ts` (its line is read for a new alert only). */
  raise(rule: RuleFacts, f: Finding, ts: number, e: { raw(): string }): Raised {
    const key = suppressKeyOf(f);
    const t = this.table;
    const same = this.open.get(rule.id, f.dn, key);
    const open = same !== undefined ? same : this.crowded(rule, f.dn, ts);
    if (open !== undefined && this.takesRepeat(open, ts)) {
      this.repeats++;
      const more = f.evidence();
      if (t.repeat(open, ts, more, f.evidenceTotal ?? more.length, this.maxEvidence)) this.pending.push(open);
      return { isNew: false, slot: open, severity: t.severity(open) };
    }
    const alert = this.newAlert(rule, f, ts, e.raw());
    if (same !== undefined) this.letGo(same);
    const slot = t.add(alert, ts, ts + rule.suppressMs, false);
    this.open.set(rule.id, f.dn, key, slot);
    this.pending.push(slot);
    return { isNew: true, id: alert.id, severity: alert.severity, alert };
  }

  /** The id of the alert a repeat was just counted on (`Raised.slot`: valid until the next commit lets slots go). */
  idOf(slot: number): string {
    return this.table.id(slot);
  }

  /** The open alert a finding of `rule` at `ts` would be counted on (for explanations). */
  suppressing(rule: RuleFacts, f: Pick<Finding, 'dn' | 'ip' | 'suppressKey'>, ts: number): OpenAlert | null {
    const t = this.table;
    const same = this.open.get(rule.id, f.dn, suppressKeyOf(f));
    const open = same !== undefined ? same : this.crowded(rule, f.dn, ts);
    if (open === undefined || !this.takesRepeat(open, ts)) return null;
    return { id: t.id(open), time: iso(t.firstTime(open)), count: t.count(open), severity: t.severity(open), risk: t.risk(open) };
  }

  /** Whether the alert in `slot` counts a finding at `ts`: within its window, and not closed (one closed with uncommitted repeats stays until they are written). */
  private takesRepeat(slot: number, ts: number): boolean {
    const t = this.table;
    return ts < t.openUntil(slot) && ts >= t.firstTime(slot) && t.status(slot) !== 'closed';
  }

  /**
   * For a finding of a key new to the rule and user: the latest of the user's alerts of this
   * rule that take it, once the user has maxOpenPerUser open (else a new alert). Never for a
   * rule that responds: only a new alert ends the user's sessions, and its actions have their
   * own guards (cooldown, budget).
   */
  private crowded(rule: RuleFacts, dn: string | null, ts: number): number | undefined {
    if (dn === null || rule.respond) return undefined;
    const mine = this.open.ofDn(rule.id, dn);
    if (mine === undefined || mine.size < this.maxOpenPerUser) return undefined;
    // Only those that take the finding count: which others a commit has trimmed yet depends on when it ran.
    let taking = 0;
    let latest: number | undefined;
    for (const slot of mine.values()) {
      if (!this.takesRepeat(slot, ts)) continue;
      taking++;
      if (latest === undefined || this.table.firstTime(slot) > this.table.firstTime(latest)) latest = slot;
    }
    return taking >= this.maxOpenPerUser ? latest : undefined;
  }

  /** Alerts the next commit writes (new ones whole, repeated ones as updates): held in memory until then. */
  get held(): number {
    return this.pending.length;
  }

  /** New alerts and repeats since the last commit. */
  collect(): { raised: StoredAlert[]; updated: AlertUpdate[] } {
    const raised: StoredAlert[] = [];
    const updated: AlertUpdate[] = [];
    for (const slot of this.pending) {
      if (this.table.isNew(slot)) raised.push(this.table.full(slot));
      else if (this.table.isDirty(slot)) updated.push(this.table.update(slot));
    }
    return { raised, updated };
  }

  committed(): void {
    for (const slot of this.pending) {
      this.table.stored(slot);
      // A slot replaced in the map while it waited for this commit is counted on by nothing now.
      if (this.orphans.delete(slot)) this.table.release(slot);
    }
    this.pending = [];
  }

  /** After a commit: forget alerts whose window closed before log time `now`, then keep within maxOpen. */
  trim(now: number): void {
    const t = this.table;
    // forEach: no entry pair per alert (see StateTable.sweep).
    this.open.forEach((slot, rule, dn, key) => {
      if (t.openUntil(slot) < now && !t.isNew(slot) && !t.isDirty(slot)) {
        this.open.delete(rule, dn, key);
        t.release(slot);
      }
    });
    this.bound();
  }

  /**
   * Over maxOpen alerts held (after a commit, or after loading at start-up): lets go of the
   * stored ones least recently found again, down to BOUND_TO of it. A later finding of a key let
   * go raises a new alert instead of counting on the old one: more alerts in a storm beyond
   * the bound, never a finding lost. The alerts themselves stay in the store as they were.
   */
  bound(): void {
    const t = this.table;
    if (t.size <= this.maxOpen) return;
    const stored: Array<{ slot: number; rule: string; dn: string; key: string }> = [];
    this.open.forEach((slot, rule, dn, key) => {
      if (!t.isNew(slot) && !t.isDirty(slot)) stored.push({ slot, rule, dn, key });
    });
    stored.sort((a, b) => t.lastTime(a.slot) - t.lastTime(b.slot));
    const target = Math.floor(this.maxOpen * BOUND_TO);
    for (const s of stored) {
      if (t.size <= target) break;
      this.open.delete(s.rule, s.dn, s.key);
      t.release(s.slot);
      this.letGoEarly++;
    }
  }

  /** An analyst closed an alert: a later repeat is a new alert. */
  closed(rule: string, dn: string | null, ip: string | null, id: string): void {
    const t = this.table;
    const slot = this.open.get(rule, dn, ip);
    if (slot === undefined || t.id(slot) !== id) return;
    if (!t.isNew(slot) && !t.isDirty(slot)) {
      this.open.delete(rule, dn, ip);
      t.release(slot);
    } else t.setStatus(slot, 'closed');
  }

  /** A slot the map no longer leads to: free now, or after the commit that writes it. */
  private letGo(slot: number): void {
    if (this.table.isNew(slot) || this.table.isDirty(slot)) this.orphans.add(slot);
    else this.table.release(slot);
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


/** What makes a repeat the same alert: the finding's own key (a session, a trip), else its address. */
function suppressKeyOf(f: Pick<Finding, 'ip' | 'suppressKey'>): string | null {
  return f.suppressKey ?? f.ip;
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

